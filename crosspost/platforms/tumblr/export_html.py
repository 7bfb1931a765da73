"""One post page of Tumblr's blog export (`posts/html/<id>.html`) into a Post. Pure functions.

The page, as readers of real exports parse it (trevoedwards/tumbl app/parsers/legacy_html.py,
aditya-pandya/MMM scripts/import_tumblr_archive.py):

    <body>
      <h1>Title</h1>                       (text posts with a title; often an empty <h1></h1>)
      <img src="../../media/<id>.jpg"/>    (photos: files of the export's media/ folder)
      <div class="caption"><p>...</p></div>
      <div id="footer">
        <span id="timestamp">January 1st, 2020 12:00pm</span>
        <span class="tag">photography</span> ...
      </div>
    </body>

A reblog quotes the reblogged post's page, its own footer included, before the reblog's own
footer: the last footer is the post's. The timestamp names no time zone (the blog's own, as
Tumblr showed it); it is read as UTC, so a date may be off by the blog's UTC offset.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from crosspost.errors import DataError
from crosspost.model import Platform, Post, PostKind, PostRef, Visibility
from crosspost.platforms.tumblr.legacy import html_body

_ORDINAL = re.compile(r"(\d+)(st|nd|rd|th)\b")
_SPACES = re.compile(r"\s+")
_TITLE = re.compile(r"^\s*<h1(?:\s[^>]*)?>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")
_POST_URL = re.compile(r"^/post/([0-9]{3,})(?:/|$)")
_REBLOG_WORDS = re.compile(r"\b(reblogged from|via|source:)\s*$", re.IGNORECASE)
_SOURCES = {"img", "video", "audio", "source", "embed"}


@dataclass
class _Footer:
    start: int
    end: int = -1
    timestamp: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class Page:
    """What one page says, before its media files are matched to the export's."""

    body_html: str  # the body without its footers
    timestamp: str
    tags: list[str]
    local_media: list[str]  # file names in media/, in the page's order
    reblogs: bool  # the page quotes a reblogged post (a footer before its own)
    tumblr_links: list[tuple[str, str]]  # (url, the text just before the link)


class _PageParser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self._lines = [0]
        for number, char in enumerate(source):
            if char == "\n":
                self._lines.append(number + 1)
        self.body: tuple[int, int] = (0, len(source))
        self.footers: list[_Footer] = []
        self.media: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._depth = 0  # open divs inside the footer being read
        self._footer: _Footer | None = None
        self._span = ""  # "timestamp", "tag" or ""
        self._text: list[str] = []
        self._recent = ""  # text seen lately outside footers, for "reblogged from" before a link

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "body":
            self.body = (self._offset() + len(self.get_starttag_text() or ""), self.body[1])
        elif tag == "div" and self._footer is not None:
            self._depth += 1
        elif tag == "div" and values.get("id") == "footer":
            self._footer, self._depth = _Footer(self._offset()), 1
        elif tag == "span" and self._footer is not None:
            classes = values.get("class", "").split()
            self._span = "timestamp" if values.get("id") == "timestamp" else ""
            self._span = "tag" if "tag" in classes else self._span
            self._text = []
        if tag in _SOURCES and self._footer is None and (src := values.get("src")):
            self.media.append(src)
        if tag == "a" and self._footer is None and (href := values.get("href")):
            self.links.append((href, self._recent))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self.body = (self.body[0], self._offset())
        elif tag == "span" and self._footer is not None and self._span:
            text = _SPACES.sub(" ", "".join(self._text)).strip()
            if self._span == "timestamp":
                self._footer.timestamp = text
            elif text:
                self._footer.tags.append(text.removeprefix("#"))
            self._span = ""
        elif tag == "div" and self._footer is not None:
            self._depth -= 1
            if self._depth == 0:
                close = self.source.find(">", self._offset())
                self._footer.end = close + 1 if close >= 0 else len(self.source)
                self.footers.append(self._footer)
                self._footer = None

    def handle_data(self, data: str) -> None:
        if self._footer is not None:
            if self._span:
                self._text.append(data)
            return
        self._recent = (self._recent + data)[-40:]


def read_page(source: str) -> Page:
    """The parts of one post page; never raises on malformed HTML."""
    parser = _PageParser(source)
    with contextlib.suppress(AssertionError, ValueError):
        parser.feed(source)
        parser.close()
    if parser._footer is not None:  # an unclosed footer runs to the end of the body
        parser._footer.end = parser.body[1]
        parser.footers.append(parser._footer)
    start, end = parser.body
    pieces, at = [], start
    for footer in parser.footers:
        if footer.start >= start and footer.end <= max(end, footer.end):
            pieces.append(source[at : footer.start])
            at = max(at, footer.end)
    pieces.append(source[at:end] if at < end else "")
    own = parser.footers[-1] if parser.footers else _Footer(0)
    media = [name for src in parser.media if (name := local_media_name(src))]
    links = [(href, before) for href, before in parser.links if _tumblr_post(href) is not None]
    return Page(
        body_html="".join(pieces).strip(),
        timestamp=own.timestamp,
        tags=own.tags,
        local_media=list(dict.fromkeys(media)),
        reblogs=len(parser.footers) > 1,
        tumblr_links=links,
    )


def local_media_name(src: str) -> str | None:
    """ "1234.jpg" for src="../../media/1234.jpg"; None for a URL elsewhere."""
    if src.startswith(("http://", "https://", "//", "data:")):
        return None
    parts = unquote(src.split("?")[0].split("#")[0]).replace("\\", "/").split("/")
    if len(parts) >= 2 and parts[-2] == "media" and parts[-1] not in ("", ".", ".."):
        return parts[-1]
    return None


def parse_timestamp(text: str) -> datetime:
    """ "January 1st, 2020 12:00pm" (no time zone: read as UTC); DataError when unreadable."""
    cleaned = _ORDINAL.sub(r"\1", _SPACES.sub(" ", text)).strip()
    for layout in ("%B %d, %Y %I:%M%p", "%B %d, %Y %I:%M %p", "%B %d, %Y"):
        with contextlib.suppress(ValueError):
            return datetime.strptime(cleaned, layout).replace(tzinfo=UTC)
    raise DataError(f"the date {text[:60]!r} is not one Tumblr's export writes")


def _tumblr_post(url: str) -> tuple[str, str] | None:
    """(blog, post id) for https://<blog>.tumblr.com/post/<id>[/slug]."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    match = _POST_URL.match(parts.path)
    if parts.scheme not in ("http", "https") or not host.endswith(".tumblr.com") or not match:
        return None
    return host.removesuffix(".tumblr.com"), match[1]


def own_blog(page: Page, post_id: str) -> str | None:
    """The blog a page links to as this post's own address, where it does."""
    for url, _ in page.tumblr_links:
        found = _tumblr_post(url)
        if found is not None and found[1] == post_id:
            return found[0]
    return None


def _reblogged(page: Page, post_id: str) -> PostRef | None:
    """The reblogged post: the first link to another Tumblr post after "reblogged from"/"via",
    else, on a page quoting a reblogged post, the first link to another Tumblr post."""
    candidates = [
        (url, before, found)
        for url, before in page.tumblr_links
        if (found := _tumblr_post(url)) is not None and found[1] != post_id
    ]
    chosen = next((c for c in candidates if _REBLOG_WORDS.search(c[1])), None)
    if chosen is None and page.reblogs and candidates:
        chosen = candidates[0]
    if chosen is None:
        return None
    url, _, (blog, ident) = chosen
    return PostRef(Platform.TUMBLR, blog, ident, url)


def page_post(page: Page, post_id: str, blog: str, file_name: str) -> Post:
    """The Post one page makes, media still to be matched; DataError when it has no date."""
    if not page.timestamp:
        raise DataError("no timestamp in its footer")
    created_at = parse_timestamp(page.timestamp)
    html, title = page.body_html, ""
    if match := _TITLE.match(html):
        title = _SPACES.sub(" ", unescape(_TAGS.sub("", match[1]))).strip()
        html = html[match.end() :]
    body = html_body(html, title)
    repost_of = _reblogged(page, post_id)
    kind = PostKind.REBLOG_WITH_COMMENT if repost_of or page.reblogs else PostKind.ORIGINAL
    url = f"https://{blog}.tumblr.com/post/{post_id}" if blog and "." not in blog else None
    return Post(
        ref=PostRef(Platform.TUMBLR, blog, post_id, url),
        created_at=created_at,
        text=body.text,
        kind=kind,
        title=body.title,
        media=tuple(body.media),  # the page's images on other hosts; its own files come next
        repost_of=repost_of,
        tags=tuple(page.tags),
        visibility=Visibility.PUBLIC,
        unsupported=tuple(body.unsupported),
        raw={
            "tumblr_export": file_name,
            "timestamp": page.timestamp,
            "local_media": list(page.local_media),
        },
    )
