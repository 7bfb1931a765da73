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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from crosspost.account_data import Collection, Entry, Profile
from crosspost.errors import DataError
from crosspost.model import Media, Post, PostKind
from crosspost.platforms.archive_safety import UNREADABLE
from crosspost.platforms.export import FileSink, Skipped
from crosspost.platforms.mastodon import archive_files
from crosspost.platforms.mastodon.archive_account import (
    profile_from_actor,
    status_entries,
    status_ref,
    status_uri,
)
from crosspost.platforms.mastodon.archive_files import (
    Member,
    MemberNames,
    bounded,
    document_name,
    iter_members,
    wanted_by,
)
from crosspost.platforms.mastodon.archive_json import BadItem, JsonStreamError, iter_items
from crosspost.platforms.mastodon.archive_lines import Lines
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
    """Posts, profile and collections of an account archive, all in memory (see open_archive
    for a stream of its posts)."""
    reading = open_archive(path, sink)
    posts = list(reading.posts())
    collections = dict(reading.collections())
    return Archive(reading.account, posts, reading.profile, collections, reading.skipped)


class ArchiveReading:
    """An archive after its one pass: account, profile and skips known, the outbox's items
    kept on disk (archive_lines.py), made into posts one at a time by `posts()`; the boosts
    met on the way and the statuses liked and bookmarked kept on disk too, made into entries
    one collection at a time by `collections()`."""

    def __init__(self, account: str, outbox: Lines | None, names: MemberNames) -> None:
        self.account = account
        self.profile: Profile | None = None
        self.skipped = Skipped()
        self._outbox = outbox
        self._names = names
        # The boosts' activities, oldest first (an archive with an outbox has the collection).
        self._reposts = Lines() if outbox is not None else None
        # likes, bookmarks: their status URIs, oldest first (None: the document has no list)
        self._statuses: dict[Collection, Lines | None] = {}

    def item_count(self) -> int | None:
        """How many items the outbox holds (a progress bar's end), before `posts()` is read."""
        return None if self._outbox is None else self._outbox.count

    def posts(self) -> Iterator[Post]:
        """Each post of the outbox, oldest first; its boosts kept as repost entries. Once."""
        if self._outbox is None:
            return
        outbox, self._outbox = self._outbox, None
        try:
            for number, activity in enumerate(outbox):
                post = self._post(number, activity)
                if post is not None:
                    yield post
        finally:
            outbox.close()

    def _post(self, number: int, activity: Mapping[str, Any]) -> Post | None:
        try:
            post = _activity_post(activity, self.account, self._names, self.skipped)
        except (DataError, ValueError, TypeError, KeyError, AttributeError) as error:
            example = f"item {number} ({str(activity.get('id', '?'))[:80]}): {str(error)[:120]}"
            self.skipped.note("outbox items not readable", example)
            return None
        is_boost = post is not None and post.kind is PostKind.REPOST and post.repost_of
        if is_boost and self._reposts is not None:
            self._reposts.add(activity)
        return post

    def collections(self) -> Mapping[Collection, list[Entry]]:
        """Reposts (complete once `posts()` has been read), likes and bookmarks; each
        collection's entries are made when it is looked up, not kept."""
        kinds = [Collection.REPOSTS] if self._reposts is not None else []
        return _Collections(kinds + list(self._statuses), self._entries)

    def _entries(self, kind: Collection) -> list[Entry]:
        if kind is Collection.REPOSTS:
            entries = [_repost_entry(self.account, boost) for boost in self._reposts or ()]
            return entries[::-1]  # the outbox is oldest first
        return status_entries(self._statuses[kind] or ())


class _Collections(Mapping[Collection, list[Entry]]):
    def __init__(
        self, kinds: list[Collection], entries: Callable[[Collection], list[Entry]]
    ) -> None:
        self._kinds = kinds
        self._make = entries

    def __getitem__(self, kind: Collection) -> list[Entry]:
        if kind not in self._kinds:
            raise KeyError(kind)
        return self._make(kind)

    def __iter__(self) -> Iterator[Collection]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)


def open_archive(path: str | Path, sink: FileSink | None = None) -> ArchiveReading:
    """The archive after its one pass, each media file handed to `sink` (when given) on the
    way. Never raises on the content of the archive; DataError when the file is no archive at
    all, is damaged, or holds neither a readable outbox.json nor actor.json."""
    path = Path(path)
    skipped = Skipped()
    pass_ = _Pass(sink, skipped)
    try:
        pass_.run(path)
    except UNREADABLE as error:  # met while a member is read: a truncated or damaged file
        pass_.close()
        raise DataError(f"{path}: not a readable Mastodon archive ({error})") from None
    except BaseException:
        pass_.close()
        raise
    actor = pass_.documents.get("actor.json")
    actor = actor if isinstance(actor, Mapping) else {}
    if pass_.outbox is None and not actor:
        raise DataError(
            f"{path}: no readable outbox.json nor actor.json in it: not a usable Mastodon "
            "archive (download a new one under Preferences > Import and export)"
        )
    reading = ArchiveReading(_handle(actor), pass_.outbox, pass_.names)
    reading.skipped = skipped
    if pass_.outbox is None:
        skipped.note("outbox.json missing or not an object: no posts read")
    for kind, name in ((Collection.LIKES, "likes.json"), (Collection.BOOKMARKS, "bookmarks.json")):
        if name in pass_.documents:
            if pass_.documents[name] is None:
                skipped.note("collections without a list of statuses (left out)", name)
            reading._statuses[kind] = pass_.documents[name]
    if actor:
        reading.profile = profile_from_actor(actor, reading.account, pass_.names, skipped)
    return reading


class _Pass:
    """The one pass over the members: documents read, media handed to the sink."""

    def __init__(self, sink: FileSink | None, skipped: Skipped) -> None:
        self.sink = sink
        self.skipped = skipped
        self.documents: dict[str, Any] = {}
        self.names = MemberNames()
        self.outbox: Lines | None = None  # the outbox's items
        self.paths: set[str] = set()  # the media files the outbox names
        self._wanted: Callable[[str], bool] | None = None

    def close(self) -> None:
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None

    def run(self, path: Path) -> None:
        for member in iter_members(path):
            document = document_name(member.name)
            if document is not None:
                self._document(document, member)
                continue
            if self._wanted is None and self.outbox is not None:
                # Met after the outbox (a zip, a folder, a repacked tar): only what it names.
                self._wanted = wanted_by(self._named_paths())
            self.names.add(member.name, member.size)
            if self.sink is None or (self._wanted is not None and not self._wanted(member.name)):
                continue
            if member.size > archive_files.MAX_MEMBER:
                limit = archive_files.MAX_MEMBER >> 20
                self.skipped.note(f"media files larger than {limit} MB (left out)", member.name)
                continue
            with bounded(member) as stream:
                self.sink(member.name, stream)  # type: ignore[arg-type]

    def _document(self, document: str, member: Member) -> None:
        if document in self.documents or (document == "outbox.json" and self.outbox is not None):
            self.skipped.note("documents found twice (the first one read)", member.name)
            return
        with bounded(member) as stream:
            if document == "outbox.json":
                self.documents[document] = None
                self.outbox = _spool_outbox(stream, self.skipped, self.paths)  # type: ignore[arg-type]
            elif document == "actor.json":
                self.documents[document] = _parse(document, stream, self.skipped)  # type: ignore[arg-type]
            else:
                self.documents[document] = _collection(document, stream, self.skipped)  # type: ignore[arg-type]

    def _named_paths(self) -> list[str]:
        found = list(self.paths)
        actor = self.documents.get("actor.json")
        if not isinstance(actor, Mapping):  # still to come: its avatar and header come before it
            return found + [f"{image}.{ext}" for image in ("avatar", "header") for ext in _IMAGES]
        for key in ("icon", "image"):
            image = actor.get(key)
            if isinstance(image, Mapping) and (path := media_path(image.get("url"))):
                found.append(path)
        return found


class _Duplicates:
    """A pairs hook noting keys given twice (the last one wins, as in JSON.parse)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def __call__(self, items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                self.keys.add(key)
            seen[key] = value
        return seen

    def report(self, name: str, skipped: Skipped) -> None:
        if self.keys:
            keys = ", ".join(sorted(self.keys))[:200]
            skipped.note("documents with keys given twice, the last value kept", f"{name}: {keys}")


def _spool_outbox(stream: IO[bytes], skipped: Skipped, paths: set[str]) -> Lines | None:
    """The outbox's activities, kept on disk (None when it is no readable object); the media
    paths they name into `paths`."""
    duplicates = _Duplicates()
    top: set[str] = set()
    spooled = Lines()

    def key(name: str, value: Any) -> None:
        if name in top:
            duplicates.keys.add(name)
        top.add(name)

    try:
        limit = archive_files.MAX_ITEM
        for number, item in enumerate(
            iter_items(stream, max_item=limit, hook=duplicates, keys=key)
        ):
            if isinstance(item, BadItem):
                why = item.reason.replace("the limit", f"{limit >> 20} MB")
                skipped.note(f"outbox items {why.split(' (')[0]} (left out)", f"item {number}")
                continue
            if not isinstance(item, Mapping):
                skipped.note("outbox items that are not activities", f"item {number}")
                continue
            note = item.get("object")
            if isinstance(note, Mapping):
                paths.update(attachment_paths(note))
            spooled.add(item)
    except (JsonStreamError, RecursionError) as error:
        skipped.note("documents that are not readable JSON", f"outbox.json: {error}")
        if not top:
            spooled.close()
            return None
    duplicates.report("outbox.json", skipped)
    if "orderedItems" not in top:
        spooled.close()
        return None
    return spooled


def _collection(name: str, stream: IO[bytes], skipped: Skipped) -> Lines | None:
    """The status URIs of likes.json or bookmarks.json, read item by item and kept on disk in
    the file's order; None when the document holds no list of them."""
    uris = Lines()
    found = False

    def key(key_name: str, value: Any) -> None:
        nonlocal found
        found = found or key_name == "orderedItems"

    try:
        for item in iter_items(stream, max_item=archive_files.MAX_ITEM, keys=key):
            if not isinstance(item, BadItem) and (uri := status_uri(item, name, skipped)):
                uris.add(uri)
    except (JsonStreamError, RecursionError) as error:
        skipped.note("documents that are not readable JSON", f"{name}: {error}")
        uris.close()
        return None
    if not found:
        uris.close()
        return None
    return uris


def _parse(name: str, stream: IO[bytes], skipped: Skipped) -> Any:
    data = stream.read(archive_files.MAX_ITEM + 1)
    if len(data) > archive_files.MAX_ITEM:
        skipped.note("documents larger than the limit (left out)", name)
        return None
    duplicates = _Duplicates()
    try:
        parsed = json.loads(data.decode("utf-8"), object_pairs_hook=duplicates)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        skipped.note("documents that are not readable JSON", f"{name}: {str(error)[:120]}")
        return None
    duplicates.report(name, skipped)
    return parsed


def _handle(actor: Mapping[str, Any]) -> str:
    user = str(actor.get("preferredUsername") or "unknown")
    host = urlsplit(str(actor.get("id") or actor.get("url") or "")).hostname
    return f"{user}@{host}" if host else user


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


def _repost_entry(handle: str, activity: Mapping[str, Any]) -> Entry:
    """The repost entry of a boost `posts()` has read (and so made into a post once already)."""
    post = _announce(activity, handle, Skipped())
    if post is None or post.repost_of is None:  # pragma: no cover (posts() read it as a boost)
        raise DataError(f"{_id(activity)[:80]}: not a boost")
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
