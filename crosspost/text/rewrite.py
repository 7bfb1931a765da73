"""Rewriting a rich text: edits that replace parts of it while its spans move along, the
link/mention/tag spans a text keeps whole, list markers, and mentions and tags written the way
fediverse servers link them ("@user@host", "#name").

Shared by the plain-text and the HTML/Markdown writers. Mention handles follow the fediverse's
profile URLs (https://docs.joinmastodon.org/spec/webfinger/).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crosspost.model import ATOMIC_SPAN_KINDS, RichText, Span, SpanKind
from crosspost.text.urls import is_hashtag_name, mention_handle


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace text[start:end] by `text` (an insertion when start == end). `atomic`, if set, is
    the link/mention/tag span the new text carries, in offsets relative to `text`."""

    start: int
    end: int
    text: str
    atomic: tuple[int, int, SpanKind, str] | None = None
    order: int = 0


class Rewrite:
    """Edits applied to a text: the new text, the atomic spans, and a map of old positions."""

    def __init__(self, text: str, edits: Iterable[Edit]) -> None:
        ordered = sorted(edits, key=lambda e: (e.start, e.end != e.start, e.order))
        parts: list[str] = []
        self.applied: list[tuple[int, int, int, int]] = []
        self.atomic: list[Span] = []
        cursor = length = 0
        for edit in ordered:
            if edit.start < cursor:
                continue  # overlaps an edit already made: the first one wins
            parts.append(text[cursor : edit.start])
            length += edit.start - cursor
            self.applied.append((edit.start, edit.end, length, length + len(edit.text)))
            if edit.atomic is not None:
                begin, end, kind, value = edit.atomic
                self.atomic.append(Span(length + begin, length + end, kind, value))
            parts.append(edit.text)
            length += len(edit.text)
            cursor = edit.end
        parts.append(text[cursor:])
        self.text = "".join(parts)

    def position(self, old: int, *, is_end: bool) -> int:
        """Where an old offset lands; text inserted exactly there stays outside the span."""
        shift = 0
        for start, end, new_start, new_end in self.applied:
            if start == end:
                if old > start or (old == start and not is_end):
                    shift += new_end - new_start
                    continue
                break
            if old <= start:
                break
            if old < end:
                return new_start + min(old - start, new_end - new_start)
            shift += (new_end - new_start) - (end - start)
        return old + shift

    def spans(self, spans: Iterable[Span]) -> list[Span]:
        """Non-atomic spans moved to the new text (empty ones dropped), plus the atomic ones."""
        moved = list(self.atomic)
        for span in spans:
            if span.kind in ATOMIC_SPAN_KINDS:
                continue
            start = self.position(span.start, is_end=False)
            end = self.position(span.end, is_end=True)
            if end > start:
                moved.append(Span(start, end, span.kind, span.value))
        return sorted(moved, key=lambda s: (s.start, -s.end, s.kind.value, s.value))


def atomic_spans(rich: RichText) -> list[Span]:
    """Link, mention and tag spans in text order, without overlaps (the first one wins)."""
    chosen: list[Span] = []
    for span in sorted(rich.spans_of(*ATOMIC_SPAN_KINDS), key=lambda s: (s.start, -s.end)):
        if span.end > span.start and (not chosen or span.start >= chosen[-1].end):
            chosen.append(span)
    return chosen


def mention_edit(span: Span, covered: str) -> Edit:
    """A mention as a handle the server resolves to the same person: "@user@host".

    A bare "@user" would be looked up on the target server and could notify a stranger, so a
    mention that cannot be written with its domain loses its "@"."""
    handle = mention_handle(span.value)
    if covered.startswith("@") and "@" in covered[1:]:
        text = covered
    elif handle and covered[1:].lower() == handle[1:].split("@")[0].lower():
        text = covered + handle[len(covered) :]
    elif handle:
        text = handle
    else:
        return Edit(span.start, span.end, covered.lstrip("@"))
    return Edit(span.start, span.end, text, (0, len(text), SpanKind.MENTION, span.value))


def tag_edit(span: Span, covered: str) -> Edit:
    name = covered.lstrip("#")
    if not is_hashtag_name(span.value) or name.lower() != span.value.lower():
        return Edit(span.start, span.end, covered)
    text = "#" + name
    return Edit(span.start, span.end, text, (0, len(text), SpanKind.TAG, span.value))


def _item_level(value: str) -> tuple[bool, int]:
    kind, _, level = value.partition(":")
    return kind == "ordered", int(level) if level.isdigit() else 0


def list_markers(rich: RichText) -> dict[int, tuple[int, str]]:
    """Start of each list item -> (nesting level, "•" or its number). Numbering runs on while
    items follow one another line by line and restarts after anything else."""
    items = sorted(rich.spans_of(SpanKind.LIST_ITEM), key=lambda s: s.start)
    markers: dict[int, tuple[int, str]] = {}
    counters: dict[int, int] = {}
    previous_end: int | None = None
    for span in items:
        if span.start in markers:
            continue
        if previous_end is None or rich.text[previous_end : span.start] != "\n":
            counters.clear()
        ordered, level = _item_level(span.value)
        counters = {depth: count for depth, count in counters.items() if depth <= level}
        if ordered:
            counters[level] = counters.get(level, 0) + 1
            markers[span.start] = (level, f"{counters[level]}.")
        else:
            counters.pop(level, None)
            markers[span.start] = (level, "•")
        previous_end = span.end
    return markers
