"""Drafts into app.bsky.feed.post records: the pure `from_draft`.

https://docs.bsky.app/docs/advanced-guides/posts (record: lexicons/app/bsky/feed/post.json)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from crosspost.errors import InvalidPostError
from crosspost.model import LinkCard, MediaKind, Platform, PostRef, SpanKind
from crosspost.platforms.base import Draft
from crosspost.platforms.bluesky.embeds import EXTERNAL, IMAGES, RECORD, RECORD_WITH_MEDIA, VIDEO
from crosspost.platforms.bluesky.limits import LIMITS as BLUESKY_LIMITS
from crosspost.platforms.bluesky.marker import ORIGIN_FIELD, marker_for
from crosspost.platforms.bluesky.refs import POST_COLLECTION, SELF_LABELS, format_time
from crosspost.platforms.bluesky.richtext import facets_from_richtext
from crosspost.platforms.spec import WriteContext
from crosspost.text.urls import is_http_url

# Words in a content warning -> the Bluesky self-label that hides the media behind a click.
DEFAULT_CW_LABELS: Mapping[str, str] = {
    "nsfw": "porn",
    "porn": "porn",
    "18+": "porn",
    "sexual": "sexual",
    "suggestive": "sexual",
    "lewd": "sexual",
    "nude": "nudity",
    "nudity": "nudity",
    "gore": "graphic-media",
    "blood": "graphic-media",
    "violence": "graphic-media",
    "graphic": "graphic-media",
}
# A post marked sensitive whose warning names none of the words above.
DEFAULT_SENSITIVE_LABEL = "graphic-media"
_MAX_LANGS = 3
_WORD = re.compile(r"[\w+]+")


def from_draft(draft: Draft, context: WriteContext) -> dict[str, Any]:
    """The post record for a draft. `context.uploads` are the uploaded blob refs of
    `draft.media`, in order (their dimensions come from the media); `context.thumb` is the link
    card's uploaded thumbnail. Reply and quote refs must carry their CIDs. `context.now` is the
    date when the draft keeps none."""
    now, blobs, thumb = context.now, context.uploads, context.thumb
    record: dict[str, Any] = {
        "$type": POST_COLLECTION,
        "text": draft.text.text,
        "createdAt": format_time(draft.created_at or now),
    }
    facets = facets_from_richtext(draft.text)
    if facets:
        record["facets"] = facets
    _optional(record, "reply", _reply(draft))
    _optional(record, "embed", _embed(draft, blobs, thumb))
    _optional(record, "langs", list(draft.langs[:_MAX_LANGS]))
    _optional(record, "tags", _tags_field(draft))
    _optional(record, "labels", _labels(draft, DEFAULT_CW_LABELS, DEFAULT_SENSITIVE_LABEL))
    _optional(record, ORIGIN_FIELD, marker_for(draft))
    return record


def _optional(record: dict[str, Any], key: str, value: object) -> None:
    if value:
        record[key] = value


def _strong(ref: PostRef, what: str) -> dict[str, str]:
    if not ref.cid:
        raise InvalidPostError(f"the {what} {ref.id} has no CID; fetch it before publishing")
    return {"uri": ref.id, "cid": ref.cid}


def _reply(draft: Draft) -> dict[str, Any] | None:
    if draft.reply_to is None:
        return None
    root = draft.thread_root or draft.reply_to
    return {"root": _strong(root, "thread root"), "parent": _strong(draft.reply_to, "parent")}


def _media_embed(draft: Draft, blobs: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    if not draft.media:
        return None
    if len(blobs) != len(draft.media):
        raise InvalidPostError(f"{len(draft.media)} media but {len(blobs)} uploaded blobs")
    kinds = {media.kind for media in draft.media}
    if MediaKind.AUDIO in kinds:
        raise InvalidPostError("Bluesky posts cannot carry audio")
    if MediaKind.VIDEO in kinds:
        if len(draft.media) != 1:
            raise InvalidPostError("a Bluesky post carries one video and nothing else")
        return {"$type": VIDEO, "video": dict(blobs[0]), **_item_fields(draft.media[0])}
    if len(draft.media) > BLUESKY_LIMITS.max_media:
        raise InvalidPostError(f"a Bluesky post carries at most {BLUESKY_LIMITS.max_media} images")
    images = [
        {"image": dict(blob), **_item_fields(media)}
        for media, blob in zip(draft.media, blobs, strict=True)
    ]
    return {"$type": IMAGES, "images": images}


def _item_fields(media: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"alt": media.alt}
    if media.width and media.height:
        fields["aspectRatio"] = {"width": media.width, "height": media.height}
    return fields


def _embed(
    draft: Draft, blobs: Sequence[Mapping[str, Any]], thumb: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    media = _media_embed(draft, blobs)
    if draft.quote_of is not None and draft.quote_of.platform is Platform.BLUESKY:
        quote = {"$type": RECORD, "record": _strong(draft.quote_of, "quoted post")}
        if media is None:
            return quote
        return {"$type": RECORD_WITH_MEDIA, "record": quote, "media": media}
    if media is not None:
        return media
    card = draft.link_card or _foreign_quote_card(draft)
    if card is None:
        return None
    external: dict[str, Any] = {
        "uri": card.url,
        "title": card.title,
        "description": card.description,
    }
    if thumb:
        external["thumb"] = dict(thumb)
    return {"$type": EXTERNAL, "external": external}


def _foreign_quote_card(draft: Draft) -> LinkCard | None:
    """Another network's post cannot be quoted on Bluesky: a card links it instead."""
    quoted = draft.quote_of
    if quoted is None or not quoted.url or not is_http_url(quoted.url):
        return None
    return LinkCard(url=quoted.url, title=quoted.url)


def _tags_field(draft: Draft) -> list[str]:
    in_text = {span.value.lower() for span in draft.text.spans_of(SpanKind.TAG)}
    tags = [tag for tag in draft.tags if tag and tag.lower() not in in_text]
    return list(dict.fromkeys(tags))[: BLUESKY_LIMITS.max_tags or 8]


def _labels(
    draft: Draft, cw_labels: Mapping[str, str], sensitive_label: str | None
) -> dict[str, Any] | None:
    values = [label for label in draft.labels if label in SELF_LABELS]
    words = {word.lower() for word in _WORD.findall(draft.content_warning)}
    values += [label for word, label in cw_labels.items() if word in words]
    if draft.sensitive and not values and sensitive_label:
        values.append(sensitive_label)
    if not values:
        return None
    unique = list(dict.fromkeys(values))
    return {
        "$type": "com.atproto.label.defs#selfLabels",
        "values": [{"val": value} for value in unique],
    }
