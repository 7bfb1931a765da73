"""Legacy (pre-NPF) Tumblr posts, read so they come through readably: HTML bodies, photos, links.

API docs: https://github.com/tumblr/docs/blob/master/api.md#posts--retrieve-published-posts
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from typing import Any

from crosspost.model import LinkCard, Media, MediaKind, Unsupported
from crosspost.platforms.tumblr.blocks import Body, best_media
from crosspost.text.html_read import richtext_from_html

Reader = Callable[[Mapping[str, Any]], Body]


class _Images(HTMLParser):
    """Inline <img> tags: legacy text bodies carry their pictures inside the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            src = values.get("src")
            if src and src.startswith(("http://", "https://")):
                self.found.append((src, values.get("alt") or ""))


def _inline_images(html: str) -> list[Media]:
    parser = _Images()
    with contextlib.suppress(AssertionError, ValueError):
        parser.feed(html)
    return [Media(_kind_of(src), url=src, alt=alt) for src, alt in parser.found]


def _kind_of(url: str, mime: object = None) -> MediaKind:
    is_gif = mime == "image/gif" or url.lower().split("?")[0].endswith(".gif")
    return MediaKind.GIF if is_gif else MediaKind.IMAGE


def html_body(html: str, title: str = "") -> Body:
    return Body(richtext_from_html(html), title, _inline_images(html))


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _text_post(item: Mapping[str, Any]) -> Body:
    return html_body(_text(item, "body"), _text(item, "title"))


def _photo_post(item: Mapping[str, Any]) -> Body:
    body = html_body(_text(item, "caption"))
    photos = item.get("photos")
    for photo in photos if isinstance(photos, list) else ():
        if not isinstance(photo, Mapping):
            continue
        sizes = photo.get("alt_sizes")
        candidates = [photo.get("original_size"), *(sizes if isinstance(sizes, list) else [])]
        best = best_media([c for c in candidates if isinstance(c, Mapping)])
        if best is not None:
            url = str(best["url"])
            width, height = best.get("width"), best.get("height")
            body.media.append(
                Media(
                    _kind_of(url),
                    url=url,
                    width=width if isinstance(width, int) else None,
                    height=height if isinstance(height, int) else None,
                )
            )
    return body


def _quote_post(item: Mapping[str, Any]) -> Body:
    source = _text(item, "source")
    html = f"<blockquote>{_text(item, 'text')}</blockquote>"
    return html_body(html + (f"<p>— {source}</p>" if source else ""))


def _link_post(item: Mapping[str, Any]) -> Body:
    body = html_body(_text(item, "description"), _text(item, "title"))
    url = _text(item, "url")
    if url:
        image = item.get("link_image")
        body.link_card = LinkCard(
            url=url,
            title=_text(item, "title"),
            description=_text(item, "excerpt"),
            thumb_url=image if isinstance(image, str) else None,
        )
    return body


def _chat_post(item: Mapping[str, Any]) -> Body:
    lines = []
    dialogue = item.get("dialogue")
    for line in dialogue if isinstance(dialogue, list) else ():
        if isinstance(line, Mapping):
            label, phrase = _text(line, "label"), _text(line, "phrase").strip()
            lines.append(f"<p>{label} {phrase}</p>" if label else f"<p>{phrase}</p>")
    html = "".join(lines) or f"<p>{_text(item, 'body')}</p>"
    return html_body(html, _text(item, "title"))


def _audio_post(item: Mapping[str, Any]) -> Body:
    body = html_body(_text(item, "caption"))
    title = " – ".join(
        part for part in (_text(item, "artist"), _text(item, "track_name")) if part
    ) or _text(item, "id3_title")
    audio = _text(item, "audio_url")
    if audio and _text(item, "audio_type") in ("", "tumblr"):
        body.media.append(Media(MediaKind.AUDIO, url=audio, alt=title))
    elif page := _text(item, "audio_source_url") or _text(item, "source_url"):
        body.link_card = LinkCard(url=page, title=title or _text(item, "source_title"))
    else:
        body.unsupported.append(Unsupported("audio", "an embedded audio player without a URL"))
    return body


def _video_post(item: Mapping[str, Any]) -> Body:
    body = html_body(_text(item, "caption"))
    video = _text(item, "video_url")
    thumb = _text(item, "thumbnail_url") or None
    if video:
        width, height = item.get("thumbnail_width"), item.get("thumbnail_height")
        body.media.append(
            Media(
                MediaKind.VIDEO,
                url=video,
                poster_url=thumb,
                width=width if isinstance(width, int) else None,
                height=height if isinstance(height, int) else None,
            )
        )
    elif page := _text(item, "permalink_url") or _text(item, "source_url"):
        body.link_card = LinkCard(url=page, title=_text(item, "source_title"), thumb_url=thumb)
    else:
        body.unsupported.append(
            Unsupported("video", "an embedded video player without a page URL", "")
        )
    return body


def _answer_post(item: Mapping[str, Any]) -> Body:
    body = html_body(_text(item, "answer"))
    asker = _text(item, "asking_name") or "Anonymous"
    body.unsupported.insert(
        0,
        Unsupported(
            "ask",
            "asks have no equivalent on other platforms; the answer is the post's text",
            f"{asker} asked:\n{_text(item, 'question')}".rstrip(),
        ),
    )
    return body


READERS: dict[str, Reader] = {
    "text": _text_post,
    "photo": _photo_post,
    "quote": _quote_post,
    "link": _link_post,
    "chat": _chat_post,
    "audio": _audio_post,
    "video": _video_post,
    "answer": _answer_post,
}


def legacy_body(item: Mapping[str, Any]) -> Body:
    """The body of a legacy post by its `type`; an unknown type keeps whatever HTML it has."""
    kind = _text(item, "type")
    reader = READERS.get(kind)
    if reader is not None:
        return reader(item)
    html = _text(item, "body") or _text(item, "caption")
    body = html_body(html, _text(item, "title"))
    if kind:
        body.unsupported.append(
            Unsupported(kind, f"legacy post type {kind!r} is not known to crosspost")
        )
    return body
