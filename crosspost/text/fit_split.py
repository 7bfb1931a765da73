"""Where a text may be cut to fit a target's post size: paragraphs, sentences, words, graphemes.

Counting follows https://docs.bsky.app/docs/advanced-guides/post-richtext (Bluesky) and
https://docs.joinmastodon.org/user/posting/#text (Mastodon); see `crosspost.text.count`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import pairwise

import regex

from crosspost.errors import UnfittableError
from crosspost.model import ATOMIC_SPAN_KINDS, Limits, RichText, Span
from crosspost.text.count import grapheme_boundaries, grapheme_count

PARAGRAPH, SENTENCE, WORD = 3, 2, 1
# A run of white space between two pieces, or the point after a full-width sentence end (CJK
# text has no spaces to break at).
_BREAK = regex.compile(r"\s+|(?<=[。！？‼⁇⁈⁉][」』）〕】》〉\"'”’]*)(?=\S)")
_SENTENCE_END = regex.compile(r"[.!?…。！？‼⁇⁈⁉][)\]}»›\"'”’」』）]*$")


@dataclass(frozen=True, slots=True)
class Room:
    """What one chunk may hold, per dimension the target counts (None: no limit)."""

    graphemes: int | None
    bytes: int | None
    chars: int | None

    def less(self, graphemes: int, size: int, chars: int) -> Room:
        return Room(
            None if self.graphemes is None else self.graphemes - graphemes,
            None if self.bytes is None else self.bytes - size,
            None if self.chars is None else self.chars - chars,
        )


def room_for(limits: Limits) -> Room:
    if limits.text.one_post:
        return Room(None, None, None)  # the target's writer splits long text itself
    return Room(limits.max_graphemes, limits.max_bytes, limits.max_chars)


@dataclass(frozen=True, slots=True)
class _Break:
    start: int  # where the chunk before it ends
    end: int  # where the chunk after it starts
    level: int


class Layout:
    """One text prepared for cutting: cumulative costs per grapheme and the allowed cuts."""

    def __init__(self, rich: RichText, limits: Limits) -> None:
        text = rich.text
        self.text = text
        self.bounds = grapheme_boundaries(text)
        atomic = [(s.start, s.end) for s in rich.spans if s.kind in ATOMIC_SPAN_KINDS]
        weights: dict[int, tuple[int, int]] = {}
        if limits.text.weighted_runs is not None:
            for run in limits.text.weighted_runs(text, limits.url_weight or 0):
                atomic.append((run.start, run.end))
                weights[run.start] = (run.end, grapheme_count(run.countable))
        self.cum_bytes = _cumulative_bytes(text, self.bounds)
        self.cum_chars = _cumulative_chars(self.bounds, weights)
        blocked = _blocked(atomic, self.bounds)
        self.cuts = [i for i in range(len(self.bounds)) if i not in blocked]
        self.index = {self.bounds[i]: i for i in self.cuts}
        self.breaks = [b for b in _breaks(text) if b.start in self.index and b.end in self.index]
        self.break_starts = [b.start for b in self.breaks]

    def cost(self, start: int, end: int) -> tuple[int, int, int]:
        """(graphemes, bytes, chars) of text[start:end]; both must be allowed cuts."""
        a, b = self.index[start], self.index[end]
        return b - a, self.cum_bytes[b] - self.cum_bytes[a], self.cum_chars[b] - self.cum_chars[a]

    def reach(self, start: int, room: Room) -> int:
        """The furthest allowed cut whose text from `start` fits `room`."""
        a = self.index[start]
        last = len(self.bounds) - 1
        if room.graphemes is not None:
            last = min(last, a + room.graphemes)
        if room.bytes is not None:
            last = min(last, bisect_right(self.cum_bytes, self.cum_bytes[a] + room.bytes) - 1)
        if room.chars is not None:
            last = min(last, bisect_right(self.cum_chars, self.cum_chars[a] + room.chars) - 1)
        cut = self.cuts[bisect_right(self.cuts, last) - 1] if last >= a else a
        return self.bounds[max(cut, a)]

    def skip_space(self, offset: int) -> int:
        """The first allowed cut at or after `offset` that does not start with white space."""
        i = bisect_left(self.cuts, self.index[offset])
        while i + 1 < len(self.cuts) and self._piece(i).isspace():
            i += 1
        return self.bounds[self.cuts[i]]

    def trimmed_end(self) -> int:
        """The last allowed cut before trailing white space."""
        i = len(self.cuts) - 1
        while i > 0 and self._piece(i - 1).isspace():
            i -= 1
        return self.bounds[self.cuts[i]]

    def _piece(self, i: int) -> str:
        return self.text[self.bounds[self.cuts[i]] : self.bounds[self.cuts[i + 1]]]


def split(layout: Layout, room: Room) -> list[tuple[int, int]]:
    """Cut the text into (start, end) pieces, each fitting `room` once trimmed of white space."""
    pieces: list[tuple[int, int]] = []
    end_of_text = layout.trimmed_end()
    start = layout.skip_space(0)
    while start < end_of_text:
        reach = layout.reach(start, room)
        if reach >= end_of_text:
            pieces.append((start, end_of_text))
            break
        if reach <= start:
            raise _unfittable(layout, start, room)
        cut, resume = _choose_cut(layout, start, reach, room)
        pieces.append((start, cut))
        start = layout.skip_space(resume)
    return pieces


def _choose_cut(layout: Layout, start: int, reach: int, room: Room) -> tuple[int, int]:
    """Prefer the strongest break in the second half of the room; else the strongest anywhere,
    unless the word after it could never fit a post either: then cut at a grapheme."""
    lo = bisect_right(layout.break_starts, start)
    hi = bisect_right(layout.break_starts, reach)
    half = start + (reach - start) // 2
    late: _Break | None = None
    anywhere: _Break | None = None
    for brk in reversed(layout.breaks[lo:hi]):
        if brk.start >= half and (late is None or brk.level > late.level):
            late = brk
        if anywhere is None or brk.level > anywhere.level:
            anywhere = brk
    if late is not None:
        return late.start, late.end
    if anywhere is not None and _next_word_fits(layout, anywhere.end, room):
        return anywhere.start, anywhere.end
    return reach, reach


def _next_word_fits(layout: Layout, start: int, room: Room) -> bool:
    following = bisect_right(layout.break_starts, start)
    end = layout.breaks[following].start if following < len(layout.breaks) else len(layout.text)
    return layout.reach(start, room) >= end


def _unfittable(layout: Layout, start: int, room: Room) -> UnfittableError:
    following = bisect_right(layout.break_starts, start)
    end = layout.breaks[following].start if following < len(layout.breaks) else len(layout.text)
    token = layout.text[start:end]
    shown = token if len(token) <= 60 else token[:57] + "..."
    graphemes, size, chars = layout.cost(start, end) if end in layout.index else (0, 0, 0)
    return UnfittableError(
        f"cannot fit {shown!r} into one post: it cannot be cut (a link, mention, tag or one "
        f"grapheme cluster) and needs {graphemes} graphemes, {size} bytes, {chars} characters; "
        f"a post has room for {_room_text(room)}"
    )


def _room_text(room: Room) -> str:
    parts = [
        f"{value} {name}"
        for value, name in ((room.graphemes, "graphemes"), (room.bytes, "bytes"))
        if value is not None
    ]
    if room.chars is not None:
        parts.append(f"{room.chars} characters")
    return ", ".join(parts) or "anything"


def clip(rich: RichText, start: int, end: int) -> list[Span]:
    """The spans of `rich` inside text[start:end], shifted to start at 0; a span that straddles
    either edge keeps the part inside."""
    spans = []
    for span in rich.spans:
        lo, hi = max(span.start, start), min(span.end, end)
        if lo < hi or (span.start == span.end and start <= span.start < end):
            spans.append(Span(lo - start, hi - start, span.kind, span.value))
    return spans


def break_level(text: str, start: int, end: int) -> int:
    gap = text[start:end]
    if "\n\n" in gap:
        return PARAGRAPH
    if "\n" in gap or not gap or _SENTENCE_END.search(text, max(0, start - 12), start):
        return SENTENCE
    return WORD


def _breaks(text: str) -> list[_Break]:
    return [
        _Break(m.start(), m.end(), break_level(text, m.start(), m.end()))
        for m in _BREAK.finditer(text)
        if m.start() > 0 and m.end() < len(text)
    ]


def _blocked(atomic: list[tuple[int, int]], bounds: list[int]) -> set[int]:
    """Grapheme indices strictly inside an atomic range (no cut may fall there)."""
    blocked: set[int] = set()
    for start, end in atomic:
        first = bisect_right(bounds, start)
        last = bisect_left(bounds, end)
        blocked.update(range(first, last))
    return blocked


def _cumulative_bytes(text: str, bounds: list[int]) -> list[int]:
    if text.isascii():
        return list(bounds)
    sizes = [0]
    total = 0
    for a, b in pairwise(bounds):
        total += len(text[a:b].encode("utf-8"))
        sizes.append(total)
    return sizes


def _cumulative_chars(bounds: list[int], weights: dict[int, tuple[int, int]]) -> list[int]:
    """Mastodon's weighted length per grapheme: an entity's weight sits on its first grapheme,
    the rest of it weighs nothing. Without entities this is the grapheme count."""
    if not weights:
        return list(range(len(bounds)))
    sums = [0]
    total = 0
    entity_end = 0
    for offset in bounds[:-1]:
        if offset in weights:
            entity_end, weight = weights[offset]
            total += weight
        elif offset >= entity_end:
            total += 1
        sums.append(total)
    return sums
