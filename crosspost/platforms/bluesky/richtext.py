"""Bluesky rich text: facets with UTF-8 byte offsets <-> the model's RichText, and link display.

https://docs.bsky.app/docs/advanced-guides/post-richtext
(lexicon: https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/richtext/facet.json)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from crosspost.identifiers import is_did, is_handle
from crosspost.model import RichText, Span, SpanKind
from crosspost.text.count import grapheme_count, graphemes
from crosspost.text.detect import (
    MAX_TAG_BYTES,
    MAX_TAG_GRAPHEMES,
    detect_spans,
    find_handle_mentions,
    is_uri,
    is_valid_tag,
)
from crosspost.text.urls import is_link_url

__all__ = [
    "FACET_TYPE",
    "LINK_TYPE",
    "MAX_TAG_BYTES",
    "MAX_TAG_GRAPHEMES",
    "MENTION_TYPE",
    "TAG_TYPE",
    "byte_offset",
    "char_index",
    "detect_spans",
    "facets_from_richtext",
    "find_handle_mentions",
    "grapheme_count",
    "graphemes",
    "is_did",
    "is_handle",
    "is_uri",
    "is_valid_tag",
    "richtext_from_facets",
    "shorten_links_for_display",
]

FACET_TYPE = "app.bsky.richtext.facet"
LINK_TYPE = f"{FACET_TYPE}#link"
MENTION_TYPE = f"{FACET_TYPE}#mention"
TAG_TYPE = f"{FACET_TYPE}#tag"

# feature $type -> (span kind, the feature's key holding the span value)
_FEATURES: dict[str, tuple[SpanKind, str]] = {
    LINK_TYPE: (SpanKind.LINK, "uri"),
    MENTION_TYPE: (SpanKind.MENTION, "did"),
    TAG_TYPE: (SpanKind.TAG, "tag"),
}
_FEATURE_TYPES = {kind: (type_, key) for type_, (kind, key) in _FEATURES.items()}

# The atproto DID syntax (https://atproto.com/specs/did), at most 2 KiB.
_HTTP_SCHEME = re.compile(r"https?://", re.ASCII | re.IGNORECASE)
_ELLIPSIS = "..."  # what the Bluesky app appends (social-app toShortUrl)


def _utf8(text: str) -> bytes:
    # surrogatepass: a lone surrogate in a source post must not crash the conversion.
    return text.encode("utf-8", "surrogatepass")


def byte_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of the str index `index` (clamped to the text)."""
    index = max(0, min(index, len(text)))
    return index if text.isascii() else len(_utf8(text[:index]))


def char_index(text: str, offset: int) -> int | None:
    """The str index at UTF-8 byte offset `offset`; None where the offset falls outside the
    text or inside a character's encoding."""
    return _char_index(text, _utf8(text), offset)


def _char_index(text: str, data: bytes, offset: object) -> int | None:
    if not isinstance(offset, int) or isinstance(offset, bool):
        return None
    if offset < 0 or offset > len(data):
        return None
    if len(data) == len(text):
        return offset
    if offset < len(data) and data[offset] & 0xC0 == 0x80:
        return None  # a continuation byte: the middle of a multi-byte character
    return len(data[:offset].decode("utf-8", "surrogatepass"))


# --- facets -> RichText --------------------------------------------------------------------------


def _span_from_feature(feature: object, start: int, end: int) -> Span | None:
    if not isinstance(feature, Mapping):
        return None
    type_ = feature.get("$type")
    if not isinstance(type_, str) or type_ not in _FEATURES:
        return None  # unknown or untyped: the Bluesky app does not render those either
    kind, key = _FEATURES[type_]
    value = feature.get(key)
    if not isinstance(value, str) or not value:
        return None
    return Span(start, end, kind, value)


def _parse_facet(text: str, data: bytes, facet: object) -> tuple[int, int, list[Span]] | None:
    if not isinstance(facet, Mapping):
        return None
    index = facet.get("index")
    features = facet.get("features")
    if not isinstance(index, Mapping) or not _is_list(features):
        return None
    start = _char_index(text, data, index.get("byteStart"))
    end = _char_index(text, data, index.get("byteEnd"))
    if start is None or end is None or start >= end:
        return None
    spans = [span for f in features if (span := _span_from_feature(f, start, end)) is not None]
    return (start, end, spans) if spans else None


def _is_list(value: object) -> TypeGuard[Sequence[Any]]:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)


def richtext_from_facets(text: str, facets: Sequence[Mapping[str, Any]] | None) -> RichText:
    """A post record's text and `app.bsky.richtext.facet` list as a RichText.

    Facets that cannot be mapped (offsets out of range or inside a character, empty ranges,
    unknown or untyped features) are skipped; where facets overlap, the one starting first is
    kept, as the docs tell renderers to do. The text itself is never changed.
    """
    data = _utf8(text)
    parsed = [p for f in (facets if _is_list(facets) else ()) if (p := _parse_facet(text, data, f))]
    parsed.sort(key=lambda item: item[0])
    spans: list[Span] = []
    cursor = 0
    for start, end, facet_spans in parsed:
        if start >= cursor:
            spans.extend(facet_spans)
            cursor = end
    return RichText(text, tuple(spans))


# --- RichText -> facets --------------------------------------------------------------------------


def _feature_for(span: Span) -> dict[str, Any] | None:
    if span.kind not in _FEATURE_TYPES or span.start >= span.end:
        return None
    valid = {
        SpanKind.LINK: _is_link,
        SpanKind.MENTION: is_did,  # a handle or profile URL would not notify anyone
        SpanKind.TAG: is_valid_tag,
    }[span.kind]
    if not valid(span.value):
        return None
    type_, key = _FEATURE_TYPES[span.kind]
    return {"$type": type_, key: span.value}


def _is_link(value: str) -> bool:
    """A link facet for web and mail links and Bluesky's own at:// URIs only: a `javascript:`
    URI is a valid lexicon "uri" but must never be a link."""
    own = value.lower().startswith("at://") and len(value) > len("at://")
    return is_uri(value) and (own or is_link_url(value, mailto=True))


def facets_from_richtext(rich: RichText) -> list[dict[str, Any]]:
    """The `facets` of a post record for a RichText, as the lexicon and the official SDKs write
    them, sorted by position.

    Only LINK, TAG and MENTION-by-DID spans (with values the lexicon accepts) become facets.
    Spans on the same range share one facet; a span overlapping an earlier facet is left out,
    since Bluesky would drop it anyway.
    """
    by_range: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for span in sorted(rich.spans, key=lambda s: (s.start, -s.end)):
        feature = _feature_for(span)
        if feature is not None:
            features = by_range.setdefault((span.start, span.end), [])
            if feature not in features:
                features.append(feature)
    facets: list[dict[str, Any]] = []
    cursor = 0
    for (start, end), features in by_range.items():
        if start < cursor:
            continue
        cursor = end
        index = {"byteStart": byte_offset(rich.text, start), "byteEnd": byte_offset(rich.text, end)}
        facets.append({"$type": FACET_TYPE, "index": index, "features": features})
    return facets


# --- display -------------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> int:
    """The largest grapheme-cluster boundary in `text` at or before `limit`."""
    cut = 0
    for cluster in graphemes(text):
        if cut + len(cluster) > limit:
            break
        cut += len(cluster)
    return cut


def _display_form(visible: str, url: str, max_chars: int) -> tuple[str, int] | None:
    """The shortened text to show for a link and how many leading characters (the scheme) it
    dropped, or None to leave the link as it is."""
    scheme = _HTTP_SCHEME.match(url)
    if len(visible) <= max_chars or scheme is None:
        return None
    bare = url[scheme.end() :]
    if visible not in (url, bare):
        return None  # the author chose the link text: never rewrite it
    lead = len(visible) - len(bare)
    host, slash, path = bare.partition("/")
    if slash and not path:
        bare = host  # the app shows "example.com/" as "example.com"
    if len(bare) <= max_chars:
        return bare, lead
    # Keep the whole host: a cut host tells the reader nothing about where the link goes.
    cut = _cut(bare, max(max_chars - len(_ELLIPSIS), len(host)))
    return (bare, lead) if cut >= len(bare) else (bare[:cut] + _ELLIPSIS, lead)


def _moved(position: int, old: tuple[int, int], new_end: int, lead: int) -> int:
    start, end = old
    if position <= start:
        return position
    if position >= end:
        return position + new_end - end
    # Inside the link: follow the characters that stay, past the dropped scheme.
    return min(max(position - lead, start), new_end)


def _replace(rich: RichText, old: tuple[int, int], new: str, lead: int) -> RichText:
    """`rich` with text[start:end] replaced by `new`, every span moved to match."""
    start, end = old
    new_end = start + len(new)
    spans = tuple(
        Span(
            _moved(s.start, old, new_end, lead), _moved(s.end, old, new_end, lead), s.kind, s.value
        )
        for s in rich.spans
    )
    return RichText(rich.text[:start] + new + rich.text[end:], spans)


def shorten_links_for_display(rich: RichText, max_chars: int = 30) -> RichText:
    """Where a link shows its own URL and that is longer than `max_chars`, show a short form
    instead (`example.com/very/long/pa...`: no scheme, cut with an ellipsis), as the Bluesky app
    does; the LINK span keeps the full URL as its value and every other span moves along.

    Spans left empty by a cut (formatting inside the removed tail of a URL) are dropped.
    """
    result = rich
    links = [i for i, span in enumerate(rich.spans) if span.kind is SpanKind.LINK]
    # Right to left, so a replacement never moves a link still to be handled.
    for i in sorted(links, key=lambda i: rich.spans[i].start, reverse=True):
        link = result.spans[i]
        shown = _display_form(result.covered(link), link.value, max_chars)
        if shown is not None:
            result = _replace(result, (link.start, link.end), *shown)
    if result is rich:
        return rich
    kept = tuple(
        new
        for new, old in zip(result.spans, rich.spans, strict=True)
        if new.start < new.end or old.start == old.end
    )
    return RichText(result.text, kept)
