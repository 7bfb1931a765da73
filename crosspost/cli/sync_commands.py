"""Commands that mirror posts: sync (once or --watch), status, migrate."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crosspost.cli.community_scope import community_of, scope
from crosspost.cli.options import AccountArg, CommunityOpt, ConfigOpt, UserOpt
from crosspost.cli.root import app
from crosspost.config import Config, load_config
from crosspost.errors import ExitCode
from crosspost.platforms.registry import specs

if TYPE_CHECKING:
    from crosspost.credentials import Secrets
    from crosspost.state import Ledger
    from crosspost.sync import MigrateOptions, RuleReport, StopSignal, SyncEngine, SyncReport

StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        envvar="CROSSPOST_STATE",
        metavar="FILE",
        help="The state database (ledger, cursors, lock); default: the user data dir.",
        show_default=False,
    ),
]
QueueUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--queue-url",
        envvar="CROSSPOST_QUEUE_URL",
        metavar="URL",
        help="The Redis server workers on several machines share for the queue, job locks and "
        "rate budgets (redis://HOST:PORT/DB); default: SQLite files beside the state.",
        show_default=False,
    ),
]
SLEEP = time.sleep  # how --watch waits (tests put a fake clock's sleep here)
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print a machine-readable summary (JSON, README) on stdout."),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", "-n", help="Show what would be sent; write nothing.")
]


def _open_state(path: Path | None, dry_run: bool, rebuild: bool = False) -> Ledger:
    """The ledger; for `--rebuild-ledger`, a damaged one is set aside (kept) and a new one made."""
    import time

    from crosspost.state import Ledger
    from crosspost.state.errors import DamagedLedgerError
    from crosspost.state.ledger import set_aside

    if dry_run:
        return Ledger.snapshot(path)
    try:
        return Ledger(path)
    except DamagedLedgerError as error:
        if not rebuild:
            raise
        kept = set_aside(error.path, time.time())
        typer.echo(f"the damaged state database is kept as {kept}; rebuilding it", err=True)
        return Ledger(path)


def _engine(
    config: Config,
    state: Ledger,
    dry_run: bool,
    stop: StopSignal | None = None,
    store: Secrets | None = None,
) -> SyncEngine:
    from crosspost.accounts import Account
    from crosspost.clients import open_client
    from crosspost.platforms.base import PlatformClient
    from crosspost.sync import SyncEngine

    def clients(account: Account, writing: bool) -> PlatformClient:
        return open_client(account, store=store, for_writing=writing)

    return SyncEngine(config, state, clients, dry_run=dry_run, stop=stop)


@contextmanager
def _stop_on_signals() -> Iterator[StopSignal]:
    """SIGTERM and SIGINT ask for a graceful stop after the current post."""
    from crosspost.sync import StopSignal

    stop = StopSignal()

    def handler(number: int, frame: object) -> None:
        typer.echo("stopping after the current post...", err=True)
        stop.request()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _print_rule(report: RuleReport) -> None:
    for block in report.dry_run:
        typer.echo(block)
    typer.echo(report.summary())
    for source, target, why in report.failed:
        typer.echo(f"  failed: {source} -> {target}: {why}")
    for line in report.stopped:
        typer.echo(f"  stopped: {line}")
    if report.resume_at and not report.left:  # else the summary says it
        when = datetime.fromtimestamp(report.resume_at, UTC).isoformat(timespec="minutes")
        typer.echo(f"  resume after {when} (run the same command again then)")
    for note in report.notes:
        typer.echo(f"  note: {note}")


def _print_rule_json(report: RuleReport) -> None:
    from crosspost.cli.json_out import dumps, rule_json

    typer.echo(dumps(rule_json(report)))


def _print_report(report: SyncReport, as_json: bool = False) -> None:
    if as_json:
        from crosspost.cli.json_out import dumps, rule_json

        rules = [rule_json(rule) for rule in report.rules]
        typer.echo(dumps({"rules": rules, "stopped_early": report.stopped_early}))
        return
    for rule in report.rules:
        _print_rule(rule)
    if report.stopped_early:
        typer.echo("stopped early; the next run goes on from here")


@app.command("sync")
def sync(
    config: ConfigOpt = None,
    rule: Annotated[
        str | None,
        typer.Option("--rule", "-r", metavar="NAME", help="Run only this rule (default: all)."),
    ] = None,
    dry_run: DryRunOpt = False,
    rebuild_ledger: Annotated[
        bool,
        typer.Option(
            "--rebuild-ledger",
            help="Rebuild the ledger from the markers mirrors carry; post nothing.",
        ),
    ] = False,
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt", help="Record posts you already cross-posted by hand instead of posting."
        ),
    ] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep running: sync every --interval until stopped.")
    ] = False,
    interval: Annotated[
        str,
        typer.Option(
            "--interval", metavar="DURATION", help="Time between runs with --watch (10m, 1h, ...)."
        ),
    ] = "10m",
    state: StateOpt = None,
    as_json: JsonOpt = False,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Queue one job per rule and target for `crosspost worker`; run nothing here.",
        ),
    ] = False,
    community: CommunityOpt = None,
    user: UserOpt = None,
    queue_url: QueueUrlOpt = None,
) -> None:
    """Mirror the posts each rule selects to its targets, once and only once."""
    from crosspost.sync import parse_interval
    from crosspost.sync import watch as watch_loop

    if queue and (dry_run or watch or rebuild_ledger or adopt or as_json):
        raise typer.BadParameter(
            "--queue runs nothing here: use it without --dry-run, --watch, "
            "--rebuild-ledger, --adopt and --json"
        )
    many = community_of(community, config)
    if many is not None and queue:
        from crosspost.cli.queue_jobs import enqueue_community_jobs

        enqueue_community_jobs(many, user, rule, queue_url)
        return
    if many is not None and not user:
        raise typer.BadParameter(
            "--community without --user runs nobody's rules here: add --user NAME to run one "
            "user's rules now, or --queue to queue every user's jobs for `crosspost worker`"
        )
    found = scope(community, user, config, state)
    loaded, state = found.config, found.state
    if not loaded.rules:
        typer.echo(
            f"no sync rules in {loaded.path}: add a [[sync]] rule there (from, to, tags; "
            "config.example.toml shows one), then run `crosspost config check`"
        )
        return
    if queue:
        from crosspost.cli.queue_jobs import enqueue_jobs

        enqueue_jobs(loaded, rule, state, queue_url)
        return
    seconds = parse_interval(interval) if watch else 0.0
    store = _open_state(state, dry_run, rebuild_ledger)
    failed = 0
    capped = False
    with _stop_on_signals() as stop, store:
        engine = _engine(loaded, store, dry_run, stop, found.store)
        lock = store.lock()
        if watch or rebuild_ledger:
            lock.acquire()
        else:  # at the first write: a run with nothing to do writes nothing at all
            store.guard(lock.acquire)
        try:
            if rebuild_ledger:
                _rebuild(engine, loaded, rule)
                return

            def once() -> None:
                nonlocal failed, capped
                lock.beat()
                report = engine.run(rule, adopt=adopt)
                _print_report(report, as_json)
                failed += report.failed
                capped = report.capped

            if watch:
                watch_loop(once, seconds, stop=stop, sleep=SLEEP)
            else:
                once()
        finally:
            lock.release()
    if not watch:
        _exit(capped=capped, failed=bool(failed))


def _exit(*, capped: bool, failed: bool) -> None:
    """A cap or a rate limit that left work undone exits 6 (run again later; what failed is
    retried then too), else a failed post exits 1."""
    if capped:
        raise typer.Exit(ExitCode.RATE_LIMITED)
    if failed:
        raise typer.Exit(ExitCode.FAILURE)


def _rebuild(engine: SyncEngine, config: Config, rule_name: str | None) -> None:
    from crosspost.sync import RuleReport
    from crosspost.sync import rebuild_ledger as rebuild

    rules = [config.rule(rule_name)] if rule_name else list(config.rules)
    for rule in rules:
        report = RuleReport(rule.name)
        rebuild(engine.context, rule, report)
        typer.echo(
            f"{rule.name}: {report.seen} source posts read, {report.reconciled} mirrors "
            "found and recorded"
        )


@app.command("status")
def status(
    config: ConfigOpt = None,
    state: StateOpt = None,
    as_json: JsonOpt = False,
    community: CommunityOpt = None,
    user: UserOpt = None,
) -> None:
    """Per rule and migration, per target, in posts: published, to publish on the next run,
    waiting (until when, and why), failed (with reasons)."""
    many = community_of(community, config)
    if many is not None and not user:
        from crosspost.cli.community_status import print_users

        print_users(many, as_json)
        return
    found = scope(community, user, config, state, required=False, secrets=False)
    if many is not None:
        from crosspost.cli.community_status import open_user_ledger

        store = open_user_ledger(many, found.user)
    else:
        from crosspost.state import Ledger

        store = Ledger.snapshot(found.state)
    with store:
        _print_state(found.config, store, as_json)


def _print_state(loaded: Config, store: Ledger, as_json: bool) -> None:
    from crosspost.state.ledger import MIGRATION_PREFIX

    now = store.clock()
    migrations = [(r, t) for r, t in store.rules() if r.startswith(MIGRATION_PREFIX)]
    if as_json:
        typer.echo(_status_json(loaded, store, migrations, now))
        return
    if not loaded.rules and not migrations:
        typer.echo("no sync rules in the config, and no migrations in the state")
    for rule in loaded.rules:
        cursor = store.cursor(rule.name)
        typer.echo(f"{rule.name}: {rule.source} -> {', '.join(rule.targets)}")
        typer.echo(f"  read up to: {cursor or 'not run yet'}")
        for target in rule.targets:
            _print_status(store, rule.name, target, now)
    for name, targets in migrations:
        source, _, _ = name.removeprefix(MIGRATION_PREFIX).partition("->")
        typer.echo(f"{name}: {source} -> {', '.join(targets)}")
        for target in targets:
            _print_status(store, name, target, now)


def _status_json(
    config: Config, store: Ledger, migrations: list[tuple[str, tuple[str, ...]]], now: float
) -> str:
    from crosspost.cli.json_out import dumps, target_status_json
    from crosspost.state.ledger import MIGRATION_PREFIX

    rules = [
        {
            "rule": rule.name,
            "kind": "sync",
            "source": rule.source,
            "read_up_to": store.cursor(rule.name),
            "targets": [target_status_json(store, rule.name, t, now) for t in rule.targets],
        }
        for rule in config.rules
    ]
    for name, targets in migrations:
        source = name.removeprefix(MIGRATION_PREFIX).partition("->")[0]
        rules.append(
            {
                "rule": name,
                "kind": "migrate",
                "source": source,
                "read_up_to": None,
                "targets": [target_status_json(store, name, t, now) for t in targets],
            }
        )
    return dumps({"rules": rules})


def _print_status(store: Ledger, rule: str, target: str, now: float) -> None:
    row = store.status(rule, target, now)
    typer.echo(
        f"  {target}: {row.published} published, {row.due} to publish, "
        f"{row.waiting_posts} waiting, {len(row.failed)} failed"
    )
    for waiting in row.waiting:
        typer.echo(f"    {waiting.posts} waiting until {_when(waiting.until)}: {waiting.why}")
    for source, why, retry in row.failed[:20]:
        after = f"tried again after {_when(retry)}" if retry and retry > now else "next run"
        typer.echo(f"    failed: {source}: {why} ({after})")
    if len(row.failed) > 20:
        typer.echo(f"    ... and {len(row.failed) - 20} more failed")


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="minutes")


@app.command("migrate")
def migrate(
    source: AccountArg,
    target: Annotated[str, typer.Argument(help="The account to copy to.", show_default=False)],
    config: ConfigOpt = None,
    from_backup: Annotated[
        Path | None,
        typer.Option(
            "--from-backup", metavar="DIR", help="Read the posts from this backup folder instead."
        ),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(metavar="DATE", help="Only posts from this date on.", formats=["%Y-%m-%d"]),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(metavar="DATE", help="Only posts up to this date.", formats=["%Y-%m-%d"]),
    ] = None,
    keep_dates: Annotated[
        bool,
        typer.Option(
            help="Keep the original dates where the target allows "
            f"({', '.join(s.display_name for s in specs() if s.backdating)})."
        ),
    ] = True,
    date_line: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help='The line added where dates cannot be kept; "" for none. '
            "Default: Originally posted on {platform} on {date:%Y-%m-%d}.",
            show_default=False,
        ),
    ] = None,
    private: Annotated[
        bool,
        typer.Option(
            "--private",
            help="Send every post as only yours (Tumblr: private posts; Mastodon: direct).",
        ),
    ] = False,
    plan: Annotated[
        bool,
        typer.Option(
            "--plan",
            help="Say what would be sent, what cannot be, and how long it takes at the "
            "target's caps; send nothing.",
        ),
    ] = False,
    dry_run: DryRunOpt = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Wait out posting caps instead of stopping.")
    ] = False,
    state: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Copy a whole account (or its backup) to another, oldest first; rerun to resume."""
    from crosspost.sync import MigrateOptions
    from crosspost.sync import migrate as run_migrate
    from crosspost.sync.migrate import DEFAULT_DATE_LINE, migrate_until_done

    loaded = load_config(config, required=False)
    options = MigrateOptions(
        from_backup=from_backup,
        since=_utc(since),
        until=_utc(until, end_of_day=True),
        keep_dates=keep_dates,
        date_line=DEFAULT_DATE_LINE if date_line is None else date_line,
        private=private,
    )
    store = _open_state(state, dry_run or plan)
    with _stop_on_signals() as stop, store, store.lock():
        engine = _engine(loaded, store, dry_run or plan, stop)
        if plan or (dry_run and not as_json):  # one JSON document: the run's, or the plan
            _print_plan(engine, source, target, options, as_json)
        if plan:
            return
        each = _print_rule_json if as_json else _print_rule
        if watch and not dry_run:
            report = migrate_until_done(engine, source, target, options, sleep=SLEEP, each=each)
        else:
            report = run_migrate(engine, source, target, options)
            each(report)
    _exit(capped=report.capped and not dry_run, failed=bool(report.failed))


def _print_plan(
    engine: SyncEngine, source: str, target: str, options: MigrateOptions, as_json: bool
) -> None:
    from crosspost.sync.plan_migration import plan_migration

    planned = plan_migration(engine, source, target, options)
    if as_json:
        from dataclasses import asdict

        from crosspost.cli.json_out import dumps

        typer.echo(dumps({"plan": asdict(planned) | {"seconds": planned.seconds}}))
        return
    for line in planned.lines():
        typer.echo(line)


def _utc(value: datetime | date | None, *, end_of_day: bool = False) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    if end_of_day and value.time() == datetime.min.time():
        value = value.replace(hour=23, minute=59, second=59)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
