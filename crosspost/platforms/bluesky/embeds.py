"""Bluesky embeds (images, video, external cards, quoted records, gallery) into model parts.

https://docs.bsky.app/docs/advanced-guides/posts#replies-quote-posts-and-embeds
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crosspost.model import LinkCard, Media, MediaKind, PostRef, Unsupported
from crosspost.platforms.bluesky.refs import (
    POST_COLLECTION,
    blob_cid,
    blob_url,
    mapping,
    ref_for,
    split_uri,
    strong_ref,
)

IMAGES = "app.bsky.embed.images"
VIDEO = "app.bsky.embed.video"
EXTERNAL = "app.bsky.embed.external"
RECORD = "app.bsky.embed.record"
RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
GALLERY = "app.bsky.embed.gallery"


@dataclass(slots=True)
class Parts:
    """What an embed adds to a post."""

    media: list[Media] = field(default_factory=list)
    link_card: LinkCard | None = None
    quote_of: PostRef | None = None
    unsupported: list[Unsupported] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Context:
    did: str  # the author, who owns the blobs
    account: str
    service: str | None


def read_embed(embed: object, view: object, ctx: Context) -> Parts:
    """The parts of a record's embed; `view` (from a post view) adds CDN URLs where present."""
    parts = Parts()
    _read_into(parts, mapping(embed), mapping(view), ctx)
    return parts


def _read_into(
    parts: Parts, embed: Mapping[str, Any], view: Mapping[str, Any], ctx: Context
) -> None:
    kind = str(embed.get("$type", ""))
    if not embed:
        return
    if kind == IMAGES:
        parts.media += _images(embed.get("images"), view.get("images"), ctx)
    elif kind == GALLERY:
        parts.media += _images(embed.get("items"), view.get("items"), ctx)
    elif kind == VIDEO:
        _video(parts, embed, view, ctx)
    elif kind == EXTERNAL:
        parts.link_card = _external(mapping(embed.get("external")), view, ctx)
    elif kind == RECORD:
        _quote(parts, embed.get("record"), ctx)
    elif kind == RECORD_WITH_MEDIA:
        _quote(parts, mapping(embed.get("record")).get("record"), ctx)
        _read_into(parts, mapping(embed.get("media")), mapping(view.get("media")), ctx)
    else:
        parts.unsupported.append(
            Unsupported("embed", f"embed type {kind or '(none)'} is not known to crosspost")
        )


def _aspect(item: Mapping[str, Any]) -> tuple[int | None, int | None]:
    ratio = mapping(item.get("aspectRatio"))
    width, height = ratio.get("width"), ratio.get("height")
    return (
        width if isinstance(width, int) else None,
        height if isinstance(height, int) else None,
    )


def _blob_media(
    kind: MediaKind, item: Mapping[str, Any], blob: object, ctx: Context, view_url: object
) -> Media:
    data = mapping(blob)
    cid = blob_cid(data)
    url = view_url if isinstance(view_url, str) else None
    if cid and (ctx.service or url is None):
        url = blob_url(ctx.did, cid, ctx.service)
    width, height = _aspect(item)
    mime = data.get("mimeType")
    size = data.get("size")
    return Media(
        kind=kind,
        url=url,
        alt=str(item.get("alt") or ""),
        width=width,
        height=height,
        mime=mime if isinstance(mime, str) else None,
        size=size if isinstance(size, int) else None,
    )


def _images(items: object, views: object, ctx: Context) -> list[Media]:
    records = list(items) if isinstance(items, Sequence) else []
    shown = list(views) if isinstance(views, Sequence) else []
    found = []
    for index, item in enumerate(records):
        data = mapping(item)
        view = mapping(shown[index]) if index < len(shown) else {}
        mime = str(mapping(data.get("image")).get("mimeType", ""))
        kind = MediaKind.GIF if mime == "image/gif" else MediaKind.IMAGE
        found.append(_blob_media(kind, data, data.get("image"), ctx, view.get("fullsize")))
    return found


def _video(parts: Parts, embed: Mapping[str, Any], view: Mapping[str, Any], ctx: Context) -> None:
    media = _blob_media(MediaKind.VIDEO, embed, embed.get("video"), ctx, view.get("playlist"))
    thumbnail = view.get("thumbnail")
    if isinstance(thumbnail, str):
        media = Media(**{**_media_fields(media), "poster_url": thumbnail})
    parts.media.append(media)
    if embed.get("captions"):
        parts.unsupported.append(
            Unsupported("captions", "video caption files are not carried (they stay in raw)")
        )


def _media_fields(media: Media) -> dict[str, Any]:
    return {name: getattr(media, name) for name in Media.__slots__}


def _external(external: Mapping[str, Any], view: Mapping[str, Any], ctx: Context) -> LinkCard:
    thumb_url = mapping(view.get("external")).get("thumb")
    cid = blob_cid(external.get("thumb"))
    if cid and (ctx.service or not isinstance(thumb_url, str)):
        thumb_url = blob_url(ctx.did, cid, ctx.service)
    return LinkCard(
        url=str(external.get("uri", "")),
        title=str(external.get("title") or ""),
        description=str(external.get("description") or ""),
        thumb_url=thumb_url if isinstance(thumb_url, str) else None,
    )


def _quote(parts: Parts, record: object, ctx: Context) -> None:
    found = strong_ref(record)
    if found is None:
        parts.unsupported.append(Unsupported("embed", "a quoted record without a URI"))
        return
    uri, cid = found
    collection = split_uri(uri)[1]
    if collection != POST_COLLECTION:
        parts.unsupported.append(
            Unsupported(
                "embedded record",
                f"an embedded {collection or 'record'} (not a post) has no place in the model",
                uri,
            )
        )
        return
    parts.quote_of = ref_for(uri, cid, account=ctx.account, own=ctx.did)
