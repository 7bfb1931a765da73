"""Import of the account archive a Mastodon server lets its users download (offline).

https://docs.joinmastodon.org/user/moving/#export (the archive: `outbox.json`, an ActivityPub
OrderedCollection of Create and Announce activities; `actor.json`; media files under their
storage paths, e.g. `media_attachments/files/...`; as a zip, a tar.gz or an unpacked folder).
"""

from __future__ import annotations

import json
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crosspost.errors import DataError
from crosspost.model import Media, Platform, Post, PostKind, PostRef
from crosspost.platforms.mastodon.marker import origin_from_url
from crosspost.platforms.mastodon.read import to_post

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}


class _Files:
    """The archive's members by normalised name, read lazily."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.names: dict[str, Path | str]
        if path.is_dir():
            self.names = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file()}
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                self.names = {n.lstrip("/"): n for n in archive.namelist() if not n.endswith("/")}
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                self.names = {
                    m.name.lstrip("./"): m.name for m in archive.getmembers() if m.isfile()
                }
        else:
            raise DataError(f"{path} is not a Mastodon archive (expected a zip or tar.gz)")

    def read(self, name: str) -> bytes:
        member = self.names[name]
        if isinstance(member, Path):
            return member.read_bytes()
        if zipfile.is_zipfile(self.path):
            with zipfile.ZipFile(self.path) as archive:
                return archive.read(member)
        with tarfile.open(self.path) as archive:
            extracted = archive.extractfile(member)
            if extracted is None:
                raise KeyError(name)
            return extracted.read()

    def find(self, name: str) -> str | None:
        """The member at `name`, also when the archive wraps everything in one top folder."""
        if name in self.names:
            return name
        return next((n for n in self.names if n.endswith("/" + name)), None)


def _load_json(files: _Files, name: str, skipped: list[str]) -> Any:
    member = files.find(name)
    if member is None:
        return None
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                duplicates.append(key)
            seen[key] = value  # the last one wins, as in JSON.parse
        return seen

    try:
        data = json.loads(files.read(member).decode("utf-8"), object_pairs_hook=pairs)
    except (ValueError, UnicodeDecodeError) as error:
        skipped.append(f"{name}: not readable JSON ({error})")
        return None
    if duplicates:
        keys = ", ".join(sorted(set(duplicates)))
        skipped.append(f"{name}: {len(duplicates)} duplicated keys, the last value kept ({keys})")
    return data


def read_archive(path: str | Path) -> tuple[list[Post], list[str]]:
    """Posts from an account archive, and one line per thing skipped. Never raises on the
    content of the archive; raises DataError only when the file is no archive at all."""
    files = _Files(Path(path))
    skipped: list[str] = []
    actor = _load_json(files, "actor.json", skipped)
    actor = actor if isinstance(actor, Mapping) else {}
    outbox = _load_json(files, "outbox.json", skipped)
    if not isinstance(outbox, Mapping):
        skipped.append("outbox.json: missing or not an object; no posts read")
        return [], skipped
    handle = _handle(actor)
    posts: list[Post] = []
    items = outbox.get("orderedItems")
    for number, activity in enumerate(items if isinstance(items, list) else []):
        where = f"outbox item {number}"
        if not isinstance(activity, Mapping):
            skipped.append(f"{where}: not an activity")
            continue
        try:
            post = _activity_post(activity, handle, files, skipped, where)
        except (DataError, ValueError, TypeError, KeyError) as error:
            skipped.append(f"{where} ({activity.get('id', '?')}): unreadable ({error})")
            continue
        if post is not None:
            posts.append(post)
    return posts, skipped


def _handle(actor: Mapping[str, Any]) -> str:
    user = str(actor.get("preferredUsername") or "unknown")
    host = urlsplit(str(actor.get("id") or actor.get("url") or "")).hostname
    return f"{user}@{host}" if host else user


def _activity_post(
    activity: Mapping[str, Any], handle: str, files: _Files, skipped: list[str], where: str
) -> Post | None:
    kind = activity.get("type")
    note = activity.get("object")
    if kind == "Announce":
        return _announce(activity, handle, where, skipped)
    if kind != "Create":
        skipped.append(f"{where}: {kind} activities are not posts")
        return None
    if not isinstance(note, Mapping):
        skipped.append(f"{where}: Create without an embedded object")
        return None
    if note.get("type") not in ("Note", "Question", "Article", "Page"):
        skipped.append(f"{where}: object of type {note.get('type')} is not a post")
        return None
    status = _status_from_note(note, handle)
    post = to_post(status, account=handle)
    media = tuple(_local_media(item, files, skipped, where) for item in post.media)
    reply = note.get("inReplyTo")
    reply_to = origin_from_url(str(reply)) if isinstance(reply, str) else None
    if reply and reply_to is None:
        reply_to = PostRef(Platform.MASTODON, "", str(reply), str(reply))
    return post.with_changes(
        media=media,
        reply_to=reply_to,
        kind=PostKind.REPLY if reply_to and post.kind is PostKind.REPLY else post.kind,
        raw=dict(activity),
    )


def _announce(
    activity: Mapping[str, Any], handle: str, where: str, skipped: list[str]
) -> Post | None:
    target = activity.get("object")
    if isinstance(target, Mapping):
        target = target.get("id")
    if not isinstance(target, str) or not activity.get("published"):
        skipped.append(f"{where}: Announce without a boosted post or a date")
        return None
    boosted = origin_from_url(target) or PostRef(Platform.MASTODON, "", target, target)
    status = {"id": _last_segment(str(activity.get("id") or target)), "url": None}
    post = to_post(
        {**status, "created_at": activity["published"], "visibility": _visibility(activity)},
        account=handle,
    )
    return post.with_changes(kind=PostKind.REPOST, repost_of=boosted, raw=dict(activity))


def _status_from_note(note: Mapping[str, Any], handle: str) -> dict[str, Any]:
    """The Note in the shape of a Mastodon API status, so one converter reads both."""
    tags = [t for t in note.get("tag") or [] if isinstance(t, Mapping)]
    content_map = note.get("contentMap")
    language = next(iter(content_map), None) if isinstance(content_map, Mapping) else None
    poll = None
    if note.get("type") == "Question":
        options = note.get("oneOf") or note.get("anyOf") or []
        poll = {
            "multiple": "anyOf" in note,
            "expires_at": note.get("endTime"),
            "options": [
                {
                    "title": o.get("name", ""),
                    "votes_count": (o.get("replies") or {}).get("totalItems"),
                }
                for o in options
                if isinstance(o, Mapping)
            ],
        }
    return {
        "id": _last_segment(str(note.get("id") or note.get("url") or "")),
        "created_at": note.get("published"),
        "edited_at": note.get("updated"),
        "url": note.get("url") or note.get("id"),
        "content": note.get("content") or "",
        "spoiler_text": note.get("summary") or "",
        "sensitive": bool(note.get("sensitive")),
        "visibility": _visibility(note),
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
        "media_attachments": [_attachment(a) for a in note.get("attachment") or []],
        "poll": poll,
    }


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


def _local_media(item: Media, files: _Files, skipped: list[str], where: str) -> Media:
    path = urlsplit(item.url or "").path.lstrip("/")
    member = files.find(path) if path else None
    if member is None:
        skipped.append(f"{where}: media file {path or item.url} is not in the archive")
        return item
    return Media(
        kind=item.kind,
        url=item.url,
        alt=item.alt,
        width=item.width,
        height=item.height,
        mime=item.mime,
        size=len(files.read(member)),
        local_path=member,
        poster_url=item.poster_url,
    )


def _visibility(thing: Mapping[str, Any]) -> str:
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


def _last_segment(uri: str) -> str:
    return uri.rstrip("/").rpartition("/")[2] or uri
