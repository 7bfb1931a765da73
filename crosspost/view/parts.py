"""What a post card shows, as typed values: `cards.py` decides every link, label and file, and
the card template (`templates/card.html.j2`) only lays them out.

Plain strings here are escaped by the templates; `Content.body` is the one Markup field, and it
holds only post text that nh3 has sanitised. The parts are named tuples: immutable like a frozen
dataclass, but made three times as fast (a frozen dataclass sets each field through
`object.__setattr__`), and a render makes about ten of them per post.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from markupsafe import Markup

from crosspost.model import Unsupported


class Link(NamedTuple):
    """A link, or plain text when `href` is None; an `external` one leaves the site."""

    label: str
    href: str | None = None
    external: bool = False
    css_class: str = ""


class Header(NamedTuple):
    who: str  # "@handle" when the account is known, else the name the post gives
    platform: str
    href: str | None  # the post's page, or its original; None: the time is not a link
    datetime: str  # ISO 8601, for <time datetime>
    when: str  # as shown; empty when the post has no date of its own (a reblog trail item)
    badges: tuple[str, ...]
    who_href: str | None = None  # the account's page in the site, for accounts of the backup
    avatar: str | None = None  # its stored avatar inside the site


class ContextLine(NamedTuple):
    """A line above a post's content: words ("↩ in reply to ", "quoting "), then a link."""

    words: str
    link: Link


class FigureKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    MISSING = "missing"  # not in the backup: only a link to where it was
    NOT_SHOWN = "not-shown"  # in the backup but not shown, nor linked (an SVG, HTML, ...)


class Figure(NamedTuple):
    kind: FigureKind
    alt: str
    src: str = ""  # the file inside the site (relative to the page)
    width: int | None = None  # set only when known and positive
    height: int | None = None
    loop: bool = False  # a GIF stored as video plays on a muted loop
    missing: str = ""  # what is missing ("image", "video", ...)
    original: str | None = None  # where a missing file was, when it is http(s)
    refused: str = ""  # why a stored file is not shown ("a vector image (SVG), ...")


class LinkPreview(NamedTuple):
    """A link card; `href` is None when its URL may not be a link (not http(s))."""

    href: str | None
    title: str
    description: str
    url: str  # as written, shown small under the title
    thumb: str | None = None  # the thumbnail from the backup inside the site; never a remote one


class Row(NamedTuple):
    """One row of a post laid out as its platform shows it: a run of its text (`body`), or
    media side by side (a photoset row)."""

    body: Markup | None  # sanitised HTML; None for a row of media
    media: tuple[Figure, ...] = ()


class PollChoice(NamedTuple):
    text: str
    votes: str  # "3 votes"; empty when the platform does not say
    percent: int | None = None  # of all votes, for the bar


class PollShown(NamedTuple):
    question: str
    choices: tuple[PollChoice, ...]
    note: str  # "4 people voted · multiple choice · ended 2024-01-02 10:00 UTC"


class Ask(NamedTuple):
    """A question asked of the blog, shown above its answer (the post's text)."""

    who: str  # "Anonymous asked:"
    question: str


class Content(NamedTuple):
    """A post's own content, with the posts it quotes or reblogs (`trail`)."""

    title: str
    body: Markup | None  # sanitised HTML of the text; empty when it has none, None with rows
    media: tuple[Figure, ...]
    fold_media: bool  # sensitive media without a content warning is folded on its own
    preview: LinkPreview | None
    unsupported: tuple[Unsupported, ...]
    trail: tuple[Quoted, ...]
    trail_first: bool  # a reblog or repost shows what it passes on before its own words
    rows: tuple[Row, ...] = ()  # the body in its platform's order; when set, body and media
    # are not shown apart
    ask: Ask | None = None
    poll: PollShown | None = None
    lang: str = ""  # for lang= on the text; empty: the page's
    dir: str = "auto"  # for dir= on the text


class Quoted(NamedTuple):
    header: Header
    warning: str  # a content warning folds the content
    content: Content


class Card(NamedTuple):
    deleted: bool
    header: Header
    context: tuple[ContextLine, ...]
    warning: str
    content: Content
    footer: tuple[Link, ...]  # tags, the conversation, the original
