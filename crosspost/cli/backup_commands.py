"""Commands about backups: backup, import, verify (with rich progress bars on stderr)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crosspost.cli.failures import kept_on_failure
from crosspost.cli.options import AccountArg, ConfigOpt
from crosspost.cli.progress_bars import progress_bars
from crosspost.cli.root import app
from crosspost.config import Config, load_config
from crosspost.errors import (
    CredentialsError,
    DataError,
    FilesError,
    NotFoundError,
    RateLimitedError,
)
from crosspost.exports.detect import export_formats

if TYPE_CHECKING:
    from crosspost.backup.locate import Chosen
    from crosspost.backup.runner import BackupResult

DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        "-d",
        help="Backup folder (default: backup_dir in the config, else the user data dir).",
        show_default=False,
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print nothing on success (errors still go to stderr; --json still prints).",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable summary (JSON) on stdout.")
]


@app.command("backup")
def backup(
    account: AccountArg,
    directory: DirOpt = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Re-list every post: catch old edits, mark deleted posts (kept)."
        ),
    ] = False,
    no_media: Annotated[
        bool, typer.Option("--no-media", help="Save posts only; a later run fetches the media.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help="Only posts made on or after this date (YYYY-MM-DD or ISO 8601).",
            show_default=False,
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            metavar="PARTS",
            help="Back up only these parts, comma-separated: posts, profile, likes, bookmarks, "
            "reposts, following, followers, lists, blocks, mutes (default: all the platform "
            "has).",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Back up an account: posts, profile, likes, bookmarks, reposts, follows, lists, blocks
    and mutes as JSON with their native payload, media by content hash.

    Incremental by default: reads newest first and stops at what is already saved, re-reading a
    short recent window for edits. Safe to interrupt: the same command resumes. Public Bluesky
    and Mastodon accounts need no login; Tumblr needs at least an API key.
    """
    from crosspost.backup.account_run import parse_parts
    from crosspost.backup.runner import BackupOptions, run_backup
    from crosspost.backup.store import BackupStore
    from crosspost.clients import open_client
    from crosspost.platforms.base import ReportsLoginProblem

    try:
        parts = parse_parts(only) if only is not None else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--only") from None
    loaded = load_config(config, required=False)
    target = loaded.account(account)
    root = backup_root(directory, loaded)
    options = BackupOptions(full=full, media=not no_media, since=parse_since(since), parts=parts)
    client = open_client(target)
    with kept_on_failure(root, "everything read so far"), progress_bars(quiet) as progress:
        result = run_backup(client, BackupStore(root), options, progress=progress)
    if as_json:
        typer.echo(json.dumps(result.to_json(), sort_keys=True))
    elif not quiet or result.stopped:
        typer.echo(describe_backup(result, account))
    problem = client.login_problem() if isinstance(client, ReportsLoginProblem) else None
    if problem:
        raise CredentialsError(
            f"{problem}. Only what the public can read was kept; the rest (listed above as "
            "not kept) needs the login"
        )
    if result.stopped:
        command = _same_command(account, directory, full, no_media, since, only)
        raise RateLimitedError(
            f"stopped early: {result.stopped}. Everything read so far is saved; run `{command}` "
            "again to resume",
            retry_after=result.retry_after,
        )


_EXPORTS = ", or ".join(form.label for form in export_formats() if form.label)
_EXPORTS_HELP = f"{_EXPORTS[:1].upper()}{_EXPORTS[1:]} (an archive may also be an unpacked folder)."


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help=_EXPORTS_HELP,
            show_default=False,
        ),
    ],
    directory: DirOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Import an official export into the backup folder, beside the API backups.

    Posts already in the backup are kept; importing the same file twice changes nothing.
    """
    from crosspost.backup.importer import import_export
    from crosspost.backup.store import BackupStore

    root = backup_root(directory, load_config(config, required=False))
    if not file.exists():
        raise NotFoundError(f"{file}: no such file or folder: give the export's path ({_EXPORTS})")
    with kept_on_failure(root, "what was imported so far"), progress_bars(quiet) as progress:
        result = import_export(file, BackupStore(root), progress)
    if as_json:
        typer.echo(json.dumps(result.to_json(), sort_keys=True))
        return
    if quiet:
        return
    typer.echo(f"imported {result.kind} {file.name} into {result.folder}")
    typer.echo(f"  posts: {result.new} new, {result.kept} already in the backup (kept)")
    absent = f", {result.media_absent} not in the export" if result.media_absent else ""
    typer.echo(f"  media: {result.media_stored} stored{absent}")
    if result.profile is not None:
        typer.echo(f"  profile: {result.profile}")
    for collection, entries in result.collections.items():
        new = result.collections_new.get(collection, 0)
        typer.echo(f"  {collection}: {entries} in the export, {new} new")
    for line in result.skipped:
        typer.echo(f"  skipped: {line}")


BackupArg = Annotated[
    str | None,
    typer.Argument(
        metavar="BACKUP",
        help="A backup folder (the one holding bluesky/, mastodon/, tumblr/), one account's "
        "folder in it, or an account: its name in the config, handle or DID (default: every "
        "account in the configured backup folder).",
        show_default=False,
    ),
]


@app.command("verify")
def verify(
    target: BackupArg = None,
    directory: DirOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Check a backup: re-hash every media file, parse every post, earlier version, profile and
    collection, and check every reference.

    Lists the problems and exits with code 7 when there is any.
    """
    from crosspost.backup.verify import verify_backup

    chosen = choose_backup(target, directory, config)
    where = chosen.accounts[0].folder if chosen.named and len(chosen.accounts) == 1 else chosen.root
    with progress_bars(quiet) as progress:
        report = verify_backup(chosen.root, progress, chosen.accounts if chosen.named else None)
    if as_json:
        typer.echo(json.dumps(report.to_json(), sort_keys=True))
    elif not quiet or report.problems:
        versions = f" ({report.versions} earlier versions)" if report.versions else ""
        typer.echo(
            f"checked {report.accounts} account(s) in {where}: {report.posts} posts{versions}, "
            f"{report.media_files} media files"
        )
        kept = [f"{n} {kind}" for kind, n in sorted(report.collections.items())]
        if report.profiles or kept:
            profiles = f"{report.profiles} profile{'s' if report.profiles != 1 else ''}"
            typer.echo(f"  also: {', '.join([profiles, *kept])}")
        for count in report.counts:
            kind = "its exact count" if count["exact"] else "an approximate count"
            typer.echo(
                f"  {count['account']}: kept {count['kept']} of the {count['counted']} posts the "
                f"platform counted ({kind}, {str(count['counted_at'])[:10]})"
            )
        for note in report.notes:
            typer.echo(f"  note: {note}")
        for problem in report.problems:
            typer.echo(f"  problem: {problem}")
    if report.problems:
        raise DataError(f"{len(report.problems)} problem(s) found in {where}")
    if not as_json and not quiet:
        typer.echo("no problems found")


# --- helpers -------------------------------------------------------------------------------------


def choose_backup(target: str | None, directory: Path | None, config: Path | None) -> Chosen:
    """The backup a command means: a path (a root or one account's folder), else an account
    named in the config or by handle or DID inside the backup folder, else that whole folder."""
    from crosspost.backup.locate import Chosen, choose, find_accounts
    from crosspost.errors import ConfigError

    loaded = load_config(config, required=False)
    if target is not None and (Path(target).expanduser().exists() or "/" in target):
        path = Path(target).expanduser()
        _is_backup_folder(path, "as BACKUP")
        return choose(path)
    root = backup_root(directory, loaded)
    _is_backup_folder(root, "with --dir")
    if target is None:
        return choose(root)
    platform, name = None, target
    try:
        account = loaded.account(target)
        platform, name = account.platform, account.identity
    except ConfigError:
        pass
    found = find_accounts(root, name, platform)
    if not found and platform is not None:
        found = find_accounts(root, target)
    if not found:
        raise NotFoundError(
            f"no backup of {target} in {root}. Run `crosspost backup {target}` first, or give "
            "the backup's folder"
        )
    return Chosen(root, tuple(found), True)


def _is_backup_folder(path: Path, given: str) -> None:
    """A missing folder is not malformed data: it is a backup not made yet (often a first
    `crosspost backup` that failed: its own error says why) or a mistyped path."""
    if not path.exists():
        raise NotFoundError(
            f"{path}: no backup here yet: run `crosspost backup ACCOUNT` first (if it failed, "
            f"its error says why), or give the folder it printed {given}"
        )
    if not path.is_dir():
        raise NotFoundError(
            f"{path}: a file, not a backup folder: give ({given}) the folder `crosspost backup` "
            "printed"
        )


def backup_root(directory: Path | None, config: Config) -> Path:
    """--dir, else the config's backup_dir, else <user data dir>/backup."""
    if directory is not None:
        root = directory.expanduser()
        if root.exists() and not root.is_dir():
            raise FilesError(f"{root}: a file, not a folder: give a folder for the backups (--dir)")
        return root
    if config.backup_dir is not None:
        return config.backup_dir
    from platformdirs import user_data_path

    return user_data_path("crosspost", appauthor=False) / "backup"


def parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (expected YYYY-MM-DD or ISO 8601)", param_hint="--since"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def describe_backup(result: BackupResult, account: str) -> str:
    counts = result.counts
    status = "complete" if result.complete else "stopped early"
    resumed = ", resumed" if result.resumed else ""
    lines = [
        f"backed up {account} ({result.mode}{resumed}, {status}) into {result.folder}",
        f"  posts: {counts['listed']} listed, {counts['new']} new, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['deleted']} marked deleted",
        f"  media: {counts['media_downloaded']} downloaded ({_size(counts['media_bytes'])}), "
        f"{counts['media_missing']} missing"
        + (f", {counts['media_skipped']} skipped (--no-media)" if counts["media_skipped"] else ""),
        f"  API calls: {counts['list_calls']} list, {counts['post_calls']} post, "
        f"{counts['media_calls']} media" + _account_calls(counts),
    ]
    lines += _account_data_lines(result)
    if counts["versions_kept"]:
        lines.insert(2, f"  earlier versions kept: {counts['versions_kept']} (edited posts)")
    if counts["restored"]:
        lines.insert(2, f"  restored: {counts['restored']} posts set aside by `crosspost repair`")
    if counts["older_than_since"]:
        lines.insert(2, f"  skipped {counts['older_than_since']} posts older than --since")
    if hidden := counts["not_checked"]:
        lines.insert(
            2,
            f"  {hidden} private {'post' if hidden == 1 else 'posts'} (drafts, queue, "
            "followers-only) not checked for deletion: this run read as the public",
        )
    return "\n".join(lines)


def _account_calls(counts: Counter[str]) -> str:
    named = (("profile_calls", "profile"), ("collection_calls", "collections"),
             ("history_calls", "edit history"))  # fmt: skip
    return "".join(f", {counts[key]} {label}" for key, label in named if counts[key])


def _account_data_lines(result: BackupResult) -> list[str]:
    """The profile and each collection: one line each, and what could not be read, and why."""
    data = result.account_data
    lines = []
    if data.profile is not None:
        names = [m.split(":", 1)[0] for m in data.profile_media_missing]
        missing = f"; {' and '.join(names)} not stored (the next run tries again)" if names else ""
        lines.append(f"  profile: {data.profile}{missing}")
    for kind, counts in data.collections.items():
        kept, new = counts.get("entries", 0), counts.get("new", 0)
        if counts.get("not_reread"):
            lines.append(f"  {kind}: {kept} kept (read in the last day; --full reads them now)")
            continue
        removed = f", {counts['removed']} removed" if counts.get("removed") else ""
        lines.append(f"  {kind}: {kept} kept, {new} new{removed}")
    for kind, reason in data.unavailable.items():
        lines.append(f"  {kind}: not backed up: {reason}")
    for kind, reason in data.failed.items():
        lines.append(f"  {kind}: could not be read this time: {reason}")
    return lines


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def _same_command(
    account: str,
    directory: Path | None,
    full: bool,
    no_media: bool,
    since: str | None,
    only: str | None = None,
) -> str:
    parts = ["crosspost backup", account]
    if directory is not None:
        parts.append(f"--dir {directory}")
    parts += [flag for flag, on in (("--full", full), ("--no-media", no_media)) if on]
    if since:
        parts.append(f"--since {since}")
    if only:
        parts.append(f"--only {only}")
    return " ".join(parts)
