"""Which source posts a rule mirrors, and what a target may show of them.

Loop prevention lives here: a post carrying crosspost's origin marker, or recorded in the ledger
as a mirror crosspost made, is never mirrored again. A mirror is never more visible than its
source: a target that cannot keep a post's visibility does not get the post at all.
"""

from __future__ import annotations

from crosspost.config import SyncRule
from crosspost.model import Platform, Post, RichText, Span, SpanKind
from crosspost.platforms.registry import spec
from crosspost.state import Ledger


def _fold(tag: str) -> str:
    return "".join(tag.split()).casefold().lstrip("#")


def skip_reason(post: Post, rule: SyncRule, state: Ledger) -> str | None:
    """Why the rule leaves `post` alone, or None when it is selected."""
    if post.deleted:
        return "deleted"
    if post.origin is not None:
        return "a mirror (origin marker)"
    if state.is_mirror(post.ref.key):
        return "a mirror (in the ledger)"
    if post.kind not in rule.kinds:
        return f"kind {post.kind.value}"
    if post.visibility not in rule.visibility:
        return f"visibility {post.visibility.value}"
    if rule.since is not None and post.created_at < rule.since:
        return "older than since"
    tags = {_fold(tag) for tag in post.tags}
    tags |= {_fold(span.value) for span in post.text.spans_of(SpanKind.TAG)}
    if rule.include_tags and not tags & {_fold(tag) for tag in rule.include_tags}:
        return "no selecting tag"
    if tags & {_fold(tag) for tag in rule.exclude_tags}:
        return "an excluded tag"
    return None


def visible_on(post: Post, platform: Platform) -> bool:
    return post.visibility in spec(platform).safe_visibility


def strip_selecting_tags(post: Post, names: tuple[str, ...]) -> Post:
    """The post without the selecting tags: dropped from `tags`, and from the text where they
    stand among the trailing hashtags (a tag inside a sentence stays, the sentence needs it)."""
    if not names:
        return post
    drop = {_fold(name) for name in names}
    tags = tuple(tag for tag in post.tags if _fold(tag) not in drop)
    return post.with_changes(tags=tags, text=_strip_trailing_tags(post.text, drop))


def _strip_trailing_tags(rich: RichText, drop: set[str]) -> RichText:
    text, spans = rich.text, list(rich.spans)
    tag_spans = sorted((s for s in spans if s.kind is SpanKind.TAG), key=lambda s: -s.start)
    for span in tag_spans:
        if _fold(span.value) not in drop or not _only_tags_after(text, spans, span.end):
            continue
        start = span.start
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        text, spans = _cut(text, spans, start, span.end)
    stripped = text.rstrip()
    spans = [s for s in spans if s.end <= len(stripped)]
    return RichText(stripped, tuple(spans))


def _only_tags_after(text: str, spans: list[Span], end: int) -> bool:
    rest = list(text[end:])
    for span in spans:
        if span.kind is SpanKind.TAG and span.start >= end:
            for index in range(span.start - end, span.end - end):
                rest[index] = " "
    return not "".join(rest).strip()


def _cut(text: str, spans: list[Span], start: int, end: int) -> tuple[str, list[Span]]:
    width = end - start
    kept = []
    for span in spans:
        if span.start >= end:
            kept.append(Span(span.start - width, span.end - width, span.kind, span.value))
        elif span.end <= start:
            kept.append(span)
        elif span.start < start and span.end >= end and span.kind not in (SpanKind.TAG,):
            kept.append(Span(span.start, span.end - width, span.kind, span.value))
    return text[:start] + text[end:], kept
