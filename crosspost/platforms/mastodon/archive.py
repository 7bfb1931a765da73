"""Import of the account archive a Mastodon server lets its users download (offline).

https://docs.joinmastodon.org/user/moving/#export and app/services/backup_service.rb: a tar.gz
of the media files (under their storage paths, media_attachments/files/...), `outbox.json` (an
OrderedCollection of the account's Create and Announce activities), `likes.json` and
`bookmarks.json` (OrderedCollections of status URIs), `avatar.<ext>`, `header.<ext>` and
`actor.json` (the account as an ActivityPub actor), in that order. Also read as a zip or an
unpacked folder.

The archive is read in one pass (archive_files.py); media files go to the caller's sink as
they are met, and posts, profile and collections are made from the documents after it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from crosspost.account_data import Collection, Entry, Profile
from crosspost.errors import DataError
from crosspost.model import Media, Post, PostKind
from crosspost.platforms.export import FileSink, Skipped
from crosspost.platforms.mastodon.archive_account import (
    profile_from_actor,
    status_entries,
    status_ref,
)
from crosspost.platforms.mastodon.archive_files import (
    UNREADABLE,
    MemberNames,
    document_name,
    iter_members,
    wanted_by,
)
from crosspost.platforms.mastodon.archive_notes import (
    POST_TYPES,
    attachment_paths,
    media_path,
    note_to_post,
    visibility,
)
from crosspost.platforms.mastodon.read import to_post

ABSENT = "media files named but absent from the archive"
# ActivityPub::TagManager#activity_uri_for: .../users/me/statuses/<id>/activity (Mastodon 4.5:
# .../ap/users/<n>/statuses/<id>/activity). The id is the boost's own status id, as the API
# gives it, so an archive and an API backup name a boost alike.
_IMAGES = ("png", "jpg", "jpeg", "gif", "webp", "avif", "heic")  # avatar.<ext>, header.<ext>
_ACTIVITY = re.compile(r"/statuses/([^/?#]+)/activity/?$")


@dataclass
class Archive:
    account: str  # user@host
    posts: list[Post] = field(default_factory=list)
    profile: Profile | None = None
    collections: dict[Collection, list[Entry]] = field(default_factory=dict)
    skipped: Skipped = field(default_factory=Skipped)


def read_archive(path: str | Path, sink: FileSink | None = None) -> Archive:
    """Posts, profile and collections of an account archive, what was skipped counted by kind;
    each media file handed to `sink` (when given) on the one pass. Never raises on the content
    of the archive; DataError only when the file is no archive at all."""
    skipped = Skipped()
    documents, names = _read_pass(Path(path), sink, skipped)
    actor = documents.get("actor.json")
    actor = actor if isinstance(actor, Mapping) else {}
    archive = Archive(_handle(actor), skipped=skipped)
    outbox = documents.get("outbox.json")
    if isinstance(outbox, Mapping):
        reposts = _read_outbox(outbox, archive, names)
        archive.collections[Collection.REPOSTS] = reposts[::-1]  # the outbox is oldest first
    else:
        skipped.note("outbox.json missing or not an object: no posts read")
    for kind, name in ((Collection.LIKES, "likes.json"), (Collection.BOOKMARKS, "bookmarks.json")):
        if name in documents:
            archive.collections[kind] = status_entries(documents[name], name, skipped)
    if actor:
        archive.profile = profile_from_actor(actor, archive.account, names, skipped)
    return archive


def _read_pass(
    path: Path, sink: FileSink | None, skipped: Skipped
) -> tuple[dict[str, Any], MemberNames]:
    documents: dict[str, Any] = {}
    names = MemberNames()
    try:
        _each_member(path, sink, skipped, documents, names)
    except UNREADABLE as error:  # met while a member is read: a truncated or damaged file
        raise DataError(f"{path}: not a readable Mastodon archive ({error})") from None
    return documents, names


def _each_member(
    path: Path,
    sink: FileSink | None,
    skipped: Skipped,
    documents: dict[str, Any],
    names: MemberNames,
) -> None:
    wanted = None
    for member in iter_members(path):
        document = document_name(member.name)
        if document is not None:
            if document in documents:
                skipped.note("documents found twice (the first one read)", member.name)
                continue
            with member.open() as stream:
                documents[document] = _parse(document, stream, skipped)
            continue
        if wanted is None and isinstance(documents.get("outbox.json"), Mapping):
            # Met after the outbox (a zip, a folder, a repacked tar): only what it names.
            wanted = wanted_by(_named_paths(documents))
        names.add(member.name, member.size)
        if sink is not None and (wanted is None or wanted(member.name)):
            with member.open() as stream:
                sink(member.name, stream)


def _named_paths(documents: Mapping[str, Any]) -> list[str]:
    items = documents["outbox.json"].get("orderedItems")
    found = [
        path
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, Mapping) and isinstance(item.get("object"), Mapping)
        for path in attachment_paths(item["object"])
    ]
    actor = documents.get("actor.json")
    if not isinstance(actor, Mapping):  # still to come: its avatar and header come before it
        return found + [f"{image}.{ext}" for image in ("avatar", "header") for ext in _IMAGES]
    for key in ("icon", "image"):
        image = actor.get(key)
        if isinstance(image, Mapping) and (path := media_path(image.get("url"))):
            found.append(path)
    return found


def _parse(name: str, stream: IO[bytes], skipped: Skipped) -> Any:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                duplicates.append(key)
            seen[key] = value  # the last one wins, as in JSON.parse
        return seen

    try:
        data = json.loads(stream.read().decode("utf-8"), object_pairs_hook=pairs)
    except (ValueError, UnicodeDecodeError) as error:
        skipped.note("documents that are not readable JSON", f"{name}: {error}")
        return None
    if duplicates:
        keys = ", ".join(sorted(set(duplicates)))
        skipped.note("documents with keys given twice, the last value kept", f"{name}: {keys}")
    return data


def _handle(actor: Mapping[str, Any]) -> str:
    user = str(actor.get("preferredUsername") or "unknown")
    host = urlsplit(str(actor.get("id") or actor.get("url") or "")).hostname
    return f"{user}@{host}" if host else user


def _read_outbox(outbox: Mapping[str, Any], archive: Archive, names: MemberNames) -> list[Entry]:
    """The outbox's posts into `archive`; its boosts as repost entries, oldest first."""
    reposts: list[Entry] = []
    items = outbox.get("orderedItems")
    for number, activity in enumerate(items if isinstance(items, list) else []):
        if not isinstance(activity, Mapping):
            archive.skipped.note("outbox items that are not activities", f"item {number}")
            continue
        try:
            post = _activity_post(activity, archive.account, names, archive.skipped)
        except (DataError, ValueError, TypeError, KeyError) as error:
            example = f"item {number} ({activity.get('id', '?')}): {error}"
            archive.skipped.note("outbox items not readable", example)
            continue
        if post is None:
            continue
        archive.posts.append(post)
        if post.kind is PostKind.REPOST and post.repost_of is not None:
            reposts.append(_repost_entry(post, activity))
    return reposts


def _activity_post(
    activity: Mapping[str, Any], handle: str, names: MemberNames, skipped: Skipped
) -> Post | None:
    kind = activity.get("type")
    note = activity.get("object")
    if kind == "Announce":
        return _announce(activity, handle, skipped)
    if kind != "Create":
        skipped.note(f"{kind} activities (not posts)", str(activity.get("id") or ""))
        return None
    if not isinstance(note, Mapping):
        skipped.note("Create activities without the post in them", str(activity.get("id") or ""))
        return None
    if note.get("type") not in POST_TYPES:
        skipped.note(f"Create activities of a {note.get('type')} (not a post)")
        return None
    post = note_to_post(note, handle)
    media = tuple(_local_media(item, names, skipped) for item in post.media)
    return post.with_changes(media=media, raw=dict(activity))


def _announce(activity: Mapping[str, Any], handle: str, skipped: Skipped) -> Post | None:
    target = activity.get("object")
    # A boost of one's own followers-only post carries that post (ActivityPresenter inlines it).
    boosted = target if isinstance(target, Mapping) else None
    target = boosted.get("id") if boosted is not None else target
    if not isinstance(target, str) or not activity.get("published"):
        skipped.note("Announce activities without a boosted post or a date", _id(activity))
        return None
    status = {
        "id": boost_id(activity),
        "url": None,
        "created_at": activity["published"],
        "visibility": visibility(activity),
    }
    post = to_post(status, account=handle)
    return post.with_changes(kind=PostKind.REPOST, repost_of=status_ref(target), raw=dict(activity))


def boost_id(activity: Mapping[str, Any]) -> str:
    """A boost's stable id: its status id from the activity's URI, else a digest of that URI
    (or of what it boosted and when), never the last URL segment ("activity") shared by all."""
    uri = _id(activity)
    if match := _ACTIVITY.search(urlsplit(uri).path):
        return match[1]
    target = activity.get("object")
    target = target.get("id") if isinstance(target, Mapping) else target
    seed = uri or f"{target} {activity.get('published')}"
    return "announce-" + hashlib.sha256(seed.encode()).hexdigest()[:20]


def _repost_entry(post: Post, activity: Mapping[str, Any]) -> Entry:
    inline = activity.get("object")
    content = None
    if isinstance(inline, Mapping) and inline.get("type") in POST_TYPES:
        content = note_to_post(inline, post.ref.account)
    return Entry(
        id=_id(activity) or post.ref.id,  # the boost's URI, the id the API's reposts give it too
        created_at=post.created_at,
        subject=post.repost_of,
        post=content,
        raw=dict(activity),
    )


def _local_media(item: Media, names: MemberNames, skipped: Skipped) -> Media:
    path = media_path(item.url)
    member = names.find(path) if path else None
    if member is None:
        skipped.note(ABSENT, path or str(item.url))
        return item
    return Media(
        kind=item.kind,
        url=item.url,
        alt=item.alt,
        width=item.width,
        height=item.height,
        mime=item.mime,
        size=names.sizes[member],
        local_path=member,
        poster_url=item.poster_url,
    )


def _id(activity: Mapping[str, Any]) -> str:
    return str(activity.get("id") or "")
