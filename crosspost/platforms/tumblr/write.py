"""A Draft as the body of an NPF post creation request (`POST /v2/blog/{blog}/posts`). Pure.

API docs: https://github.com/tumblr/docs/blob/master/api.md#posts---createreblog-a-post-neue-post-format
"""

from __future__ import annotations

from typing import Any

from crosspost.model import Media, MediaKind, Visibility
from crosspost.platforms.base import Draft
from crosspost.platforms.spec import WriteContext
from crosspost.platforms.tumblr.marker import marker_url
from crosspost.platforms.tumblr.richtext_write import npf_from_richtext
from crosspost.text.urls import is_link_url

STATES = ("published", "queue", "draft", "private")
# Tumblr has no followers-only or direct posts: anything narrower than public stays private.
VISIBILITY_STATE = {
    Visibility.PUBLIC: "published",
    Visibility.UNLISTED: "published",
    Visibility.FOLLOWERS: "private",
    Visibility.DIRECT: "private",
    Visibility.PRIVATE: "private",
}
_MIME_BY_KIND = {
    MediaKind.IMAGE: "image/jpeg",
    MediaKind.GIF: "image/gif",
    MediaKind.VIDEO: "video/mp4",
    MediaKind.AUDIO: "audio/mpeg",
}


def media_identifier(index: int) -> str:
    """The multipart field name tying an uploaded file to its block (api.md User Uploaded Media)."""
    return f"media-{index}"


def media_mime(media: Media) -> str:
    return media.mime or _MIME_BY_KIND[media.kind]


def from_draft(draft: Draft, context: WriteContext) -> dict[str, Any]:
    """The JSON part of an NPF create request; media blocks name their upload by identifier.

    `context.state` ("published", "queue", "draft", "private") overrides the one the draft's
    visibility gives. A content warning becomes the first paragraph with everything else under a
    read-more; so does a post marked sensitive without one (the API cannot set a community
    label: https://github.com/tumblr/docs/issues/110). A link card is kept only for a web link.
    """
    state = context.state
    if state is not None and state not in STATES:
        raise ValueError(f"unknown Tumblr post state {state!r} (expected one of {STATES})")
    content: list[dict[str, Any]] = []
    warning = content_warning(draft)
    if warning:
        content.append({"type": "text", "text": f"Content warning: {warning}"})
    content += npf_from_richtext(draft.text)
    content += [_media_block(media, index) for index, media in enumerate(draft.media)]
    content += _quote_blocks(draft)
    if draft.link_card is not None and is_link_url(draft.link_card.url):
        card = draft.link_card
        link: dict[str, Any] = {"type": "link", "url": card.url}
        link.update(
            {k: v for k, v in (("title", card.title), ("description", card.description)) if v}
        )
        content.append(link)
    body: dict[str, Any] = {
        "content": content,
        "state": state or VISIBILITY_STATE[draft.visibility],
    }
    if warning and len(content) > 1:
        rows = [{"blocks": [index]} for index in range(len(content))]
        body["layout"] = [{"type": "rows", "display": rows, "truncate_after": 0}]
    if draft.tags:
        # The API takes tags comma-separated, so a comma inside a tag cannot be sent.
        body["tags"] = ",".join(tag.replace(",", " ").strip() for tag in draft.tags)
    if draft.created_at is not None:
        body["date"] = draft.created_at.isoformat()
    marker = marker_url(draft.origin, draft.idempotency_key)
    if marker is not None:
        body["source_url"] = marker
    return body


def _quote_blocks(draft: Draft) -> list[dict[str, Any]]:
    """Tumblr has no quote posts (a reblog is made on Tumblr only): a quoted post, such as the
    Tumblr mirror of the post quoted, is linked in a last paragraph."""
    quoted = draft.quote_of
    url = quoted.url if quoted is not None else None
    if url is None or not is_link_url(url) or url in draft.text.text:
        return []
    text = f"RE: {url}"
    link = {"type": "link", "start": 4, "end": len(text), "url": url}
    return [{"type": "text", "text": text, "formatting": [link]}]


SENSITIVE_WARNING = "sensitive content"


def content_warning(draft: Draft) -> str:
    """The warning to show first: the draft's own, else its labels or "sensitive content"
    for a post marked sensitive."""
    if draft.content_warning.strip():
        return draft.content_warning.strip()
    if draft.labels:
        return ", ".join(label.replace("-", " ") for label in draft.labels)
    return SENSITIVE_WARNING if draft.sensitive else ""


def _media_block(media: Media, index: int) -> dict[str, Any]:
    item: dict[str, Any] = {"type": media_mime(media), "identifier": media_identifier(index)}
    if media.width and media.height:
        item.update(width=media.width, height=media.height)
    if media.kind is MediaKind.VIDEO:
        return {"type": "video", "media": item}
    if media.kind is MediaKind.AUDIO:
        # Not documented for uploads; it follows the video block's identifier pattern.
        return {"type": "audio", "provider": "tumblr", "media": item}
    block: dict[str, Any] = {"type": "image", "media": [item]}
    if media.alt:
        block["alt_text"] = media.alt
    return block
