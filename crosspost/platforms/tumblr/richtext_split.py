"""Split a paragraph too long for one Tumblr NPF text block (4096 code points) into several.

NPF spec: https://github.com/tumblr/docs/blob/master/npf-spec.md
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import pairwise

import regex

from crosspost.model import ATOMIC_SPAN_KINDS, Span
from crosspost.platforms.tumblr.npf import NPF_TEXT_LIMIT
from crosspost.text.count import grapheme_boundaries

# A sentence ends at a terminator (and any closing quotes or brackets) followed by spaces;
# CJK full stops need no space after them.
_SENTENCE_END = regex.compile(
    r"(?:[.!?…‼⁇⁈⁉][\"'”’»)\]]*\s+|[。！？][\"'”’」』)\]]*\s*)", regex.VERSION1
)
_SPACES = regex.compile(r"\s+")


def split_paragraph(
    text: str, spans: Sequence[Span], limit: int = NPF_TEXT_LIMIT
) -> list[tuple[str, list[Span]]]:
    """Pieces of at most `limit` code points that concatenate back to `text`.

    Cuts at the last sentence end in the second half of the room, else the last run of spaces,
    else the last grapheme boundary; never inside a grapheme cluster, nor inside a link,
    mention or tag span unless that span alone is longer than `limit`. The spaces at a cut stay
    at the end of the earlier piece so no character is lost. Spans are clipped to each piece and
    shifted to its offsets; a span across a cut continues in the next piece.
    """
    if len(text) <= limit:
        return [(text, list(spans))]
    boundaries = grapheme_boundaries(text)[1:]  # where each cluster ends
    atomic = [(span.start, span.end) for span in spans if span.kind in ATOMIC_SPAN_KINDS]
    cuts = [0]
    while len(text) - cuts[-1] > limit:
        cuts.append(_cut(text, cuts[-1], limit, boundaries, atomic))
    cuts.append(len(text))
    return [(text[a:b], _clip(spans, a, b)) for a, b in pairwise(cuts)]


def _cut(
    text: str, start: int, limit: int, boundaries: list[int], atomic: list[tuple[int, int]]
) -> int:
    stop = start + limit

    def whole(position: int) -> bool:
        return not any(a < position < b for a, b in atomic)

    graphemes = boundaries[: bisect_right(boundaries, stop)]

    def fits(position: int) -> bool:
        return start < position <= stop and whole(position)

    # A mark may combine with the space before it; the cut then moves past the whole cluster.
    def snap(position: int) -> int:
        index = bisect_left(boundaries, position)
        return boundaries[index] if index < len(boundaries) else position

    sentences = [snap(m.end()) for m in _SENTENCE_END.finditer(text, start, stop)]
    spaces = [snap(m.end()) for m in _SPACES.finditer(text, start, stop)]
    for position in reversed(sentences):
        if position >= start + limit // 2 and fits(position):
            return position
    for position in reversed(spaces):
        if fits(position):
            return position
    for position in reversed(graphemes):
        if fits(position):
            return position
    # Only a link longer than the room, or a single grapheme longer than it, gets here.
    inside = [position for position in graphemes if position > start]
    return inside[-1] if inside else stop


def _clip(spans: Sequence[Span], start: int, stop: int) -> list[Span]:
    clipped = []
    for span in spans:
        a, b = max(span.start, start), min(span.end, stop)
        if a < b:
            clipped.append(Span(a - start, b - start, span.kind, span.value))
    return clipped
