"""`crosspost migrate`: a one-shot copy of a whole account (or a backup of one) to another.

Oldest first, so replies and threads resolve; through the same ledger as sync, so a rerun after
a cap or a crash resumes where the last one stopped. Dates are kept where the target allows
(Bluesky `createdAt`, Tumblr `date`); Mastodon cannot backdate, so its posts get a line saying
when and where the original appeared (`date_line`, "" for none). `private` sends every post as
only its author's (Tumblr private posts, Mastodon direct posts), where the target has such posts.

Each pass ends with a note of how far the migration is and how long the rest takes at the
target's caps (`eta`), the same figure `migrate --plan` gives before the move.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crosspost.backup.locate import find_accounts
from crosspost.config import SyncRule, TargetOptions
from crosspost.errors import ConfigError, DataError
from crosspost.model import FitMode, Limits, Platform, Post, PostKind, Visibility
from crosspost.platforms.base import ServerBackdating, Sleeper
from crosspost.platforms.registry import spec
from crosspost.sync.engine import Publishing, SyncEngine
from crosspost.sync.eta import finish_time, outstanding, progress_line
from crosspost.sync.plan import MIGRATION_PREFIX, with_lead_paragraph, with_paragraph
from crosspost.sync.recover import all_posts
from crosspost.sync.report import RuleReport

if TYPE_CHECKING:
    from crosspost.backup.store import AccountBackup

WAIT_STEP = 5.0  # seconds between checks of the stop signal while waiting out a cap
DEFAULT_DATE_LINE = "Originally posted on {platform} on {date:%Y-%m-%d}."
MIGRATED_KINDS = (PostKind.ORIGINAL, PostKind.REPLY, PostKind.QUOTE, PostKind.REBLOG_WITH_COMMENT)


@dataclass(frozen=True, slots=True)
class MigrateOptions:
    from_backup: Path | None = None
    since: datetime | None = None
    until: datetime | None = None
    keep_dates: bool = True
    date_line: str = DEFAULT_DATE_LINE
    visibility: tuple[Visibility, ...] = (Visibility.PUBLIC,)
    private: bool = False  # every post only its author's on the target


def migration_rule(source: str, target: str, options: MigrateOptions) -> SyncRule:
    return SyncRule(
        name=f"{MIGRATION_PREFIX}{source}->{target}",
        source=source,
        targets=(target,),
        kinds=MIGRATED_KINDS,
        visibility=options.visibility,
        since=options.since,
        strip_selecting_tags=False,
        options=TargetOptions(mode=FitMode.THREAD),  # a migration carries the whole text
    )


def migrate(
    engine: SyncEngine, source: str, target: str, options: MigrateOptions = MigrateOptions()
) -> RuleReport:
    rule = migration_rule(source, target, options)
    report = RuleReport(rule.name, dry=engine.dry_run)
    posts = migration_posts(engine, rule, options, report)
    publishing = migration_publishing(engine, target, options, report.notes.append)
    engine.queue(rule, posts, report, publishing=publishing)
    engine.process(rule, report, publishing)
    if not engine.dry_run:
        report.notes.append(progress(engine, rule, target, publishing))
    return report


def migration_posts(
    engine: SyncEngine, rule: SyncRule, options: MigrateOptions, report: RuleReport
) -> list[Post]:
    """The source's posts a migration goes through, oldest first (`report.seen` counts them)."""
    posts = _source_posts(engine, rule, options, report)
    if options.until is not None:
        posts = [p for p in posts if p.created_at <= options.until]
    posts.sort(key=lambda p: (p.created_at, p.ref.id))
    report.seen = len(posts)
    return posts


def migration_publishing(
    engine: SyncEngine,
    target: str,
    options: MigrateOptions,
    note: Callable[[str], object] = lambda said: None,
) -> Publishing:
    """How the drafts are made: dates kept where the target can (its server says, where
    servers of one platform differ: `ServerBackdating`), else the dated line; every post made
    private with `private` (refused, in one line, where the target has no such post). `note`
    hears why the server could not be asked."""
    platform = engine.config.account(target).platform
    entry = spec(platform)
    if options.private and Visibility.PRIVATE not in entry.safe_visibility:
        raise ConfigError(
            f"{target}: {entry.display_name} has no private posts, so --private cannot be kept "
            "there; migrate without it (see `crosspost migrate --plan` for what followers see)"
        )
    backdates = _backdates(engine, target, note)
    dated = not backdates or not options.keep_dates
    return Publishing(
        backdate=options.keep_dates and backdates,
        date_line=_post_change(options, lead=False, dated=dated),
        lead_line=_post_change(options, lead=True, dated=dated),
    )


def progress(engine: SyncEngine, rule: SyncRule, target: str, publishing: Publishing) -> str:
    """ "N of M sent; about X left at these caps" for the migration's target."""
    now = engine.clock()
    left = outstanding(engine.context, rule, target, publishing)
    caps = engine.context.caps.get(engine.config.account(target).platform, ())
    return progress_line(
        target, left, finish_time(engine.context, target, caps, left.sends, now), now
    )


def _backdates(engine: SyncEngine, target: str, note: Callable[[str], object]) -> bool:
    client = engine.client(target, writing=True)
    if isinstance(client, ServerBackdating):
        return client.backdates(note)
    return spec(engine.config.account(target).platform).backdating


def migrate_until_done(
    engine: SyncEngine,
    source: str,
    target: str,
    options: MigrateOptions = MigrateOptions(),
    *,
    sleep: Sleeper,
    each: Callable[[RuleReport], object] = lambda report: None,
) -> RuleReport:
    """`migrate --watch`: migrate, and while a posting cap stops the target, wait until it takes
    posts again (in short steps, so a stop signal ends the wait) and go on. `each` gets every
    pass's report; the last one is returned."""
    report = migrate(engine, source, target, options)
    each(report)
    while report.resume_at is not None and not engine.stop.requested:
        wait = max(report.resume_at - engine.clock(), 1.0)
        while wait > 0 and not engine.stop.requested:
            step = min(WAIT_STEP, wait)
            sleep(step)
            wait -= step
        if engine.stop.requested:
            break
        report = migrate(engine, source, target, options)
        each(report)
    return report


def _source_posts(
    engine: SyncEngine, rule: SyncRule, options: MigrateOptions, report: RuleReport
) -> list[Post]:
    if options.from_backup is None:
        return list(all_posts(engine.client(rule.source), rule.since))
    account = engine.config.account(rule.source)
    folder = _backup_folder(options.from_backup, account.platform, account.identity, account.name)
    return list(folder_posts(folder, account.platform, account.identity))


def _backup_folder(root: Path, platform: Platform, *names: str) -> Path:
    """The account's folder in a backup root: by folder name, the handle or DID its manifest
    records (a Bluesky backup is found by handle though its posts name the DID), or `root`
    itself when it is an account's folder."""
    if (root / "posts").is_dir():
        return root
    for name in names:
        found = [b for b in find_accounts(root, name, platform) if b.posts_dir.is_dir()]
        if found:
            return found[0].folder
    raise DataError(
        f"{root}: no backup of {platform.value}:{names[0]} there (expected "
        f"{root}/{platform.value}/<account>/posts, as `crosspost backup` writes)"
    )


def folder_posts(folder: Path, platform: Platform, account: str) -> list[Post]:
    """The backup's posts, their media pointing at the backup's own files (the adapters upload
    a `local_path` that is a file, else download the original URL, which may be gone)."""
    from crosspost.backup.store import AccountBackup

    backup = AccountBackup(folder, platform, account)
    return [_with_backup_files(backup, p) for p in backup.iter_posts() if not p.deleted]


def _with_backup_files(backup: AccountBackup, post: Post) -> Post:
    from crosspost.backup.store import media_file

    media = []
    for item in post.media:
        path = media_file(backup, item.local_path)
        kept = path is not None and path.is_file()
        media.append(dataclasses.replace(item, local_path=str(path) if kept else None))
    return post.with_changes(media=tuple(media)) if post.media else post


def _post_change(
    options: MigrateOptions, *, lead: bool, dated: bool
) -> Callable[[Post, Limits], Post] | None:
    """What is changed in a post before it is fitted: made private (`options.private`), and
    the dated line added where dates are not kept: after its text, or (`lead`) before it, which
    is what a post that becomes a thread gets, so the line is in its first post."""
    line = _date_line(options, lead=lead) if dated else None
    if not options.private:
        return line

    def change(post: Post, limits: Limits) -> Post:
        private = post.with_changes(visibility=Visibility.PRIVATE)
        return line(private, limits) if line is not None else private

    return change


def _date_line(options: MigrateOptions, *, lead: bool) -> Callable[[Post, Limits], Post] | None:
    """The dated line added to a post, after its text or (`lead`) before it."""
    if not options.date_line:
        return None
    template = options.date_line

    def add(post: Post, limits: Limits) -> Post:
        name = spec(post.ref.platform).display_name
        line = template.format(platform=name, date=post.created_at)
        return with_lead_paragraph(post, line) if lead else with_paragraph(post, line)

    return add
