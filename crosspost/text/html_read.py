"""Mastodon status HTML -> RichText: paragraphs, mentions, hashtags, links, formatting.

https://docs.joinmastodon.org/entities/Status/
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Any

from crosspost.model import RichText, Span, SpanKind
from crosspost.text.urls import is_url_display

_WS = " \t\n\r\f"
# Formatting newlines between tags mean nothing in HTML; runs of spaces typed by the author do
# (Mastodon shows statuses with white-space: pre-wrap), so only newline runs collapse.
_NEWLINE_RUN = re.compile(r"[ \t]*[\r\n\f][ \t\r\n\f]*")
_SHORTCODE = re.compile(r"\w+")

_INLINE_KINDS = {
    "strong": SpanKind.BOLD,
    "b": SpanKind.BOLD,
    "em": SpanKind.ITALIC,
    "i": SpanKind.ITALIC,
    "del": SpanKind.STRIKE,
    "s": SpanKind.STRIKE,
    "strike": SpanKind.STRIKE,
    "code": SpanKind.CODE,
    "kbd": SpanKind.CODE,
    "samp": SpanKind.CODE,
    "tt": SpanKind.CODE,
    "small": SpanKind.SMALL,
}
_PARAGRAPH_BLOCKS = frozenset(
    {"p", "div", "section", "article", "header", "footer", "aside", "main", "nav", "figure"}
    | {"figcaption", "details", "summary", "address", "center", "dl", "dt", "dd", "table"}
    | {"thead", "tbody", "tfoot", "tr", "hr"}
)
_HEADINGS = frozenset(f"h{n}" for n in range(1, 7))
_SKIPPED = frozenset({"script", "style", "template", "noscript", "head", "title"})
_VOID = frozenset({"br", "img", "hr", "wbr", "input", "meta", "link", "source", "area", "col"})


@dataclass(slots=True)
class _Element:
    """One open tag. `start` is where its span begins, set when its first character lands."""

    tag: str
    kind: SpanKind | None = None
    value: str = ""
    block: bool = False
    start: int | None = None
    href: str | None = None
    classes: frozenset[str] = frozenset()
    rel: frozenset[str] = frozenset()


class _Builder:
    """Accumulates clean text and spans; whitespace and breaks wait until real text follows."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.pending_ws = ""
        self.pending_break = 0
        self.boundary = False
        self.spans: list[Span] = []
        self.stack: list[_Element] = []

    def text(self) -> str:
        joined = "".join(self.parts)
        self.parts = [joined]
        return joined

    def at_line_start(self) -> bool:
        return self.length == 0 or (self.parts[-1].endswith("\n") if self.parts else True)

    def brk(self, level: int, *, boundary: bool) -> None:
        self.pending_break = min(2, max(self.pending_break, level))
        self.boundary = self.boundary or boundary
        self.pending_ws = ""

    def line_break(self) -> None:
        self.pending_break = min(2, self.pending_break + 1)
        self.pending_ws = ""

    def add(self, data: str, *, raw: bool = False) -> None:
        if not data:
            return
        if raw:
            core = data.rstrip("\n")
            if core:
                self._flush_pending()
                self._write(core)
                self.pending_ws = data[len(core) :]
            else:
                self.pending_ws += data
            return
        core = data.lstrip(_WS)
        lead = data[: len(data) - len(core)]
        stripped = core.rstrip(_WS)
        trail = core[len(stripped) :]
        if not stripped:
            if not self.at_line_start() or self.pending_break:
                self.pending_ws += data
            return
        self.pending_ws += lead
        self._flush_pending()
        self._write(stripped)
        self.pending_ws = trail

    def _flush_pending(self) -> None:
        if self.pending_break and self.length:
            if self.boundary:
                self.close_segments()
            self._put("\n" * self.pending_break)
        elif self.pending_ws and not self.at_line_start():
            self._put(self.pending_ws)
        self.pending_break, self.boundary, self.pending_ws = 0, False, ""

    def _write(self, core: str) -> None:
        for element in self._segment_owners():
            if element.start is None:
                element.start = self.length
        self._put(core)

    def _put(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.length += len(chunk)

    def _segment_owners(self) -> list[_Element]:
        """Elements whose span grows with new text: every inline one, and for blocks only the
        innermost list item and heading and the outermost quote (block spans cover one line)."""
        owners: list[_Element] = []
        seen: set[SpanKind] = set()
        for element in reversed(self.stack):
            if not element.block:
                owners.append(element)
            elif element.kind is not None and element.kind not in seen:
                seen.add(element.kind)
                if element.kind is not SpanKind.QUOTE:
                    owners.append(element)
        for element in self.stack:
            if element.kind is SpanKind.QUOTE:
                owners.append(element)  # the outermost quote only
                break
        return owners

    def close_segments(self) -> None:
        for element in self.stack:
            if element.block:
                self.finish(element)

    def finish(self, element: _Element) -> None:
        if element.kind is not None and element.start is not None and self.length > element.start:
            self.spans.append(Span(element.start, self.length, element.kind, element.value))
        element.start = None

    def replace_tail(self, position: int, text: str) -> None:
        """Rewrite everything after `position` (a shortened URL shown in full)."""
        self.parts = [self.text()[:position], text]
        self.length = position + len(text)
        self.spans = [s for s in self.spans if s.end <= position]


class _StatusParser(HTMLParser):
    def __init__(
        self,
        mentions: Sequence[Mapping[str, Any]],
        tags: Sequence[Mapping[str, Any]],
        emojis: Sequence[Mapping[str, Any]],
        drop_class: str = "",
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _Builder()
        self.mentions = mentions
        self.tag_names = {str(t.get("name", "")).lower() for t in tags}
        self.tag_urls = {str(t.get("url", "")) for t in tags if t.get("url")}
        self.emoji_urls = {
            str(e.get(key)): str(e.get("shortcode", ""))
            for e in emojis
            for key in ("url", "static_url")
            if e.get(key)
        }
        self.skipping = 0
        self.pre = 0
        # The element a server added as a fallback for what the post holds anyway (Mastodon's
        # "RE: <link>" of a quote, class quote-inline), while inside it: its tag and depth.
        self.drop_class = drop_class
        self.dropping: list[str] = []

    # --- tags --------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
            return
        if self.dropping:
            if tag == self.dropping[0] and tag not in _VOID:
                self.dropping.append(tag)
            return
        if self.skipping:
            return
        attributes = {name: value or "" for name, value in attrs}
        if self.drop_class and self.drop_class in attributes.get("class", "").split():
            if tag not in _VOID:
                self.dropping.append(tag)
            return
        if tag == "br":
            self.out.line_break()
        elif tag == "img":
            self.out.add(self._image_text(attributes))
        elif tag == "hr":
            self.out.brk(2, boundary=True)
        elif tag not in _VOID:
            self._open(tag, attributes)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.dropping:
            if tag == self.dropping[0]:
                self.dropping.pop()
            return
        if self.skipping:
            return
        stack = self.out.stack
        if not any(element.tag == tag for element in stack):
            return
        while stack:
            element = stack[-1]
            self._close(element)
            stack.pop()
            if element.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.skipping or self.dropping:
            return
        if self.pre:
            pre = next((e for e in reversed(self.out.stack) if e.tag == "pre"), None)
            if pre is not None and pre.start is None:
                data = data.removeprefix("\n")  # HTML drops the newline right after <pre>
            self.out.add(data, raw=True)
        else:
            self.out.add(_NEWLINE_RUN.sub(" ", data))

    def finish(self) -> RichText:
        for element in reversed(self.out.stack):
            self._close(element)
        self.out.stack.clear()
        spans = sorted(self.out.spans, key=lambda s: (s.start, -s.end, s.kind.value, s.value))
        return RichText(self.out.text(), tuple(spans))

    # --- opening and closing -----------------------------------------------------------------

    def _open(self, tag: str, attributes: dict[str, str]) -> None:
        out = self.out
        if tag in ("p", "li"):
            self._close_implied(tag)
        element = _Element(tag, classes=frozenset(attributes.get("class", "").split()))
        if tag in _INLINE_KINDS:
            element.kind = _INLINE_KINDS[tag]
        elif tag == "a":
            element.href = attributes.get("href", "")
            element.rel = frozenset(attributes.get("rel", "").lower().split())
        elif tag in _HEADINGS:
            element.kind, element.value, element.block = SpanKind.HEADING, _level(tag), True
        elif tag == "blockquote":
            element.kind, element.block = SpanKind.QUOTE, True
        elif tag in ("ul", "ol", "menu"):
            element.block = True
        elif tag == "li":
            element.kind, element.value, element.block = SpanKind.LIST_ITEM, self._item(), True
        elif tag == "pre":
            element.kind, element.block = SpanKind.CODE, True
            self.pre += 1
        elif tag in _PARAGRAPH_BLOCKS:
            element.block = True
        if element.block:
            out.brk(self._block_gap(tag), boundary=True)
        out.stack.append(element)

    def _close(self, element: _Element) -> None:
        out = self.out
        if element.tag == "a":
            self._close_anchor(element)
        elif element.tag == "pre":
            self.pre = max(0, self.pre - 1)
            out.pending_ws = ""
            element.block = False  # a code span may hold several lines: it closes only here
            out.finish(element)
        else:
            out.finish(element)
        if element.block or element.tag == "pre":
            out.brk(self._block_gap(element.tag, closing=True), boundary=True)

    def _close_implied(self, tag: str) -> None:
        """`<p>` inside an open `<p>`, `<li>` right inside an open `<li>`: HTML closes the first."""
        for index in range(len(self.out.stack) - 1, -1, -1):
            element = self.out.stack[index]
            if element.tag in ("ul", "ol", "menu", "blockquote", "div"):
                return
            if element.tag == tag:
                while len(self.out.stack) > index:
                    self._close(self.out.stack.pop())
                return

    def _list_depth(self) -> int:
        return sum(1 for e in self.out.stack if e.tag in ("ul", "ol", "menu"))

    def _block_gap(self, tag: str, *, closing: bool = False) -> int:
        """A list item sits one line from its neighbours; a list inside a list likewise."""
        if tag == "li":
            return 1
        if tag in _PARAGRAPH_BLOCKS and self._in_list_item():
            return 1
        if tag in ("ul", "ol", "menu"):
            return 1 if self._list_depth() > (1 if closing else 0) else 2
        return 2

    def _in_list_item(self) -> bool:
        for element in reversed(self.out.stack):  # the innermost block but a paragraph
            if element.block and element.tag != "p":
                return element.tag == "li"
        return False

    def _item(self) -> str:
        lists = [e.tag for e in self.out.stack if e.tag in ("ul", "ol", "menu")]
        kind = "ordered" if lists and lists[-1] == "ol" else "unordered"
        level = max(0, len(lists) - 1)
        return f"{kind}:{level}" if level else kind

    # --- anchors and images ------------------------------------------------------------------

    def _close_anchor(self, element: _Element) -> None:
        out = self.out
        start = element.start
        href = element.href or ""
        if start is None or not href:
            return
        visible = out.text()[start:]
        kind, value = self._classify(element, visible)
        if kind is SpanKind.LINK and visible != href and is_url_display(visible, href):
            out.replace_tail(start, href)
        out.spans.append(Span(start, out.length, kind, value))

    def _classify(self, element: _Element, visible: str) -> tuple[SpanKind, str]:
        href = element.href or ""
        if _is_hashtag(element, visible, self.tag_names, self.tag_urls):
            return SpanKind.TAG, visible[1:] if visible.startswith("#") else visible
        if "mention" in element.classes or visible.startswith("@"):
            for mention in self.mentions:
                if href and href == mention.get("url"):
                    return SpanKind.MENTION, href
            url = _mention_by_name(visible, self.mentions)
            if url or "mention" in element.classes:
                return SpanKind.MENTION, url or href
        return SpanKind.LINK, href

    def _image_text(self, attributes: dict[str, str]) -> str:
        src = attributes.get("src", "")
        if src in self.emoji_urls:
            return f":{self.emoji_urls[src]}:"
        text = attributes.get("alt") or attributes.get("title") or ""
        if text.startswith(":") and text.endswith(":") and len(text) > 2:
            return text
        if "emoji" in attributes.get("class", ""):
            return f":{text}:" if _SHORTCODE.fullmatch(text) else text
        return ""  # a picture inside the text: the status's media carry images, not the text


def _level(tag: str) -> str:
    return "1" if tag == "h1" else "2"


def _is_hashtag(element: _Element, visible: str, names: set[str], urls: set[str]) -> bool:
    if "hashtag" in element.classes:
        return True
    if not visible.startswith("#") or len(visible) < 2:
        return False
    return "tag" in element.rel or visible[1:].lower() in names or element.href in urls


def _mention_by_name(visible: str, mentions: Sequence[Mapping[str, Any]]) -> str:
    """The account URL of a mention written "@user" or "@user@domain" (servers differ in href)."""
    handle = visible.removeprefix("@").lower()
    for mention in mentions:
        names = {str(mention.get("acct", "")).lower(), str(mention.get("username", "")).lower()}
        if handle and handle in names:
            return str(mention.get("url", ""))
    return ""


def richtext_from_html(
    html: str,
    *,
    mentions: Sequence[Mapping[str, Any]] = (),
    tags: Sequence[Mapping[str, Any]] = (),
    emojis: Sequence[Mapping[str, Any]] = (),
    drop_class: str = "",
) -> RichText:
    """A status's `content` HTML as clean text and spans; `mentions`, `tags` and `emojis` are the
    status's own arrays, which name what the links point at. Elements of class `drop_class` are
    left out (a fallback the server wrote for what the post carries anyway). Never raises on
    malformed HTML."""
    parser = _StatusParser(mentions, tags, emojis, drop_class)
    # html.parser gives up on a few broken declarations; keep what it read until then.
    with contextlib.suppress(AssertionError, ValueError):
        tokens = _simple_tokens(html or "")
        if tokens is None:
            parser.feed(html or "")
            parser.close()
        else:
            _replay(parser, tokens)
    return parser.finish()


# The HTML servers write (Mastodon's sanitiser keeps a handful of tags, every attribute quoted)
# is read by one regular expression instead of html.parser, whose tokenizer is most of the
# cost of reading a status. Only markup both read alike takes this way: start tags whose
# attributes are all name="value", end tags without spaces, text without "<". Anything else
# (a comment, a bare "<", a raw-text element such as <script>, an unquoted attribute) goes to
# html.parser, as all of it did before.
_WHITE = "[ \t\n\r\f]"  # html.parser's separators within a tag (\s would also take NBSP)
# A run of text, a simple start or end tag, or a "<" that begins neither (not simple markup).
_SIMPLE_TOKEN = re.compile(
    rf"([^<]+)|<(?:([a-zA-Z][a-zA-Z0-9]*)((?:{_WHITE}+[a-zA-Z_:][-a-zA-Z0-9_:.]*=\"[^\"<>]*\")*)"
    rf"{_WHITE}*(/?)>|/([a-zA-Z][a-zA-Z0-9]*)>)|<"
)
_SIMPLE_ATTRIBUTE = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"<>]*)"')
# Elements html.parser reads as raw text (in some Python versions more than in others).
_RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
    | {"noscript", "plaintext"}
)

# (kind, tag, attributes): kind is "data" (tag holds the text), "start", "startend" or "end".
_Token = tuple[str, str, list[tuple[str, str | None]]]


def _simple_tokens(html: str) -> list[_Token] | None:
    """The events html.parser would report for `html`, or None when it is not simple markup."""
    tokens: list[_Token] = []
    for match in _SIMPLE_TOKEN.finditer(html):
        text, name, attributes, closed, end_name = match.groups()
        if text is not None:
            tokens.append(("data", unescape(text) if "&" in text else text, []))
        elif end_name is not None:
            tokens.append(("end", end_name.lower(), []))
        elif name is None:
            return None  # a "<" html.parser reads otherwise
        else:
            tag = name.lower()
            if tag in _RAW_TEXT:
                return None
            attrs: list[tuple[str, str | None]] = (
                [
                    (key.lower(), unescape(value) if "&" in value else value)
                    for key, value in _SIMPLE_ATTRIBUTE.findall(attributes)
                ]
                if attributes
                else []
            )
            tokens.append(("startend" if closed else "start", tag, attrs))
    return tokens


def _replay(parser: HTMLParser, tokens: list[_Token]) -> None:
    for kind, tag, attrs in tokens:
        if kind == "data":
            parser.handle_data(tag)
        elif kind == "start":
            parser.handle_starttag(tag, attrs)
        elif kind == "startend":
            parser.handle_startendtag(tag, attrs)
        else:
            parser.handle_endtag(tag)
