"""What a migration has left to send on one target, and how long that takes at the target's caps.

The posts left are the ledger's unfinished chunks, planned as the engine plans them (so a thread
counts each of its posts, and media are what the drafts carry); the time is the caps' own pacing
(`caps.Pacer`) from what the ledger already counts in their windows. Sending itself is taken to
cost no time: at a migration's size the caps' waits are what take the days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from crosspost.config import SyncRule
from crosspost.errors import CrosspostError
from crosspost.model import Media, Post
from crosspost.platforms.spec import Cap
from crosspost.state import MirrorStatus
from crosspost.sync.caps import Pacer
from crosspost.sync.context import Publishing, SyncContext

MINUTE, HOUR, DAY = 60.0, 3600.0, 86_400.0


@dataclass
class Outstanding:
    """The rule's chunks on one target: every one the ledger holds (`total`), those on the
    target (`sent`), and, for the rest in the order they go, the media each carries (`sends`)."""

    total: int = 0
    sent: int = 0
    posts: int = 0  # source posts with a chunk left to send
    sends: list[int] = field(default_factory=list)
    cannot: dict[str, int] = field(default_factory=dict)  # posts that cannot be planned, by why
    parts: dict[str, int] = field(default_factory=dict)  # what sent posts leave out, by what

    @property
    def media(self) -> int:
        return sum(self.sends)


def outstanding(
    context: SyncContext, rule: SyncRule, target: str, publishing: Publishing
) -> Outstanding:
    found = Outstanding()
    for entry in context.state.all_entries(rule.name):
        if entry.target == target:
            found.total += 1
            found.sent += entry.status is MirrorStatus.PUBLISHED
    for key, where in context.state.due(rule.name, float("inf")):
        post = context.source(key) if where == target else None
        if post is None:
            continue
        entries = context.state.entries(key, target)
        try:
            planned = context.plan(rule, post, target, publishing, entries[0].first_intent)
        except CrosspostError as error:
            _count(found.cannot, str(error))
            continue
        found.posts += 1
        drafts = planned.drafts
        for entry in entries:
            if entry.status is not MirrorStatus.PUBLISHED:
                found.sends.append(len(drafts[min(entry.chunk, len(drafts) - 1)].media))
        _left_out(post, planned.plan.dropped_tags, [m for d in drafts for m in d.media], found)
    return found


def _left_out(
    post: Post, dropped_tags: tuple[str, ...], kept: list[Media], found: Outstanding
) -> None:
    """What a post planned to be sent leaves out: parts no target takes, media, tags."""
    for item in post.unsupported:
        _count(found.parts, f"{item.kind} ({item.reason})")
    carried = {(m.url, m.local_path) for m in kept}
    for media in post.media:
        if (media.url, media.local_path) not in carried:
            _count(found.parts, f"{media.kind.value} media")
    if dropped_tags:
        _count(found.parts, "tags", len(dropped_tags))


def _count(counts: dict[str, int], what: str, n: int = 1) -> None:
    counts[what] = counts.get(what, 0) + n


def finish_time(
    context: SyncContext, target: str, caps: tuple[Cap, ...], sends: list[int], now: float
) -> float:
    """When the last of `sends` goes out on `target` at `caps`, from `now` (or the end of a
    hold on the target), counting what the ledger holds in the caps' windows."""
    hold = context.state.holds(now).get(target)
    start = max(now, hold[0]) if hold else now
    widest = max((cap.window for cap in caps), default=0.0)
    pacer = Pacer(caps, start, context.state.published_since(target, now - widest))
    finish = start if sends else now
    for media in sends:
        finish = pacer.send(media)
    return finish


def about(seconds: float) -> str:
    """ "about 9 days": a duration as a person plans with it."""
    if seconds < MINUTE:
        return "under a minute"
    for unit, name in ((DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")):
        if seconds >= (2 * unit if unit > MINUTE else unit):
            n = max(1, round(seconds / unit))
            return f"about {n} {name}{'s' if n != 1 else ''}"
    return "about 1 minute"


def caps_text(caps: tuple[Cap, ...]) -> str:
    return ", ".join(f"{cap.limit:,} {cap.what}" for cap in caps) or "no caps"


def when_text(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M UTC")


def progress_line(target: str, left: Outstanding, finish: float, now: float) -> str:
    """What a running migration says after each pass: "N of M sent; about X left at these
    caps"."""
    if not left.sends:
        return f"{target}: {left.sent:,} of {left.total:,} sent; nothing left to send"
    return (
        f"{target}: {left.sent:,} of {left.total:,} sent; {about(finish - now)} left at these "
        f"caps (done about {when_text(finish)})"
    )
