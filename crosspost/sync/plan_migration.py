"""`migrate --plan`: what a migration will send, what it cannot carry, and how long it takes.

The plan is the migration itself, run on a throwaway copy of the ledger up to the point of
sending: the same selection, the same fitting into threads, the same media (`eta.outstanding`).
Its time is the target's caps pacing those posts (`caps.Pacer`, the rule the engine stops by),
from what the ledger already counts; so the plan, a running migration's "about X left" and the
real pacing cannot disagree. It also says what the posts do on arrival (`PlatformSpec.arrival`)
and how to keep them quiet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crosspost.model import Platform, Visibility
from crosspost.platforms.registry import spec
from crosspost.platforms.spec import Cap
from crosspost.sync.engine import SyncEngine
from crosspost.sync.eta import about, caps_text, finish_time, outstanding, when_text
from crosspost.sync.migrate import (
    MigrateOptions,
    migration_posts,
    migration_publishing,
    migration_rule,
)
from crosspost.sync.report import RuleReport


@dataclass(frozen=True)
class MigrationPlan:
    source: str
    target: str
    platform: str  # the target's display name
    read: int  # source posts read
    posts: int  # source posts with something left to send
    chunks: int  # posts to send on the target (a thread counts each of its posts)
    media: int  # media to upload
    sent: int  # posts already on the target (the ledger's)
    not_carried: dict[str, int]  # source posts left out, by reason
    left_out: dict[str, int]  # parts of the posts sent that the target does not get, by what
    caps: tuple[Cap, ...]
    start: float
    finish: float  # when the last post goes out at the caps
    arrival: str  # what the posts do on arrival
    quiet: tuple[str, ...] = ()  # the ways to keep them quiet
    problems: tuple[str, ...] = field(default=())  # the target could not be checked, ...

    @property
    def seconds(self) -> float:
        return self.finish - self.start

    def lines(self) -> list[str]:
        """The plan as `migrate --plan` prints it."""
        lines = [
            f"plan: {self.source} -> {self.target} ({self.platform})",
            f"  read {_posts(self.read)}; {self.posts:,} to send, as {self.chunks:,} "
            f"{self.platform} {'post' if self.chunks == 1 else 'posts'} (threads count each), "
            f"with {self.media:,} media",
        ]
        if self.sent:
            lines.append(f"  already sent: {_posts(self.sent)}")
        lines += _counted("not carried", self.not_carried)
        lines += _counted("left out of posts sent", self.left_out)
        time = about(self.seconds) if self.chunks else "nothing to send"
        if not self.caps:
            lines.append(
                f"  {self.platform} publishes no posting limit: should it refuse for a while, "
                "the run stops and says so; run it again later to go on"
            )
        else:
            lines.append(f"  time at {self.platform}'s caps ({caps_text(self.caps)}): {time}")
        if self.chunks and self.caps:
            lines.append(
                f"  done about {when_text(self.finish)}, if run with --watch "
                "(or rerun as caps allow); sending time itself not counted"
            )
        lines += [f"  on arrival: {self.arrival}"] if self.arrival else []
        lines += [f"  to keep it quiet: {way}" for way in self.quiet]
        lines += [f"  problem: {line}" for line in self.problems]
        return lines


def plan_migration(
    engine: SyncEngine, source: str, target: str, options: MigrateOptions | None = None
) -> MigrationPlan:
    """The migration's plan, written nowhere: it runs on a copy of the engine's ledger."""
    options = options or MigrateOptions()
    planner = SyncEngine(
        engine.config,
        engine.state,
        engine.context.factory,
        clock=engine.clock,
        dry_run=True,
        caps=engine.context.caps,
        progress=engine.progress,
    )
    rule = migration_rule(source, target, options)
    report = RuleReport(rule.name, dry=True)
    publishing = migration_publishing(planner, target, options)
    posts = migration_posts(planner, rule, options, report)
    planner.queue(rule, posts, report, publishing=publishing)
    left = outstanding(planner.context, rule, target, publishing)
    platform = engine.config.account(target).platform
    caps = engine.context.caps.get(platform, ())
    now = engine.clock()
    not_carried = dict(report.skipped)
    for why, n in left.cannot.items():
        not_carried[why] = not_carried.get(why, 0) + n
    return MigrationPlan(
        source=source,
        target=target,
        platform=spec(platform).display_name,
        read=report.seen,
        posts=left.posts,
        chunks=len(left.sends),
        media=left.media,
        sent=left.sent,
        not_carried=not_carried,
        left_out=left.parts,
        caps=caps,
        start=now,
        finish=finish_time(planner.context, target, caps, left.sends, now),
        arrival=spec(platform).arrival,
        quiet=_quiet(platform, options),
        problems=tuple(report.stopped)
        + tuple(f"{what}: {why}" for what, _, why in report.failed if what.endswith(" posts")),
    )


def _quiet(platform: Platform, options: MigrateOptions) -> tuple[str, ...]:
    entry = spec(platform)
    if Visibility.PRIVATE not in entry.safe_visibility:
        return (f"{entry.display_name} has {entry.private_posts}",) if entry.private_posts else ()
    if options.private:
        return (f"--private is on: they go as {entry.private_posts}",)
    return (f"--private sends them as {entry.private_posts}",)


def _counted(title: str, counts: dict[str, int]) -> list[str]:
    if not counts:
        return []
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [f"  {title}: " + "; ".join(f"{n:,} {why}" for why, n in ordered)]


__all__ = ["MigrationPlan", "plan_migration"]


def _posts(count: int) -> str:
    return f"{count:,} post" if count == 1 else f"{count:,} posts"
