"""Recovery from outside the ledger: rebuild it from the markers mirrors carry, check a target
the ledger has no record of before the first post there (a new, lost, emptied ledger), and adopt
posts the user cross-posted by hand before crosspost ran.

Markers (see each adapter): Bluesky records carry a `dev.crosspost.origin` field (with the
idempotency key, so the chunk is known exactly); Tumblr mirrors name their source in
`source_url`; Mastodon mirrors end with "Crossposted from <URL>". Where the chunk number is not
written, it follows from the reply chain: the first chunk replies to nothing of the group. A
thread found unfinished (fewer chunks than its source needs now) gets the missing chunks as
intents, which the next sync publishes in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from crosspost.config import SyncRule
from crosspost.errors import CrosspostError
from crosspost.model import Platform, Post, PostRef, SpanKind
from crosspost.platforms.base import PlatformClient
from crosspost.platforms.registry import spec
from crosspost.sync.context import SyncContext
from crosspost.sync.report import RuleReport

ADOPT_WINDOW = timedelta(days=2)  # how far apart a hand-made cross-post and its source may be
# How much older than its source a mirror may look (clocks disagree; a backdated mirror carries
# its source's date): a target is read for markers down to the oldest source less this.
MIRROR_SLACK = timedelta(days=1)
_CHUNK = re.compile(r"#(\d+)$")
_NUMBERING = re.compile(r"\s*\(\d+/\d+\)\s*$")
_SPACE = re.compile(r"\s+")


def all_posts(client: PlatformClient, stop_before: Any = None) -> Iterator[Post]:
    """Every post of an account, newest first (down to `stop_before`, a datetime, if given)."""
    cursor: str | None = None
    while True:
        page = client.fetch_page(cursor)
        yield from page.posts
        if page.cursor is None or not page.posts:
            return
        if stop_before is not None and min(p.created_at for p in page.posts) < stop_before:
            return
        cursor = page.cursor


def match_keys(ref: PostRef) -> set[str]:
    """Spellings under which a marker may name a post: the platform and the id's last part
    (a Bluesky marker URL names the author by handle, the ref by DID), and the URL."""
    keys = {f"{ref.platform.value}:{ref.id.rsplit('/', 1)[-1]}"}
    if ref.url:
        keys.add(ref.url.split("#", 1)[0].rstrip("/"))
    return keys


def rebuild_ledger(context: SyncContext, rule: SyncRule, report: RuleReport) -> None:
    """Record every mirror found on the rule's targets as published, from their markers."""
    sources: dict[str, Post] = {}
    for post in all_posts(context.client(rule.source), rule.since):
        report.seen += 1
        for key in match_keys(post.ref):
            sources[key] = post
    for target in rule.targets:
        groups: dict[str, list[Post]] = {}
        found: dict[str, Post | None] = {}
        for mirror in all_posts(context.client(target)):
            if mirror.origin is None:
                continue
            source = next((sources[k] for k in match_keys(mirror.origin) if k in sources), None)
            key = source.ref.key if source else mirror.origin.key
            groups.setdefault(key, []).append(mirror)
            found[key] = source
        report.reconciled += _record_found(context, rule, target, groups, found)


def reconcile_target(
    context: SyncContext, rule: SyncRule, target: str, selected: Sequence[Post], report: RuleReport
) -> None:
    """Before the first publish of `rule` to a target the ledger has no record of (a first run,
    or a ledger lost, emptied or replaced): read the target's posts down to the oldest selected
    source, and record as published every mirror whose marker names one of them, so nothing is
    posted twice. Says in the report what it read and found."""
    if not selected:
        return
    sources = {key: post for post in selected for key in match_keys(post.ref)}
    oldest = min(post.created_at for post in selected) - MIRROR_SLACK
    groups: dict[str, list[Post]] = {}
    found: dict[str, Post | None] = {}
    read = 0
    for mirror in all_posts(context.client(target), oldest):
        read += 1
        if mirror.origin is None:
            continue
        source = next((sources[k] for k in match_keys(mirror.origin) if k in sources), None)
        if source is None:  # a mirror of a post this run does not publish: not ours to record
            continue
        groups.setdefault(source.ref.key, []).append(mirror)
        found[source.ref.key] = source
    _record_found(context, rule, target, groups, found)
    report.checked.append((target, read, len(groups)))
    report.notes.append(
        f"{target}: new to the ledger for this rule, so its {read} latest posts were read for "
        f"crosspost's markers first: {len(groups)} already mirrored"
    )


def _record_found(
    context: SyncContext,
    rule: SyncRule,
    target: str,
    groups: Mapping[str, list[Post]],
    found: Mapping[str, Post | None],
) -> int:
    """Record the mirrors found on `target`, grouped by source key, as published: how many."""
    recorded = 0
    for key, mirrors in groups.items():
        source = found[key]
        if source is not None:
            context.state.save_source(source, rule.name)
        ordered = order_chunks(mirrors)
        chunks = max(_chunks_now(context, rule, source, target), len(ordered))
        for chunk, mirror in ordered:
            context.state.record_published(
                key,
                target,
                chunk,
                mirror.ref,
                rule=rule.name,
                chunks=chunks,
                media=len(mirror.media),
                published_at=mirror.created_at.timestamp(),
            )
            recorded += 1
        if chunks > len(ordered):
            # An unfinished thread (a chunk refused, a run stopped): the chunks not found
            # are intents, so the next run publishes them in order, after the last found.
            context.state.record_intents(key, target, chunks, rule.name)
    return recorded


def _chunks_now(context: SyncContext, rule: SyncRule, source: Post | None, target: str) -> int:
    """How many chunks the source post needs on `target` now (0 when it cannot be planned: the
    mirrors found are then taken as the whole)."""
    if source is None:
        return 0
    try:
        return len(context.plan(rule, source, target).drafts)
    except CrosspostError:
        return 0


def order_chunks(mirrors: list[Post]) -> list[tuple[int, Post]]:
    """(chunk number, mirror) in thread order."""
    numbered = [(_marker_chunk(m.ref.platform, m.raw), m) for m in mirrors]
    if all(number is not None for number, _ in numbered):
        return sorted(((n or 0, m) for n, m in numbered), key=lambda item: item[0])
    ids = {m.ref.id for m in mirrors}
    children = {m.reply_to.id: m for m in mirrors if m.reply_to and m.reply_to.id in ids}
    heads = [m for m in mirrors if not (m.reply_to and m.reply_to.id in ids)]
    heads.sort(key=lambda m: (m.created_at, m.ref.id))
    ordered: list[Post] = []
    for head in heads:
        node: Post | None = head
        while node is not None and node not in ordered:
            ordered.append(node)
            node = children.get(node.ref.id)
    ordered += [m for m in mirrors if m not in ordered]
    return list(enumerate(ordered))


def _marker_chunk(platform: Platform, raw: Mapping[str, Any]) -> int | None:
    """The chunk a mirror is, where its marker carries the idempotency key."""
    key = spec(platform).marker_key(raw)
    match = _CHUNK.search(key) if key is not None else None
    return int(match.group(1)) if match else None


# --- adopt ---------------------------------------------------------------------------------------


def _links(post: Post) -> set[str]:
    return {s.value.rstrip("/") for s in post.text.spans_of(SpanKind.LINK) if s.value}


def normalized(post: Post) -> str:
    """The words of a post: no links, hashtags, numbering or case, one space between words."""
    text = post.text.text
    for span in sorted(post.text.spans_of(SpanKind.LINK, SpanKind.TAG), key=lambda s: -s.start):
        text = text[: span.start] + " " + text[span.end :]
    text = _NUMBERING.sub("", text).replace("…", " ")
    return _SPACE.sub(" ", text).strip().casefold()


def is_hand_made_copy(source: Post, candidate: Post) -> bool:
    if candidate.origin is not None or abs(candidate.created_at - source.created_at) > ADOPT_WINDOW:
        return False
    mine, theirs = normalized(source), normalized(candidate)
    if not theirs or not mine:
        return False
    same = mine == theirs or (len(theirs) >= 40 and mine.startswith(theirs))
    allowed = _links(source) | ({source.ref.url.rstrip("/")} if source.ref.url else set())
    return same and _links(candidate) <= allowed


def adopt_existing(
    context: SyncContext, rule: SyncRule, selected: list[Post], report: RuleReport
) -> None:
    """Record hand-made cross-posts of the selected posts instead of posting them again."""
    oldest = min(post.created_at for post in selected) - ADOPT_WINDOW
    for target in rule.targets:
        pending = [p for p in selected if not context.state.has_source(p.ref.key, target)]
        if not pending:
            continue
        candidates = [
            p
            for p in all_posts(context.client(target), oldest)
            if p.origin is None and not context.state.is_mirror(p.ref.key)
        ]
        for source in pending:
            match = next((c for c in candidates if is_hand_made_copy(source, c)), None)
            if match is None:
                continue
            candidates.remove(match)
            context.state.save_source(source, rule.name)
            context.state.record_published(
                source.ref.key,
                target,
                0,
                match.ref,
                rule=rule.name,
                media=len(match.media),
                published_at=match.created_at.timestamp(),
            )
            report.adopted += 1
