"""NPF content and layout blocks other than text: media, link cards, asks, and what has no model.

NPF spec: https://github.com/tumblr/docs/blob/master/npf-spec.md
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crosspost.model import (
    LinkCard,
    Media,
    MediaKind,
    Piece,
    Poll,
    PollOption,
    RichText,
    Unsupported,
)

Block = Mapping[str, Any]

# Providers whose media objects are files Tumblr hosts; anything else is a third-party embed.
_NATIVE_PROVIDERS = frozenset({"", "tumblr"})


@dataclass
class Body:
    """What one content list (a post's own, or one trail item's) says."""

    text: RichText = field(default_factory=RichText)
    title: str = ""
    media: list[Media] = field(default_factory=list)
    link_card: LinkCard | None = None
    unsupported: list[Unsupported] = field(default_factory=list)
    layout: list[Piece] = field(default_factory=list)  # text and media in display order
    poll: Poll | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.text.text or self.title or self.media or self.link_card or self.unsupported
        )


@dataclass
class Parts:
    """What the non-text blocks of one content list carry, in display order."""

    media: list[Media] = field(default_factory=list)
    link_card: LinkCard | None = None
    unsupported: list[Unsupported] = field(default_factory=list)
    poll: Poll | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """A content list read through its layouts: display order, the ask, the read-more fold."""

    order: tuple[int, ...]
    ask: tuple[int, ...] = ()
    asker: str = ""  # the asking blog's name or URL; "" for an anonymous ask
    truncate_after: int | None = None
    paywall_at: int | None = None  # index (in display order) of the first paywall block
    row_of: tuple[int, ...] = ()  # per block of the content list: its display row


def read_layout(content: Sequence[Block], layouts: object) -> Layout:
    """Display order from a `rows` layout (legacy `rows: [[...]]` too), the ask and the fold."""
    count = len(content)
    order: list[int] = []
    ask: tuple[int, ...] = ()
    asker = ""
    truncate: int | None = None
    for layout in layouts if isinstance(layouts, list) else ():
        if not isinstance(layout, Mapping):
            continue
        kind = layout.get("type")
        if kind == "rows" and not order:
            order = [i for row in _rows(layout) for i in row if 0 <= i < count]
            truncate = _int(layout.get("truncate_after"), truncate)
        elif kind == "condensed":  # deprecated, but old posts still carry it
            truncate = _int(layout.get("truncate_after"), truncate)
        elif kind == "ask":
            ask = tuple(i for i in _ints(layout.get("blocks")) if 0 <= i < count)
            asker = _asker(layout.get("attribution"))
    seen = set(order)
    # Blocks a rows layout forgot are shown after it, in their own order (the default stack).
    order = list(dict.fromkeys(order)) + [i for i in range(count) if i not in seen]
    paywall = next((n for n, i in enumerate(order) if _type(content[i]) == "paywall"), None)
    return Layout(tuple(order), ask, asker, truncate, paywall, _row_of(layouts, count))


def _row_of(layouts: object, count: int) -> tuple[int, ...]:
    """Each block's row in the first `rows` layout; a block in none gets a row of its own."""
    rows: list[list[int]] = []
    for layout in layouts if isinstance(layouts, list) else ():
        if isinstance(layout, Mapping) and layout.get("type") == "rows":
            rows = _rows(layout)
            break
    row_of: dict[int, int] = {}
    for number, row in enumerate(rows):
        for index in row:
            if 0 <= index < count:
                row_of.setdefault(index, number)
    extra = len(rows)
    for index in range(count):
        if index not in row_of:
            row_of[index] = extra
            extra += 1
    return tuple(row_of[index] for index in range(count))


def _rows(layout: Mapping[str, Any]) -> list[list[int]]:
    display = layout.get("display")
    if isinstance(display, list):
        return [_ints(row.get("blocks")) for row in display if isinstance(row, Mapping)]
    rows = layout.get("rows")
    return [_ints(row) for row in rows] if isinstance(rows, list) else []


def _ints(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, int) and not isinstance(item, bool)]


def _int(value: object, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _type(block: object) -> str:
    return str(block.get("type", "")) if isinstance(block, Mapping) else ""


def _asker(attribution: object) -> str:
    if not isinstance(attribution, Mapping):
        return ""
    blog = attribution.get("blog")
    name = blog.get("name") if isinstance(blog, Mapping) else None
    if isinstance(name, str) and name:
        return name
    url = attribution.get("url")
    return url if isinstance(url, str) else ""


def read_parts(blocks: Sequence[Block]) -> Parts:
    """Media, the first link card and Unsupported parts of the non-text blocks given."""
    parts = Parts()
    for block in blocks:
        kind = _type(block)
        if kind == "text":
            continue
        if kind == "image":
            _image(block, parts)
        elif kind == "link":
            _link(block, parts)
        elif kind in ("audio", "video"):
            _audio_video(block, kind, parts)
        elif kind == "poll":
            parts.unsupported.append(poll_part(block))
            if parts.poll is None:
                parts.poll = read_poll(block)
        elif kind == "paywall":
            continue  # handled with the layout: it hides what follows it
        else:
            parts.unsupported.append(
                Unsupported(kind or "unknown", f"NPF block type {kind!r} is not known to crosspost")
            )
    return parts


def best_media(items: object) -> Mapping[str, Any] | None:
    """The largest media object of a list (Tumblr lists several sizes of one image)."""
    candidates = [
        item
        for item in (items if isinstance(items, list) else [items])
        if isinstance(item, Mapping) and isinstance(item.get("url"), str)
    ]
    if not candidates:
        return None
    originals = [item for item in candidates if not item.get("cropped")] or candidates
    return max(originals, key=lambda item: _area(item))


def _area(item: Mapping[str, Any]) -> int:
    width, height = item.get("width"), item.get("height")
    if isinstance(width, int) and isinstance(height, int):
        return width * height
    return 0


def _size(item: Mapping[str, Any], key: str) -> int | None:
    value = item.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _image(block: Block, parts: Parts) -> None:
    best = best_media(block.get("media"))
    if best is None:
        parts.unsupported.append(
            Unsupported("image", "an image block without any media object has nothing to show")
        )
        return
    mime = best.get("type") if isinstance(best.get("type"), str) else None
    poster = best.get("poster")
    poster_url = poster.get("url") if isinstance(poster, Mapping) else None
    is_gif = mime == "image/gif" or str(best["url"]).lower().endswith(".gif")
    alt = block.get("alt_text")
    parts.media.append(
        Media(
            kind=MediaKind.GIF if is_gif else MediaKind.IMAGE,
            url=str(best["url"]),
            alt=alt if isinstance(alt, str) else "",
            width=_size(best, "width"),
            height=_size(best, "height"),
            mime=mime,
            poster_url=poster_url if isinstance(poster_url, str) else None,
        )
    )


def _poster_url(block: Block) -> str | None:
    poster = best_media(block.get("poster"))
    return str(poster["url"]) if poster is not None else None


def _link(block: Block, parts: Parts) -> None:
    url = block.get("url")
    if not isinstance(url, str) or not url:
        parts.unsupported.append(Unsupported("link", "a link block without a URL"))
        return
    card = LinkCard(
        url=url,
        title=str(block.get("title") or ""),
        description=str(block.get("description") or ""),
        thumb_url=_poster_url(block),
    )
    if parts.link_card is None:
        parts.link_card = card
    else:
        parts.unsupported.append(
            Unsupported("link", "the model carries one link card per post", _card_text(card))
        )


def _card_text(card: LinkCard) -> str:
    return f"{card.title}\n{card.url}" if card.title else card.url


def _audio_video(block: Block, kind: str, parts: Parts) -> None:
    provider = str(block.get("provider") or "").lower()
    media = block.get("media")
    url = media.get("url") if isinstance(media, Mapping) else None
    if provider in _NATIVE_PROVIDERS and isinstance(media, Mapping) and isinstance(url, str):
        mime = media.get("type")
        parts.media.append(
            Media(
                kind=MediaKind.VIDEO if kind == "video" else MediaKind.AUDIO,
                url=url,
                alt=_audio_title(block),
                width=_size(media, "width"),
                height=_size(media, "height"),
                mime=mime if isinstance(mime, str) else None,
                poster_url=_poster_url(block),
            )
        )
        return
    # A third-party embed (YouTube, SoundCloud, Instagram...) is a page, not a file.
    page = block.get("url") if isinstance(block.get("url"), str) else url
    if not isinstance(page, str) or not page:
        parts.unsupported.append(
            Unsupported(kind, f"a {provider or 'third-party'} {kind} embed without a URL")
        )
        return
    card = LinkCard(url=page, title=_audio_title(block) or provider, thumb_url=_poster_url(block))
    if parts.link_card is None:
        parts.link_card = card
    else:
        parts.unsupported.append(
            Unsupported(
                kind, f"a {provider} {kind} embed beyond the one link card", _card_text(card)
            )
        )


def _audio_title(block: Block) -> str:
    names = [block.get(key) for key in ("artist", "title", "album")]
    return " – ".join(name for name in names if isinstance(name, str) and name)


def poll_part(block: Block) -> Unsupported:
    """A poll as readable text: the question and its answers (polls have no model)."""
    question = block.get("question")
    answers = block.get("answers")
    lines = [question] if isinstance(question, str) and question else []
    for answer in answers if isinstance(answers, list) else ():
        text = answer.get("answer_text") if isinstance(answer, Mapping) else answer
        if isinstance(text, str):
            lines.append(f"- {text}")
    return Unsupported("poll", "polls cannot be carried to other platforms", "\n".join(lines))


def read_poll(block: Block) -> Poll:
    """The poll for the viewer: the question and its answers (NPF gives no counts)."""
    question = block.get("question")
    answers = block.get("answers")
    options = []
    for answer in answers if isinstance(answers, list) else ():
        text = answer.get("answer_text") if isinstance(answer, Mapping) else answer
        if isinstance(text, str):
            options.append(PollOption(text))
    return Poll(question if isinstance(question, str) else "", tuple(options))


def paywall_part(block: Block, hidden: int) -> Unsupported:
    """The paywall itself; what follows it is for subscribers and is deliberately not carried."""
    title = block.get("title")
    text = title if isinstance(title, str) and title else "Post+ content for subscribers"
    return Unsupported(
        "paywall",
        f"{hidden} block(s) behind a Post+ paywall are for subscribers only and are not carried",
        text,
    )
