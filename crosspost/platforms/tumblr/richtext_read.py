"""Read the text blocks of a Tumblr NPF content list into the model's RichText.

NPF spec: https://github.com/tumblr/docs/blob/master/npf-spec.md
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crosspost.model import RichText, Span, SpanKind
from crosspost.platforms.tumblr.npf import (
    BLOCK_SUBTYPES,
    LIST_SUBTYPES,
    MAX_INDENT_LEVEL,
    PLAIN_FORMATS,
    blog_url,
)

_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def richtext_from_npf(blocks: Sequence[Mapping[str, Any]]) -> RichText:
    """The `text` blocks of an NPF content list as one RichText; other blocks are skipped.

    Paragraphs are joined with "\\n\\n", list items that follow each other directly with "\\n".
    Empty text blocks at either end are dropped, as Tumblr itself trims them when saving
    ("Special Note: Leading and Trailing Empty Text Blocks"); empty blocks inside are kept as
    empty paragraphs. Formatting that is malformed is clipped to the text or dropped; the text
    itself is never dropped. NPF offsets are code points, the same unit as Python `str`
    indices (see `crosspost.platforms.tumblr.npf`), so ranges are taken over unchanged.
    """
    parts: list[str] = []
    spans: list[Span] = []
    position = 0
    previous: tuple[int, bool] | None = None  # (index in content, is a list item)
    for index, block in _kept_text_blocks(blocks):
        text: str = block["text"]
        is_list = block.get("subtype") in LIST_SUBTYPES
        if previous is not None:
            follows_list_item = previous[1] and is_list and previous[0] == index - 1
            separator = "\n" if follows_list_item else "\n\n"
            parts.append(separator)
            position += len(separator)
        parts.append(text)
        spans.extend(_block_spans(block, text, position))
        spans.extend(_inline_spans(block.get("formatting"), len(text), position))
        position += len(text)
        previous = (index, is_list)
    return RichText("".join(parts), tuple(spans))


def mentioned_blogs(blocks: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every mentioned blog object, keyed by the mention value `richtext_from_npf` gives it.

    The model keeps only a profile URL; pass this to `npf_from_richtext(blogs=...)` to write
    the same blog objects (with their UUIDs) back.
    """
    found: dict[str, dict[str, Any]] = {}
    for _, block in _kept_text_blocks(blocks):
        formatting = block.get("formatting")
        for item in formatting if isinstance(formatting, list) else ():
            if isinstance(item, Mapping) and item.get("type") == "mention":
                url = blog_url(item.get("blog"))
                if url is not None:
                    found.setdefault(url, dict(item["blog"]))
    return found


def _kept_text_blocks(blocks: Sequence[Mapping[str, Any]]) -> list[tuple[int, Mapping[str, Any]]]:
    def is_text(block: object) -> bool:
        return (
            isinstance(block, Mapping)
            and block.get("type") == "text"
            and isinstance(block.get("text"), str)
        )

    content = list(blocks)
    first, last = 0, len(content)
    while first < last and is_text(content[first]) and content[first]["text"] == "":
        first += 1
    while last > first and is_text(content[last - 1]) and content[last - 1]["text"] == "":
        last -= 1
    return [(i, content[i]) for i in range(first, last) if is_text(content[i])]


def _block_spans(block: Mapping[str, Any], text: str, offset: int) -> list[Span]:
    subtype = block.get("subtype")
    level = _indent_level(block.get("indent_level"))
    if isinstance(subtype, str) and subtype in LIST_SUBTYPES:
        value = LIST_SUBTYPES[subtype] + (f":{level}" if level else "")
        return [Span(offset, offset + len(text), SpanKind.LIST_ITEM, value)]
    if not isinstance(subtype, str) or subtype not in BLOCK_SUBTYPES:
        return []
    kind, value = BLOCK_SUBTYPES[subtype]
    # A nested blockquote is a quote inside a quote: one INDENTED span per level keeps
    # indent_level without a value the model does not define for INDENTED.
    copies = level + 1 if kind is SpanKind.INDENTED else 1
    spans: list[Span] = []
    for start, stop in _paragraphs(text, offset):
        spans.extend(Span(start, stop, kind, value) for _ in range(copies))
    return spans


def _paragraphs(text: str, offset: int) -> list[tuple[int, int]]:
    """A block span covers one paragraph, so a block whose text holds "\\n\\n" gets several."""
    ranges = []
    start = 0
    for piece in text.split("\n\n"):
        ranges.append((offset + start, offset + start + len(piece)))
        start += len(piece) + 2
    return ranges


def _indent_level(value: object) -> int:
    level = _integer(value)
    return min(max(level, 0), MAX_INDENT_LEVEL) if level is not None else 0


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _inline_spans(formatting: object, length: int, offset: int) -> list[Span]:
    if not isinstance(formatting, list):
        return []
    spans: list[Span] = []
    for item in formatting:
        if not isinstance(item, Mapping):
            continue
        start, end = _integer(item.get("start")), _integer(item.get("end"))
        if start is None or end is None or start > end:
            continue  # a reversed range has no safe reading: drop it, keep the text
        start, end = max(start, 0), min(end, length)
        kind_value = _kind_and_value(item)
        if start < end and kind_value is not None:
            spans.append(Span(offset + start, offset + end, *kind_value))
    return spans


def _kind_and_value(item: Mapping[str, Any]) -> tuple[SpanKind, str] | None:
    kind = item.get("type")
    if isinstance(kind, str) and kind in PLAIN_FORMATS:
        return PLAIN_FORMATS[kind], ""
    if kind == "size" and item.get("size") == "small":
        return SpanKind.SMALL, ""  # an older form of `small` (kotlr's sizeSmall sample)
    if kind == "link":
        url = item.get("url")
        if not isinstance(url, str) or not url.strip():
            return None
        return SpanKind.LINK, _unwrap_redirect(url.strip())
    if kind == "mention":
        url = blog_url(item.get("blog"))
        return (SpanKind.MENTION, url) if url is not None else None
    if kind == "color":
        colour = item.get("hex")
        match = _HEX.fullmatch(colour.strip()) if isinstance(colour, str) else None
        return (SpanKind.COLOR, _six_digits(match.group(1))) if match else None
    return None


def _six_digits(digits: str) -> str:
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return "#" + digits.lower()


def _unwrap_redirect(url: str) -> str:
    """The real target of a t.umblr.com redirect, which Tumblr may put in links it serves."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.hostname != "t.umblr.com" or parts.path != "/redirect":
        return url
    target = parse_qs(parts.query).get("z", [""])[0]
    return target if target.startswith(("http://", "https://")) else url
