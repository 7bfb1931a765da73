"""RichText -> the plain text a Mastodon server takes as `status` (it links URLs, @mentions and
#tags itself), with the link, mention and tag spans moved to where they land in that text.

https://docs.joinmastodon.org/methods/statuses/#create
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crosspost.model import ATOMIC_SPAN_KINDS, RichText, Span, SpanKind
from crosspost.text.mastodon_urls import (
    is_hashtag_name,
    is_http_url,
    is_url_display,
    mention_handle,
)

BULLET = "• "
QUOTE_MARK = "> "
INDENT = "  "


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


def _link_edit(span: Span, covered: str, rest: str = "") -> Edit:
    """A link as the server will link it. `rest` is the text after the span up to the next
    link, mention or tag: a label that ends inside a word ("1" of "10") gets its " (URL)" after
    the word, never in the middle of it."""
    url = span.value
    kind = SpanKind.LINK
    if covered == url or (is_url_display(covered, url) and "\n" not in covered):
        return Edit(span.start, span.end, url, (0, len(url), kind, url) if _linked(url) else None)
    if url and url in covered:
        begin = covered.index(url)
        return Edit(span.start, span.end, covered, (begin, begin + len(url), kind, url))
    display = " ".join(covered.split())
    # Spaces around the label stay where they are (dropping them would join it to its
    # neighbours); inside it they become one space.
    lead = covered[: len(covered) - len(covered.lstrip())] if display else covered
    trail = covered[len(covered.rstrip()) :] if display else ""
    tail = ""
    if display and url and not trail and _is_word_char(display[-1]):
        while len(tail) < len(rest) and _is_word_char(rest[len(tail)]):
            tail += rest[len(tail)]
    body = f"{display}{tail} ({url})" if display and url else display or url
    begin = len(lead) + len(body) - len(url) - (1 if display and url else 0)
    atomic = (begin, begin + len(url), kind, url) if url and _linked(url) else None
    return Edit(span.start, span.end + len(tail), lead + body + trail, atomic)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _linked(url: str) -> bool:
    """Mastodon links only http(s) URLs; a span on anything else would be counted as 23."""
    return is_http_url(url) and not any(char.isspace() for char in url)


def _atomic_edit(span: Span, covered: str, rest: str = "") -> Edit:
    if span.kind is SpanKind.MENTION:
        return mention_edit(span, covered)
    if span.kind is SpanKind.TAG:
        return tag_edit(span, covered)
    return _link_edit(span, covered, rest)


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


def _block_edits(rich: RichText, blocked: Sequence[Span]) -> list[Edit]:
    edits: list[Edit] = []
    for span in rich.spans_of(SpanKind.QUOTE):
        starts = [span.start]
        starts += [i + 1 for i in range(span.start, span.end) if rich.text[i] == "\n"]
        edits += [Edit(start, start, QUOTE_MARK) for start in starts]
    for start, (level, marker) in list_markers(rich).items():
        edits.append(Edit(start, start, f"{INDENT * level}{marker} ", order=1))
    # Only at line starts (a block span off its line breaks the model's rules, and a marker
    # there would split a word), and never inside a link, mention or tag.
    text = rich.text
    return [
        e
        for e in edits
        if (e.start == 0 or text[e.start - 1] == "\n")
        and not any(b.start < e.start < b.end for b in blocked)
    ]


def richtext_for_mastodon(rich: RichText) -> RichText:
    """The plain text to send as a Mastodon `status`, keeping only link, mention and tag spans.

    Formatting is lost but the words stay: list items become "• item" / "1. item" lines, quotes
    "> " lines, headings stay on their own line; a link shown as other text becomes
    "text (URL)" so the URL survives; mentions are written "@user@host"."""
    atomic = atomic_spans(rich)
    ends = [s.start for s in atomic[1:]] + [len(rich.text)] * bool(atomic)
    edits = [
        _atomic_edit(span, rich.covered(span), rich.text[span.end : end])
        for span, end in zip(atomic, ends, strict=True)
    ]
    rewrite = Rewrite(rich.text, edits + _block_edits(rich, atomic))
    return RichText(rewrite.text, tuple(sorted(rewrite.atomic, key=lambda s: s.start)))
