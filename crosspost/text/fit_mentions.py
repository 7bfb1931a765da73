"""Mentions of people on another network: their name as written linked to their profile, or
their plain name, never an @mention that would notify someone else on the target (the target's
writer keeps a shown "@name" from being read as one).

A mention's value names the person (a DID, a profile URL); which network it belongs to and where
its profile is are the registry's to say, through the target's text rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import regex

from crosspost.model import Limits, RichText, Span, SpanKind

# An "@" that starts a word could still become a mention on the target.
_MENTION_SIGN = regex.compile(r"(?<![\p{L}\p{M}\p{Nd}\p{Pc}])[@＠]")


class MentionStyle(StrEnum):
    LINK = "link"  # the name as written ("@staff"), linked to the person's profile
    NAME = "name"  # the name alone, without "@" and without a link


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace text[start:end] with `text`; `span` (offsets relative to the new text) or None."""

    start: int
    end: int
    text: str
    span: Span | None = None


def rewrite_mentions(
    rich: RichText, limits: Limits, style: MentionStyle
) -> tuple[RichText, list[str]]:
    """Turn mentions of people on other networks into links or names; same-network mentions
    stay (the target's `TextRules.mention_is_local` tells them apart). Returns the new text and
    a note per rewritten mention."""
    rules = limits.text
    is_local = rules.mention_is_local or _never
    profile_url = rules.profile_url or _url_itself
    edits: list[Edit] = []
    notes: list[str] = []
    last_end = -1
    for span in sorted(rich.spans_of(SpanKind.MENTION), key=lambda s: s.start):
        if span.start < last_end or is_local(span.value):
            continue
        url = profile_url(span.value) if style is MentionStyle.LINK else None
        # Linked, the name keeps its "@" (a reader sees a mention; the target's writer makes
        # sure it notifies nobody there); alone, it loses it.
        shown = rich.covered(span).strip() if url else _MENTION_SIGN.sub("", rich.covered(span))
        name = shown.strip() or span.value
        link = Span(0, len(name), SpanKind.LINK, url) if url else None
        edits.append(Edit(span.start, span.end, name, link))
        last_end = span.end
        how = f"a link to {url}" if url else "a plain name"
        notes.append(
            f"mention {rich.covered(span)!r} is not on {limits.platform.value}: sent as {how}"
        )
    return apply_edits(rich, edits, drop=frozenset(e.start for e in edits)), notes


def _never(value: str) -> bool:
    return False


def _url_itself(value: str) -> str | None:
    return value if value.startswith(("https://", "http://")) else None


def apply_edits(rich: RichText, edits: Sequence[Edit], drop: frozenset[int]) -> RichText:
    """Apply non-overlapping edits (sorted by start); mention spans starting at `drop` offsets
    are replaced by the edits' own spans, every other span is moved with its text."""
    if not edits:
        return rich
    parts: list[str] = []
    moved: list[tuple[int, int, int]] = []  # (old start, old end, new start) per edit
    last = 0
    length = 0
    for edit in edits:
        parts.append(rich.text[last : edit.start])
        length += edit.start - last
        moved.append((edit.start, edit.end, length))
        parts.append(edit.text)
        length += len(edit.text)
        last = edit.end
    parts.append(rich.text[last:])
    replaced = {
        edit.start: (edit, new_start) for (_, _, new_start), edit in zip(moved, edits, strict=True)
    }
    spans: list[Span] = []
    for s in rich.spans:
        if s.kind is SpanKind.MENTION and s.start in drop:
            edit, new_start = replaced[s.start]
            if edit.span is not None:
                link = edit.span
                spans.append(
                    Span(new_start + link.start, new_start + link.end, link.kind, link.value)
                )
            continue
        start, end = _move(s.start, moved, edits, False), _move(s.end, moved, edits, True)
        spans.append(Span(start, end, s.kind, s.value))
    return RichText("".join(parts), tuple(spans))


def _move(
    offset: int, moved: list[tuple[int, int, int]], edits: Sequence[Edit], is_end: bool
) -> int:
    shift = 0
    for (start, end, new_start), edit in zip(moved, edits, strict=True):
        if offset <= start:
            return offset + shift
        if offset < end:
            return new_start + len(edit.text) if is_end else new_start
        shift = new_start + len(edit.text) - end
    return offset + shift
