"""Dreamwidth entry HTML -> RichText, media and folds, read the way the site formats bodies.

Dreamwidth's cleaner (cgi-bin/LJ/CleanHTML.pm, `clean_event`) picks a format per entry: the
`editor` prop, else "!markdown" first, else `opt_preformatted` (raw HTML), else `import_source`
or a logtime before 2019-05 (casual HTML without @mentions), else casual HTML with @mentions.
Casual HTML turns every newline outside <pre>, <textarea> and <lj-raw> into <br /> and links
bare URLs. Its own tags (`<lj user>`, `<user name site>`, `<lj-cut>`/`<cut>`, `<lj-embed>`) are
rewritten here into plain HTML that `crosspost.text.html_read` reads; a fold is marked by a
private-use character that is taken out again, leaving its offset.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import Any

from crosspost.model import Media, MediaKind, RichText, Span, Unsupported
from crosspost.platforms.dreamwidth.profiles import profile_url
from crosspost.text.html_read import richtext_from_html

FOLD_MARK = "\ue000"
# CleanHTML.pm's auto-link pattern, and its @mention pattern (convert_user_mentions).
_BARE_URL = re.compile(r"https?://[^\s'\"<>]+[a-zA-Z0-9_/&=\-]")
_AT_MENTION = re.compile(r"(?<![\w/])@([\w\-]+)(?:\.([\w\-.]*[\w\-]))?(?=$|\W)")
_RAW_CONTEXTS = frozenset({"pre", "textarea", "lj-raw"})
_TAG_ALIASES = {"cut": "lj-cut", "user": "lj", "site-embed": "lj-embed", "raw-code": "lj-raw"}
_POLLS = frozenset({"lj-poll", "poll"})


@dataclass(frozen=True, slots=True)
class Fold:
    """A `<cut>`: where the folded text begins in the RichText, and the link's label."""

    at: int
    label: str


@dataclass(slots=True)
class Body:
    text: RichText
    media: list[Media] = field(default_factory=list)
    folds: list[Fold] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Format:
    """How the site formats a body (CleanHTML.pm's %markup_formats)."""

    name: str
    addbreaks: bool
    autolinks: bool
    at_mentions: bool


FORMATS = {
    "html_casual0": Format("html_casual0", True, True, False),
    "html_casual1": Format("html_casual1", True, True, True),
    "html_raw0": Format("html_raw0", False, False, False),
    "markdown0": Format("markdown0", False, False, True),
}


def body_format(props: Mapping[str, Any], logtime: str | None, event: str) -> Format:
    """The format Dreamwidth shows this entry in (LJ::CleanHTML::clean_event's choice)."""
    editor = str(props.get("editor") or "")
    if editor.startswith("markdown"):
        return FORMATS["markdown0"]
    if editor.startswith("html_raw") or editor == "html_extra_raw":
        return FORMATS["html_raw0"]
    if editor == "html_casual0":
        return FORMATS["html_casual0"]
    if editor:  # html_casual1, rte0 and anything newer fall back to the default
        return FORMATS["html_casual1"]
    if re.match(r"^\s*!markdown\s*\r?\n", event, re.IGNORECASE):
        return FORMATS["markdown0"]
    if _true(props.get("opt_preformatted")):
        return FORMATS["html_raw0"]
    if props.get("import_source") or (logtime and logtime < "2019-05"):
        return FORMATS["html_casual0"]
    return FORMATS["html_casual1"]


def _true(value: object) -> bool:
    return str(value).strip() not in ("", "0", "None", "False")


class _Normaliser(HTMLParser):
    """Re-writes a Dreamwidth body as plain HTML, every text and attribute escaped again."""

    def __init__(self, fmt: Format) -> None:
        super().__init__(convert_charrefs=True)
        self.fmt = fmt
        self.out: list[str] = []
        self.open: list[str] = []
        self.media: list[Media] = []
        self.labels: list[str] = []
        self.unsupported: list[Unsupported] = []
        self.fold_pending = False

    def _inside(self, names: frozenset[str] | set[str]) -> bool:
        return any(name in names for name in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, {k: v or "" for k, v in attrs}, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, {k: v or "" for k, v in attrs}, closed=True)

    def _start(self, tag: str, attributes: dict[str, str], *, closed: bool) -> None:
        name = _TAG_ALIASES.get(tag, tag)
        if name == "lj":
            self._mention(attributes)
        elif name == "lj-cut" or (tag == "div" and "ljcut" in attributes.get("class", "").split()):
            self.labels.append(attributes.get("text") or "Read more...")
            self.fold_pending = True
            if tag == "div":
                self._emit_tag("div", {}, closed=closed)
        elif name == "lj-embed":
            self.unsupported.append(
                Unsupported("embed", "an embedded player (lj-embed) other platforms cannot show")
            )
        elif name in _POLLS or name.startswith("lj-poll-"):
            self.unsupported.append(
                Unsupported("poll", "Dreamwidth polls cannot be carried to other platforms")
            )
            self.open.append("skip")
        elif name == "lj-raw":
            self.open.append("lj-raw")
        else:
            if tag == "img":
                self._image(attributes)
            self._emit_tag(tag, attributes, closed=closed)

    def _emit_tag(self, tag: str, attributes: dict[str, str], *, closed: bool) -> None:
        attrs = "".join(f' {k}="{escape(v, quote=True)}"' for k, v in attributes.items())
        self.out.append(f"<{tag}{attrs}{' /' if closed else ''}>")
        if not closed and tag not in ("br", "img", "hr", "wbr", "input"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        name = _TAG_ALIASES.get(tag, tag)
        if name in ("lj", "lj-cut", "lj-embed"):
            return
        if name in _POLLS or name == "lj-raw":
            tag = "skip" if name in _POLLS else "lj-raw"
            if tag in self.open:
                while self.open and self.open.pop() != tag:
                    pass
            return
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if "skip" in self.open:
            return
        raw = self._inside(_RAW_CONTEXTS)
        if self.fold_pending and data.strip():
            lead = len(data) - len(data.lstrip())
            self.out.append(escape(data[:lead], quote=False) + FOLD_MARK)
            data = data[lead:]
            self.fold_pending = False
        self.out.append(self._text(data, raw=raw))

    def _text(self, data: str, *, raw: bool) -> str:
        fmt = self.fmt
        links = fmt.autolinks and not raw and "a" not in self.open
        mentions = fmt.at_mentions and not raw and not self._inside({"a", "code"})
        out: list[str] = []
        last = 0
        for match in _tokens(data, links=links, mentions=mentions):
            out.append(self._plain(data[last : match.start()], raw=raw))
            out.append(self._token(match))
            last = match.end()
        out.append(self._plain(data[last:], raw=raw))
        return "".join(out)

    def _plain(self, text: str, *, raw: bool) -> str:
        escaped = escape(text, quote=False)
        if self.fmt.addbreaks and not raw:
            escaped = re.sub(r"\r?\n", "<br />", escaped)
        return escaped

    def _token(self, match: re.Match[str]) -> str:
        found = match.group()
        if not found.startswith("@"):
            href = escape(found, quote=True)
            return f'<a href="{href}">{escape(found, quote=False)}</a>'
        user, site = match.group(1), match.group(2)
        url = profile_url(user, site)
        if url is None:
            return escape(found, quote=False)
        return f'<a class="mention" href="{escape(url, quote=True)}">{escape(user)}</a>'

    def _mention(self, attributes: dict[str, str]) -> None:
        user = attributes.get("user") or attributes.get("name") or attributes.get("comm") or ""
        url = profile_url(user, attributes.get("site") or None) if user else None
        if url is None:
            self.out.append(escape(user, quote=False))
            return
        self.out.append(f'<a class="mention" href="{escape(url, quote=True)}">{escape(user)}</a>')

    def _image(self, attributes: dict[str, str]) -> None:
        src = attributes.get("src", "")
        if not src.lower().startswith(("http://", "https://")):
            return
        gif = src.lower().split("?")[0].endswith(".gif")
        self.media.append(
            Media(
                MediaKind.GIF if gif else MediaKind.IMAGE,
                url=src,
                alt=attributes.get("alt") or attributes.get("title") or "",
                width=_dimension(attributes.get("width")),
                height=_dimension(attributes.get("height")),
            )
        )


def _tokens(data: str, *, links: bool, mentions: bool) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    if links:
        found += list(_BARE_URL.finditer(data))
    if mentions:
        found += [
            m
            for m in _AT_MENTION.finditer(data)
            if not any(u.start() <= m.start() < u.end() for u in found)
        ]
    return sorted(found, key=lambda m: m.start())


def _dimension(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 100_000 else None


def _without_marks(rich: RichText) -> tuple[RichText, list[int]]:
    """The text with every fold mark taken out, spans moved along, and where each mark was."""
    text = rich.text
    marks = [i for i, char in enumerate(text) if char == FOLD_MARK]
    if not marks:
        return rich, []

    def moved(position: int) -> int:
        return position - sum(1 for m in marks if m < position)

    spans = tuple(
        Span(moved(s.start), moved(s.end), s.kind, s.value)
        for s in rich.spans
        if moved(s.end) > moved(s.start)
    )
    return RichText(text.replace(FOLD_MARK, ""), spans), [m - n for n, m in enumerate(marks)]


def read_body(event: str, fmt: Format) -> Body:
    """An entry's `event` as Dreamwidth shows it: text and spans, images, folds, and what the
    model cannot carry (embeds, polls, Markdown formatting). Never raises on malformed HTML."""
    source = event.replace(FOLD_MARK, "")
    unsupported: list[Unsupported] = []
    if fmt.name == "markdown0":
        source = re.sub(r"^\s*!markdown\s*\r?\n", "", source, flags=re.IGNORECASE)
        unsupported.append(
            Unsupported(
                "markdown",
                "the entry is written in Markdown, read here as its text without the "
                "Markdown formatting; the source stays in the backup",
            )
        )
        fmt = Format("markdown0", True, True, True)  # paragraphs and lines at least stay
    parser = _Normaliser(fmt)
    with contextlib.suppress(AssertionError, ValueError):
        parser.feed(source)
        parser.close()
    rich, marks = _without_marks(richtext_from_html("".join(parser.out)))
    folds = [Fold(at, label) for at, label in zip(marks, parser.labels, strict=False)]
    return Body(rich, parser.media, folds, unsupported + parser.unsupported)
