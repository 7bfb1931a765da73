"""Bluesky profile and collection records (and App View views) -> Profile and Entry: pure.

Records: lexicons app.bsky.actor.profile, app.bsky.feed.like / repost, app.bsky.graph.follow /
block / list / listitem (https://github.com/bluesky-social/atproto/tree/main/lexicons/app/bsky).
Views, for what lives only on the App View: app.bsky.graph.getFollowers / getMutes
(`profileView`s) and app.bsky.bookmark.getBookmarks (`bookmarkView`: subject strongRef,
createdAt, item = postView | notFoundPost | blockedPost).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from crosspost.account_data import Collection, Entry, Person, Profile
from crosspost.model import Media, MediaKind, Platform, Post
from crosspost.platforms.bluesky.refs import (
    APP_URL,
    REPOST_COLLECTION,
    blob_cid,
    blob_url,
    mapping,
    parse_time,
    ref_for,
    split_uri,
    strong_ref,
)

PROFILE_COLLECTION = "app.bsky.actor.profile"
LIKE_COLLECTION = "app.bsky.feed.like"
FOLLOW_COLLECTION = "app.bsky.graph.follow"
BLOCK_COLLECTION = "app.bsky.graph.block"
LIST_COLLECTION = "app.bsky.graph.list"
LISTITEM_COLLECTION = "app.bsky.graph.listitem"

# The collections kept in the account's own repo, by the record collection that holds them.
RECORD_COLLECTIONS: Mapping[Collection, str] = {
    Collection.LIKES: LIKE_COLLECTION,
    Collection.REPOSTS: REPOST_COLLECTION,
    Collection.FOLLOWING: FOLLOW_COLLECTION,
    Collection.BLOCKS: BLOCK_COLLECTION,
    Collection.LISTS: LIST_COLLECTION,
}
# The collections only the App View keeps (the PDS proxies these calls to it where it has one).
APP_VIEW_CALLS: Mapping[Collection, str] = {
    Collection.FOLLOWERS: "app.bsky.graph.getFollowers",
    Collection.MUTES: "app.bsky.graph.getMutes",
    Collection.BOOKMARKS: "app.bsky.bookmark.getBookmarks",
}
APP_VIEW_ITEMS: Mapping[Collection, str] = {
    Collection.FOLLOWERS: "followers",
    Collection.MUTES: "mutes",
    Collection.BOOKMARKS: "bookmarks",
}


def to_profile(
    record: Mapping[str, Any] | None, *, did: str, handle: str, service: str | None
) -> Profile:
    """The Profile from the `app.bsky.actor.profile/self` record (None: the account has none,
    as a fresh account has not). Avatar and banner are blobs of the account's own repo."""
    value = mapping(record)
    return Profile(
        platform=Platform.BLUESKY,
        id=did,
        handle=handle,
        display_name=_text(value.get("displayName")),
        bio=_text(value.get("description")),
        avatar=_blob_media(value.get("avatar"), did, service, "avatar"),
        banner=_blob_media(value.get("banner"), did, service, "banner"),
        url=f"{APP_URL}/profile/{handle or did}",
        created_at=parse_time(value.get("createdAt")),
        raw=dict(value),
    )


def _blob_media(blob: object, did: str, service: str | None, alt: str) -> Media | None:
    cid = blob_cid(blob)
    if cid is None:
        return None
    data = mapping(blob)
    mime = data.get("mimeType")
    size = data.get("size")
    return Media(
        MediaKind.IMAGE,
        url=blob_url(did, cid, service),
        alt=alt,
        mime=mime if isinstance(mime, str) else None,
        size=size if isinstance(size, int) else None,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def rkey_of(item: Mapping[str, Any]) -> str:
    return split_uri(str(item.get("uri") or ""))[2]


def value_of(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record of a listRecords/getRecord item `{uri, cid, value}`."""
    return mapping(item.get("value"))


def subject_of(item: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """(uri, cid) of the post a like or repost names."""
    return strong_ref(value_of(item).get("subject"))


def post_entry(
    item: Mapping[str, Any],
    *,
    account: str,
    post: Post | None = None,
    unreadable: str = "",
) -> Entry:
    """A like or repost: the post it names (`post`: its content where it could be read, else
    `unreadable` says why and the entry keeps the reference)."""
    subject = subject_of(item)
    own = split_uri(str(item.get("uri") or ""))[0] or None
    raw = dict(item)
    if unreadable:
        raw["unreadable"] = unreadable
    return Entry(
        id=rkey_of(item),
        created_at=parse_time(value_of(item).get("createdAt")),
        subject=ref_for(*subject, account=account, own=own) if subject else None,
        post=post,
        raw=raw,
    )


def person_entry(item: Mapping[str, Any]) -> Entry:
    """A follow or block: the account (a DID) it names."""
    subject = value_of(item).get("subject")
    return Entry(
        id=rkey_of(item),
        created_at=parse_time(value_of(item).get("createdAt")),
        person=Person(subject) if isinstance(subject, str) else None,
        raw=dict(item),
    )


def members_by_list(listitems: Iterable[Mapping[str, Any]]) -> dict[str, list[Person]]:
    """The people on each list (by the list's at-uri), in the order given."""
    members: dict[str, list[Person]] = {}
    for item in listitems:
        value = value_of(item)
        owner, subject = value.get("list"), value.get("subject")
        if isinstance(owner, str) and isinstance(subject, str):
            members.setdefault(owner, []).append(Person(subject))
    return members


def list_entry(item: Mapping[str, Any], members: Sequence[Person]) -> Entry:
    value = value_of(item)
    raw = dict(item)
    return Entry(
        id=rkey_of(item),
        created_at=parse_time(value.get("createdAt")),
        name=_text(value.get("name")),
        description=_text(value.get("description")),
        members=tuple(members),
        raw=raw,
    )


def record_entries(
    kind: Collection,
    items: Sequence[Mapping[str, Any]],
    *,
    account: str,
    members: Mapping[str, Sequence[Person]] | None = None,
) -> list[Entry]:
    """Entries of one record collection, without the liked/reposted posts' content (see
    `post_entry` for that)."""
    if kind is Collection.LISTS:
        found = members or {}
        return [list_entry(item, found.get(str(item.get("uri")), ())) for item in items]
    if kind.of_posts:
        return [post_entry(item, account=account) for item in items]
    return [person_entry(item) for item in items]


def person_of_view(view: Mapping[str, Any]) -> Person:
    """A Person from an App View profileView(Basic)."""
    did = _text(view.get("did"))
    handle = _text(view.get("handle"))
    avatar = view.get("avatar")
    return Person(
        did,
        handle,
        _text(view.get("displayName")),
        f"{APP_URL}/profile/{handle or did}",
        avatar if isinstance(avatar, str) else None,
    )


def view_entry(
    kind: Collection, view: Mapping[str, Any], post: Post | None, *, account: str, own: str
) -> Entry:
    """A follower or mute (a profileView), or a bookmark (a bookmarkView; `post`: its item
    converted when it is a postView)."""
    if kind is Collection.BOOKMARKS:
        subject = strong_ref(view.get("subject"))
        return Entry(
            id=subject[0] if subject else "",
            created_at=parse_time(view.get("createdAt")),
            subject=ref_for(*subject, account=account, own=own) if subject else None,
            post=post,
            raw=dict(view),
        )
    person = person_of_view(view)
    return Entry(id=person.id, created_at=None, person=person, raw=dict(view))


def bookmark_post_view(view: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The postView inside a bookmarkView, when the App View could show the post."""
    item = mapping(view.get("item"))
    kind = str(item.get("$type") or "")
    if kind.endswith(("#notFoundPost", "#blockedPost")):
        return None
    return item if isinstance(item.get("record"), Mapping) and item.get("uri") else None
