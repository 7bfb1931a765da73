"""Daily digests: a day's selected posts gathered into one entry on a target that takes long
posts (a journal), in place of one entry each (rule option `digest = "daily"`).

A day is gathered once it is over in the rule's `digest_timezone`; until then its posts are
held back (the rule's cursor stops before them, so the next run reads them again). A digest is a
source post of its own, saved in the ledger with the keys of the posts it holds, so it is
published through the same exactly-once steps as any post: the same content after a crash, and
looked for on the target before any retry. A post that reaches a day after its digest was made
(a late read) goes into that day's next part, never into nothing and never twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from crosspost.model import Post, PostKind, PostRef, RichText, Span, SpanKind, Visibility
from crosspost.state import Ledger
from crosspost.text.fit_render import join
from crosspost.text.long_form import with_title

DIGEST_MARK = "digest"
MEMBERS = "digest_of"  # raw: the keys of the posts a digest holds


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """The digests to queue for one target, and the oldest post held back for a day not yet
    over (None when none is)."""

    digests: tuple[Post, ...]
    held_from: datetime | None


def plan_digests(
    posts: Sequence[Post], rule: str, target: str, zone: str, now: datetime, ledger: Ledger
) -> DigestPlan:
    """Group `posts` by their local day and visibility; one digest per finished day and
    visibility, holding only the posts no earlier digest of that day holds."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    days: dict[tuple[date, Visibility], list[Post]] = {}
    held: list[datetime] = []
    for post in sorted(posts, key=lambda p: (p.created_at, p.ref.id)):
        day = post.created_at.astimezone(tz).date()
        if day >= today:
            held.append(post.created_at)
            continue
        days.setdefault((day, post.visibility), []).append(post)
    digests = []
    for (day, visibility), members in sorted(days.items(), key=lambda item: item[0][0]):
        made = _parts(ledger, rule, target, members[0], day, visibility)
        taken = {key for part in made for key in _members(part)}
        fresh = [p for p in members if p.ref.key not in taken]
        if fresh:
            digests.append(digest_post(fresh, rule, target, day, visibility, len(made) + 1, tz))
    return DigestPlan(tuple(digests), min(held, default=None))


def digest_id(rule: str, target: str, day: date, visibility: Visibility, part: int) -> str:
    vis = "" if visibility is Visibility.PUBLIC else f":{visibility.value}"
    suffix = "" if part == 1 else f":{part}"
    return f"{DIGEST_MARK}:{rule}:{target}:{day.isoformat()}{vis}{suffix}"


def _parts(
    ledger: Ledger, rule: str, target: str, sample: Post, day: date, visibility: Visibility
) -> list[Post]:
    """The digests already made of this day, in part order."""
    found = []
    for part in range(1, 1000):
        ref = _ref(sample, digest_id(rule, target, day, visibility, part))
        saved = ledger.load_source(ref.key, rule)
        if saved is None:
            break
        found.append(saved)
    return found


def _members(post: Post) -> list[str]:
    keys = post.raw.get(MEMBERS)
    return [str(k) for k in keys] if isinstance(keys, list) else []


def _ref(sample: Post, digest: str) -> PostRef:
    return PostRef(sample.ref.platform, sample.ref.account, digest)


def digest_post(
    members: Sequence[Post],
    rule: str,
    target: str,
    day: date,
    visibility: Visibility,
    part: int,
    tz: ZoneInfo,
) -> Post:
    """One post holding `members` (oldest first): each one's title and text, then a line with
    its time and a link to it; their media in order; every tag once."""
    title = f"Posts of {day.day} {day:%B %Y}" + (f" ({part})" if part > 1 else "")
    text = RichText("")
    for member in members:
        text = _paragraphs(text, with_title(member, member.text))
        text = _paragraphs(text, _posted_line(member, tz))
    warnings = [m.content_warning.strip() for m in members if m.content_warning.strip()]
    return Post(
        ref=_ref(members[0], digest_id(rule, target, day, visibility, part)),
        created_at=max(m.created_at for m in members),
        kind=PostKind.ORIGINAL,
        title=title,
        text=text,
        media=tuple(media for member in members for media in member.media),
        tags=_unique(tag for member in members for tag in member.tags),
        visibility=visibility,
        content_warning="; ".join(dict.fromkeys(warnings)),
        sensitive=any(m.sensitive for m in members),
        labels=_unique(label for member in members for label in member.labels),
        raw={MEMBERS: [m.ref.key for m in members]},
    )


def _paragraphs(first: RichText, second: RichText) -> RichText:
    if not second.text.strip():
        return first
    return join(first, second, "\n\n") if first.text else second


def _posted_line(post: Post, tz: ZoneInfo) -> RichText:
    when = post.created_at.astimezone(tz).strftime("%H:%M")
    url = post.ref.url
    if not url:
        return RichText(f"Posted at {when}.")
    prefix = f"Posted at {when}: "
    return RichText(prefix + url, (Span(len(prefix), len(prefix) + len(url), SpanKind.LINK, url),))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """Each value once, as first written; values differing only in case are one."""
    kept: dict[str, str] = {}
    for value in values:
        kept.setdefault(value.casefold(), value)
    return tuple(kept.values())


def is_digest(post: Post) -> bool:
    return post.ref.id.startswith(DIGEST_MARK + ":")
