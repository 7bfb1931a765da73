"""RichText -> HTML or Markdown `status` text for servers that take a `content_type`
(GoToSocial: text/markdown; Akkoma and Pleroma: text/markdown and text/html).

https://docs.joinmastodon.org/methods/statuses/#create
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise
from urllib.parse import quote

from crosspost.model import RichText, Span, SpanKind
from crosspost.text.rewrite import (
    Edit,
    Rewrite,
    atomic_spans,
    list_markers,
    mention_edit,
    tag_edit,
)

_INLINE = (
    SpanKind.LINK,
    SpanKind.MENTION,
    SpanKind.TAG,
    SpanKind.BOLD,
    SpanKind.ITALIC,
    SpanKind.STRIKE,
    SpanKind.SMALL,
    SpanKind.CODE,
)
_HTML_TAGS = {
    SpanKind.BOLD: "strong",
    SpanKind.ITALIC: "em",
    SpanKind.STRIKE: "del",
    SpanKind.SMALL: "small",
    SpanKind.CODE: "code",
}
_MD_MARKS = {SpanKind.BOLD: "**", SpanKind.ITALIC: "*", SpanKind.STRIKE: "~~"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>~|])")
# A line starting like a heading, quote, list item or setext underline would become one.
_MD_LINE_START = re.compile(r"^(\s*)(\d+)?([#>+=.)-])")
_BARE_URL = re.compile(r"https?://\S+")


@dataclass
class _Block:
    kind: str  # "p", "heading" or "list"
    start: int
    end: int
    quote: bool = False
    value: str = ""
    items: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, list value


def _server_ready(rich: RichText, *, anchors: bool) -> RichText:
    """Mentions written "@user@host" and tags "#name", so the server links them itself (their
    spans stay, to keep them out of escaping and markup); with `anchors` the text is left as
    it is and the spans become links in the markup."""
    if anchors:
        return rich
    edits: list[Edit] = []
    for span in atomic_spans(rich):
        if span.kind is SpanKind.MENTION:
            edits.append(mention_edit(span, rich.covered(span)))
        elif span.kind is SpanKind.TAG:
            edits.append(tag_edit(span, rich.covered(span)))
        else:
            edits.append(Edit(span.start, span.end, rich.covered(span), _same(span)))
    rewrite = Rewrite(rich.text, edits)
    return RichText(rewrite.text, tuple(rewrite.spans(rich.spans)))


def _same(span: Span) -> tuple[int, int, SpanKind, str]:
    return (0, span.end - span.start, span.kind, span.value)


def _covering(rich: RichText, kind: SpanKind, start: int, end: int) -> Span | None:
    for span in rich.spans_of(kind):
        if span.start <= start and span.end >= end:
            return span
    return None


def _blocks(rich: RichText) -> list[_Block]:
    blocks: list[_Block] = []
    text = rich.text
    starts = [0] + [m.end() for m in re.finditer(r"\n\n+", text)]
    ends = [m.start() for m in re.finditer(r"\n\n+", text)] + [len(text)]
    items = {(s.start, s.end): s.value for s in rich.spans_of(SpanKind.LIST_ITEM)}
    for start, end in zip(starts, ends, strict=True):
        if start >= end:
            continue
        quote = _covering(rich, SpanKind.QUOTE, start, end) is not None
        heading = _covering(rich, SpanKind.HEADING, start, end)
        if heading is not None:
            blocks.append(_Block("heading", start, end, quote, heading.value))
            continue
        line_start = start
        for line in text[start:end].split("\n"):
            line_end = line_start + len(line)
            value = items.get((line_start, line_end))
            if value is not None:
                if not blocks or blocks[-1].kind != "list" or blocks[-1].end != line_start - 1:
                    blocks.append(_Block("list", line_start, line_end, quote))
                blocks[-1].items.append((line_start, line_end, value))
                blocks[-1].end = line_end
            elif blocks and blocks[-1].kind == "p" and blocks[-1].end == line_start - 1:
                blocks[-1].end = line_end
            else:
                blocks.append(_Block("p", line_start, line_end, quote))
            line_start = line_end + 1
    return blocks


def _inline(
    rich: RichText,
    start: int,
    end: int,
    opener: Callable[[Span], str],
    closer: Callable[[Span], str],
    text_of: Callable[[int, int, Sequence[Span]], str],
) -> str:
    """Render [start, end) with properly nested markup: where spans overlap, the shorter one
    is closed and reopened, longer spans stay outermost and links innermost."""
    spans = [s for s in rich.spans_of(*_INLINE) if s.start < end and s.end > start]
    cuts = sorted({start, end} | {max(start, min(end, p)) for s in spans for p in (s.start, s.end)})
    out: list[str] = []
    stack: list[Span] = []
    for left, right in pairwise(cuts):
        active = [s for s in spans if s.start <= left and s.end >= right]
        keep = 0
        while keep < len(stack) and stack[keep] in active:
            keep += 1
        while len(stack) > keep:
            out.append(closer(stack.pop()))
        rank = {kind: index for index, kind in enumerate(reversed(_INLINE))}
        for span in sorted(active, key=lambda s: (-s.end, rank[s.kind], s.start)):
            if span not in stack:
                out.append(opener(span))
                stack.append(span)
        out.append(text_of(left, right, stack))
    out += [closer(span) for span in reversed(stack)]
    return "".join(out)


# --- HTML ----------------------------------------------------------------------------------------


def _html_open(span: Span, anchors: bool) -> str:
    url = escape(span.value, quote=True)
    if span.kind in (SpanKind.MENTION, SpanKind.TAG) and not anchors:
        return ""
    if span.kind is SpanKind.LINK:
        return f'<a href="{url}" rel="nofollow noopener noreferrer" target="_blank">'
    if span.kind is SpanKind.MENTION:
        return f'<span class="h-card"><a href="{url}" class="u-url mention">'
    if span.kind is SpanKind.TAG:
        href = escape("/tags/" + quote(span.value, safe=""), quote=True)
        return f'<a href="{href}" class="mention hashtag" rel="tag">'
    return f"<{_HTML_TAGS[span.kind]}>"


def _html_close(span: Span, anchors: bool) -> str:
    if span.kind in (SpanKind.MENTION, SpanKind.TAG) and not anchors:
        return ""
    if span.kind is SpanKind.MENTION:
        return "</a></span>"
    if span.kind in (SpanKind.LINK, SpanKind.TAG):
        return "</a>"
    return f"</{_HTML_TAGS[span.kind]}>"


def _html_list(rich: RichText, block: _Block, anchors: bool) -> str:
    out: list[str] = []
    stack: list[str] = []
    for start, end, value in block.items:
        kind, _, depth = value.partition(":")
        tag = "ol" if kind == "ordered" else "ul"
        level = min(int(depth) if depth.isdigit() else 0, len(stack))
        if len(stack) > level:
            while len(stack) > level + 1:
                out += ["</li>", f"</{stack.pop()}>"]
            out.append("</li>")
            if stack[-1] != tag:
                out.append(f"</{stack.pop()}>")
        if len(stack) == level:
            out.append(f"<{tag}>")
            stack.append(tag)
        out.append("<li>" + _html_inline(rich, start, end, anchors))
    while stack:
        out += ["</li>", f"</{stack.pop()}>"]
    return "".join(out)


def _html_inline(rich: RichText, start: int, end: int, anchors: bool) -> str:
    def text_of(left: int, right: int, _: Sequence[Span]) -> str:
        return escape(rich.text[left:right], quote=False).replace("\n", "<br>")

    def opener(span: Span) -> str:
        return _html_open(span, anchors)

    def closer(span: Span) -> str:
        return _html_close(span, anchors)

    return _inline(rich, start, end, opener, closer, text_of)


def html_from_richtext(rich: RichText, *, anchors: bool = False) -> str:
    """HTML for a `content_type: text/html` status (Akkoma, Pleroma); all text is escaped.

    By default mentions and tags are plain "@user@host" / "#tag" text, because the server
    links them itself and only then notifies and indexes. `anchors=True` writes them as
    Mastodon-style links instead (for offline viewing; `richtext_from_html` reads them back)."""
    ready = _server_ready(rich, anchors=anchors)
    out: list[str] = []
    quoted = False
    for block in _blocks(ready):
        if block.quote != quoted:
            out.append("<blockquote>" if block.quote else "</blockquote>")
            quoted = block.quote
        if block.kind == "list":
            out.append(_html_list(ready, block, anchors))
        elif block.kind == "heading":
            tag = "h1" if block.value == "1" else "h2"
            out.append(f"<{tag}>{_html_inline(ready, block.start, block.end, anchors)}</{tag}>")
        else:
            out.append(f"<p>{_html_inline(ready, block.start, block.end, anchors)}</p>")
    if quoted:
        out.append("</blockquote>")
    return "".join(out)


# --- Markdown ------------------------------------------------------------------------------------


def _md_escape(text: str, at_line_start: bool) -> str:
    pieces: list[str] = []
    last = 0
    for match in _BARE_URL.finditer(text):
        pieces.append(_MD_SPECIAL.sub(r"\\\1", text[last : match.start()]))
        pieces.append(match.group())
        last = match.end()
    pieces.append(_MD_SPECIAL.sub(r"\\\1", text[last:]))
    escaped = "".join(pieces)
    if at_line_start:
        escaped = _MD_LINE_START.sub(_escape_line_start, escaped, count=1)
    return escaped


def _escape_line_start(match: re.Match[str]) -> str:
    spaces, digits, mark = match.group(1), match.group(2), match.group(3)
    if digits is None and mark in ".)":
        return match.group()
    if digits is not None and mark not in ".)":
        return match.group()
    return f"{spaces}{digits or ''}\\{mark}"


def _md_fence(code: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * (longest + 1)


def _md_inline(rich: RichText, start: int, end: int, break_mark: str) -> str:
    def opener(span: Span) -> str:
        if span.kind is SpanKind.LINK:
            return "" if rich.covered(span) == span.value else "["
        if span.kind is SpanKind.CODE:
            fence = _md_fence(rich.covered(span))
            return fence + (" " if rich.covered(span).startswith("`") else "")
        return _MD_MARKS.get(span.kind, "")

    def closer(span: Span) -> str:
        if span.kind is SpanKind.LINK:
            if rich.covered(span) == span.value:
                return ""
            return "](" + re.sub(r"[\s()<>]", lambda m: quote(m.group()), span.value) + ")"
        if span.kind is SpanKind.CODE:
            fence = _md_fence(rich.covered(span))
            return (" " if rich.covered(span).endswith("`") else "") + fence
        return _MD_MARKS.get(span.kind, "")

    def text_of(left: int, right: int, stack: Sequence[Span]) -> str:
        chunk = rich.text[left:right]
        if any(s.kind in (SpanKind.CODE, SpanKind.MENTION, SpanKind.TAG) for s in stack) or any(
            s.kind is SpanKind.LINK and rich.covered(s) == s.value for s in stack
        ):
            return chunk.replace("\n", " ")
        lines = chunk.split("\n")
        first = left == start or rich.text[left - 1] == "\n"
        escaped = [_md_escape(line, first or index > 0) for index, line in enumerate(lines)]
        return break_mark.join(escaped)

    return _inline(rich, start, end, opener, closer, text_of)


def _md_block(rich: RichText, block: _Block, markers: dict[int, tuple[int, str]]) -> str:
    if block.kind == "heading":
        hashes = "#" if block.value == "1" else "##"
        return f"{hashes} {_md_inline(rich, block.start, block.end, ' ')}"
    if block.kind == "list":
        lines = []
        for start, end, _ in block.items:
            level, marker = markers.get(start, (0, "•"))
            bullet = "-" if marker == "•" else marker
            lines.append(f"{'    ' * level}{bullet} {_md_inline(rich, start, end, ' ')}")
        return "\n".join(lines)
    return _md_inline(rich, block.start, block.end, "  \n")


def markdown_from_richtext(rich: RichText) -> str:
    """Markdown for a `content_type: text/markdown` status (GoToSocial, Akkoma, Pleroma).

    Plain text is escaped; URLs, "@user@host" mentions and "#tags" are left bare so the
    server links them. A line break inside a paragraph is a Markdown hard break."""
    ready = _server_ready(rich, anchors=False)
    markers = list_markers(ready)
    out: list[str] = []
    for block in _blocks(ready):
        rendered = _md_block(ready, block, markers)
        if block.quote:
            rendered = "\n".join("> " + line for line in rendered.split("\n"))
        out.append(rendered)
    return "\n\n".join(out)
