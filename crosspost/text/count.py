"""Counting text as a target counts it: grapheme clusters, UTF-8 bytes, and the characters its
text rules count (a platform's own weighting comes from its registry entry).

Grapheme clusters follow Unicode's extended clusters (https://unicode.org/reports/tr29/), as
Bluesky's 300-grapheme limit does (https://docs.bsky.app/docs/advanced-guides/post-richtext).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from crosspost.model import Limits, RichText

_GRAPHEME = regex.compile(r"\X")


@dataclass(frozen=True, slots=True)
class Measure:
    """How long a text is: grapheme clusters, UTF-8 bytes, and characters as the target counts
    them (its `TextRules.count_chars`; graphemes where it has none)."""

    graphemes: int
    bytes: int
    chars: int


def graphemes(text: str) -> list[str]:
    """The extended grapheme clusters of `text`, in order."""
    return _GRAPHEME.findall(text)  # type: ignore[no-any-return]


def grapheme_count(text: str) -> int:
    if text.isascii():
        return len(text) - text.count("\r\n")  # CR LF is the one ASCII cluster of two
    return len(_GRAPHEME.findall(text))


def grapheme_boundaries(text: str) -> list[int]:
    """Offsets (str indices) where a grapheme cluster starts, plus `len(text)`."""
    if text.isascii() and "\r\n" not in text:
        return list(range(len(text) + 1))
    bounds = [match.start() for match in _GRAPHEME.finditer(text)]
    bounds.append(len(text))
    return bounds


def utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def measure(rich_or_text: RichText | str, limits: Limits, *, content_warning: str = "") -> Measure:
    """Measure a text for one target, as its text rules count it (some count the content
    warning with the text)."""
    text = rich_or_text.text if isinstance(rich_or_text, RichText) else rich_or_text
    count = grapheme_count(text)
    size = utf8_length(text)
    count_chars = limits.text.count_chars
    chars = (
        count if count_chars is None else count_chars(text, limits.url_weight or 0, content_warning)
    )
    return Measure(graphemes=count, bytes=size, chars=chars)


def overflow(size: Measure, limits: Limits) -> str | None:
    """Why a measured text does not fit `limits`, or None when it fits.

    A target whose writer splits long text into blocks itself (`TextRules.one_post`: Tumblr's
    4096 code points are per block) takes a text of any number of characters.
    """
    if limits.max_graphemes is not None and size.graphemes > limits.max_graphemes:
        return f"{size.graphemes} graphemes, over the limit of {limits.max_graphemes}"
    if limits.max_bytes is not None and size.bytes > limits.max_bytes:
        return f"{size.bytes} UTF-8 bytes, over the limit of {limits.max_bytes}"
    if not limits.text.one_post and limits.max_chars is not None and size.chars > limits.max_chars:
        return f"{size.chars} characters, over the limit of {limits.max_chars}"
    return None


def fits(rich_or_text: RichText | str, limits: Limits, *, content_warning: str = "") -> bool:
    return overflow(measure(rich_or_text, limits, content_warning=content_warning), limits) is None
