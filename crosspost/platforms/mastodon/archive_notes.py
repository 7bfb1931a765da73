"""ActivityPub objects of a Mastodon archive in the shape of Mastodon API entities, so that one
converter (`read.to_post`) reads both.

The archive's Notes come from app/serializers/activitypub/note_serializer.rb; their audience
(`to`, `cc`) is ActivityPub::TagManager#to/#cc of the status: the Public collection in `to` for
public, in `cc` for unlisted, the followers collection for private, else direct.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from crosspost.model import Platform, Post, PostKind, PostRef
from crosspost.platforms.archive_safety import normalise
from crosspost.platforms.mastodon.marker import origin_from_url
from crosspost.platforms.mastodon.read import to_post

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}


def status_from_note(note: Mapping[str, Any], handle: str) -> dict[str, Any]:
    """The Note in the shape of a Mastodon API status, so one converter reads both."""
    tags = [t for t in _list(note.get("tag")) if isinstance(t, Mapping)]
    content_map = note.get("contentMap")
    language = next(iter(content_map), None) if isinstance(content_map, Mapping) else None
    poll = None
    if note.get("type") == "Question":
        options = _list(note.get("oneOf") or note.get("anyOf"))
        poll = {
            "multiple": "anyOf" in note,
            "expires_at": note.get("endTime"),
            "options": [
                {
                    "title": o.get("name", ""),
                    "votes_count": _map(o.get("replies")).get("totalItems"),
                }
                for o in options
                if isinstance(o, Mapping)
            ],
        }
    return {
        "id": last_segment(str(note.get("id") or note.get("url") or "")),
        "created_at": note.get("published"),
        "edited_at": note.get("updated"),
        "url": note.get("url") or note.get("id"),
        "content": note.get("content") or "",
        "spoiler_text": note.get("summary") or "",
        "sensitive": bool(note.get("sensitive")),
        "visibility": visibility(note),
        "language": language,
        "in_reply_to_id": note.get("inReplyTo"),
        "account": {"acct": handle},
        "mentions": [
            {"url": t.get("href"), "acct": str(t.get("name", "")).lstrip("@")}
            for t in tags
            if t.get("type") == "Mention"
        ],
        "tags": [
            {"name": str(t.get("name", "")).lstrip("#"), "url": t.get("href")}
            for t in tags
            if t.get("type") == "Hashtag"
        ],
        "emojis": [],
        "media_attachments": [_attachment(a) for a in _list(note.get("attachment"))],
        "poll": poll,
    }


def _list(value: object) -> list[Any]:
    """A JSON-LD property as a list: one value alone may come unwrapped; anything else none."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, Mapping) else []


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _attachment(item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        return {"type": "unknown"}
    mime = str(item.get("mediaType") or "")
    kind = mime.split("/")[0] if mime else "unknown"
    kind = {"image": "image", "video": "video", "audio": "audio"}.get(kind, "unknown")
    if mime == "image/gif":
        kind = "gifv"
    size = {"width": item.get("width"), "height": item.get("height")}
    return {
        "type": kind,
        "url": item.get("url"),
        "description": item.get("name") or "",
        "meta": {"original": size},
    }


def visibility(thing: Mapping[str, Any]) -> str:
    to = _addresses(thing.get("to"))
    cc = _addresses(thing.get("cc"))
    if to & _PUBLIC_ALIASES:
        return "public"
    if cc & _PUBLIC_ALIASES:
        return "unlisted"
    if any(a.endswith("/followers") for a in to | cc):
        return "private"
    return "direct"


def _addresses(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()


def last_segment(uri: str) -> str:
    return uri.rstrip("/").rpartition("/")[2] or uri


POST_TYPES = ("Note", "Question", "Article", "Page")


def note_to_post(note: Mapping[str, Any], handle: str) -> Post:
    """A post from a Note (its media as the Note names them, not yet found in the archive)."""
    post = to_post(status_from_note(note, handle), account=handle)
    reply = note.get("inReplyTo")
    reply_to = origin_from_url(str(reply)) if isinstance(reply, str) else None
    if reply and reply_to is None:
        reply_to = PostRef(Platform.MASTODON, "", str(reply), str(reply))
    return post.with_changes(
        reply_to=reply_to,
        kind=PostKind.REPLY if reply_to and post.kind is PostKind.REPLY else post.kind,
    )


def media_path(url: object) -> str:
    """The archive member an attachment's `url` names: BackupService writes the path of the
    file's URL without its leading /system/ (local storage) or as it is (object storage)."""
    path = urlsplit(str(url or "")).path
    return normalise(path.removeprefix("/system/"))


def attachment_paths(note: Mapping[str, Any]) -> list[str]:
    items = note.get("attachment")
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and (path := media_path(item.get("url"))):
            found.append(path)
    return found
