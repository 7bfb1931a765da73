"""Write the model's RichText as Tumblr NPF text blocks, each within the 4096 code point limit.

NPF spec: https://github.com/tumblr/docs/blob/master/npf-spec.md
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crosspost.model import RichText, Span, SpanKind
from crosspost.platforms.tumblr.npf import (
    BLOCK_SUBTYPES,
    MAX_INDENT_LEVEL,
    NPF_TEXT_LIMIT,
    blog_from_url,
)
from crosspost.platforms.tumblr.richtext_split import split_paragraph
from crosspost.text.urls import is_link_url

# Which subtype wins when one paragraph carries several block spans (NPF allows one).
_SUBTYPE_ORDER = ("heading1", "heading2", "quote", "chat", "quirky", "indented")
_FORMAT_TYPES = {
    SpanKind.BOLD: "bold",
    SpanKind.ITALIC: "italic",
    SpanKind.STRIKE: "strikethrough",
    SpanKind.SMALL: "small",
    SpanKind.LINK: "link",
    SpanKind.MENTION: "mention",
    SpanKind.COLOR: "color",
}
_PARAGRAPH_KINDS = frozenset(kind for kind, _ in BLOCK_SUBTYPES.values())
# Spans of these kinds that cross a unit boundary are kept in every unit they touch.
_INLINE_KINDS = frozenset(_FORMAT_TYPES)


@dataclass(frozen=True, slots=True)
class _Unit:
    """One future text block: a paragraph or a list item, as a range of the RichText."""

    start: int
    end: int
    subtype: str | None = None
    indent_level: int = 0


def npf_from_richtext(
    rich: RichText, *, blogs: Mapping[str, Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """NPF text blocks for a RichText: one per paragraph or list item, split at 4096 code points.

    Block spans become subtypes (and `indent_level`), inline spans become `formatting` ranges
    in code points. TAG and CODE spans have no NPF form and stay plain text. A mention becomes
    a `mention` range when `blogs` holds its blog object (see `mentioned_blogs`) or its value
    is a Tumblr blog URL, and a `link` range otherwise. Empty blocks at either end are left out,
    as Tumblr would trim them.
    """
    known = blogs or {}
    out: list[dict[str, Any]] = []
    for unit in _units(rich):
        text = rich.text[unit.start : unit.end]
        for piece, spans in split_paragraph(text, _unit_spans(rich, unit), NPF_TEXT_LIMIT):
            out.append(_block(piece, unit, _formatting(spans, known)))
    while out and out[0]["text"] == "":
        out.pop(0)
    while out and out[-1]["text"] == "":
        out.pop()
    return out


def _units(rich: RichText) -> list[_Unit]:
    """Paragraphs split on "\\n\\n", except that list-item spans mark their own items."""
    text = rich.text
    units: list[_Unit] = []
    previous_end: int | None = None
    for item in _list_items(rich):
        units.extend(_paragraph_units(rich, previous_end, item.start, before_list=True))
        units.append(item)
        previous_end = item.end
    units.extend(_paragraph_units(rich, previous_end, len(text), before_list=False))
    return units


def _list_items(rich: RichText) -> list[_Unit]:
    items: list[_Unit] = []
    spans = sorted(rich.spans_of(SpanKind.LIST_ITEM), key=lambda span: (span.start, -span.end))
    for span in spans:
        if items and span.start <= items[-1].end:
            continue  # overlaps the previous item, or leaves no room for the "\n" between
        kind, _, level = span.value.partition(":")
        subtype = "ordered-list-item" if kind == "ordered" else "unordered-list-item"
        depth = int(level) if level.isdigit() else 0
        items.append(_Unit(span.start, span.end, subtype, min(depth, MAX_INDENT_LEVEL)))
    return items


def _paragraph_units(
    rich: RichText, previous_end: int | None, stop: int, *, before_list: bool
) -> list[_Unit]:
    after_list = previous_end is not None
    start = 0 if previous_end is None else previous_end
    gap = rich.text[start:stop]
    if (after_list or before_list) and gap in ("", "\n", "\n\n"):
        return []  # only the separator between two list items (or an item and an end)
    if not after_list and not before_list and gap == "":
        return []
    if after_list:
        start += 2 if gap.startswith("\n\n") else 1 if gap.startswith("\n") else 0
    if before_list:
        tail = rich.text[start:stop]
        stop -= 2 if tail.endswith("\n\n") else 1 if tail.endswith("\n") else 0
    units = []
    for piece in rich.text[start:stop].split("\n\n"):
        units.append(_paragraph_unit(rich, start, start + len(piece)))
        start += len(piece) + 2
    return units


def _paragraph_unit(rich: RichText, start: int, end: int) -> _Unit:
    covering = [
        span
        for span in rich.spans
        if span.kind in _PARAGRAPH_KINDS
        and span.start <= start
        and end <= span.end
        and (span.start < span.end or start == end)
    ]
    subtypes = {_subtype(span) for span in covering}
    for subtype in _SUBTYPE_ORDER:
        if subtype in subtypes:
            if subtype != "indented":
                return _Unit(start, end, subtype)
            depth = sum(1 for span in covering if span.kind is SpanKind.INDENTED) - 1
            return _Unit(start, end, subtype, min(depth, MAX_INDENT_LEVEL))
    return _Unit(start, end)


def _subtype(span: Span) -> str | None:
    if span.kind is SpanKind.HEADING:
        return "heading1" if span.value == "1" else "heading2"  # NPF has two levels only
    for subtype, (kind, _) in BLOCK_SUBTYPES.items():
        if span.kind is kind:
            return subtype
    return None


def _unit_spans(rich: RichText, unit: _Unit) -> list[Span]:
    spans = []
    for span in rich.spans:
        start, end = max(span.start, unit.start), min(span.end, unit.end)
        if span.kind in _INLINE_KINDS and start < end:
            spans.append(Span(start - unit.start, end - unit.start, span.kind, span.value))
    return spans


def _block(text: str, unit: _Unit, formatting: list[dict[str, Any]]) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text"}
    if unit.subtype is not None:
        block["subtype"] = unit.subtype
    block["text"] = text
    if unit.indent_level:
        block["indent_level"] = unit.indent_level
    if formatting:
        block["formatting"] = formatting
    return block


def _formatting(spans: list[Span], blogs: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    ranges: list[dict[str, Any]] = []
    for span in spans:
        item: dict[str, Any] = {"start": span.start, "end": span.end}
        if span.kind is SpanKind.MENTION:
            blog = blogs.get(span.value) or blog_from_url(span.value)
            if blog is not None:
                item.update(type="mention", blog=dict(blog))
            elif is_link_url(span.value, mailto=True):
                item.update(type="link", url=span.value)
            else:
                continue
        elif span.kind is SpanKind.LINK:
            if not is_link_url(span.value, mailto=True):
                continue  # a javascript: or data: URL stays text
            item.update(type="link", url=span.value)
        elif span.kind is SpanKind.COLOR:
            item.update(type="color", hex=span.value)
        else:
            item["type"] = _FORMAT_TYPES[span.kind]
        ranges.append(item)
    return _without_same_type_overlaps(sorted(ranges, key=lambda item: item["start"]))


def _without_same_type_overlaps(ranges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The spec: "Overlapping ranges of the same type should be combined or separated".

    Equal ranges (same type and target) that overlap are combined; where targets differ the
    earlier range keeps the overlap and the later one is cut short or dropped.
    """
    kept: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    for item in ranges:
        previous = last.get(item["type"])
        if previous is not None and item["start"] < previous["end"]:
            if _same_target(previous, item):
                previous["end"] = max(previous["end"], item["end"])
                continue
            if item["end"] <= previous["end"]:
                continue
            item = {**item, "start": previous["end"]}
        kept.append(item)
        last[item["type"]] = item
    return sorted(kept, key=lambda item: item["start"])


def _same_target(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(a.get(key) == b.get(key) for key in ("url", "blog", "hex"))
