"""What an account is besides its posts: its profile, and its collections (likes, bookmarks,
reposts, the people it follows, ...), in one shape for every platform.

Like `model.py` these are plain frozen dataclasses with the model's JSON codec; a backup keeps a
profile as `profile.json` and each collection as `collections/<kind>.json`, a plain JSON list of
entries that other tools can read without crosspost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from crosspost.errors import InvalidPostError
from crosspost.model import JSON, Media, Platform, Post, PostRef
from crosspost.model_codec import decode, encode

PROFILE_SCHEMA = 1


class Collection(StrEnum):
    """The kinds of collection an account may have. Not every platform has every kind."""

    LIKES = "likes"  # Bluesky likes, Mastodon favourites, Tumblr likes
    BOOKMARKS = "bookmarks"
    REPOSTS = "reposts"  # Bluesky reposts and Mastodon boosts (Tumblr reblogs are posts)
    FOLLOWING = "following"
    FOLLOWERS = "followers"
    LISTS = "lists"
    BLOCKS = "blocks"
    MUTES = "mutes"
    COMMENTS = "comments"  # comments others left on the account's own posts (Dreamwidth)

    @property
    def of_posts(self) -> bool:
        """Entries name posts (likes, bookmarks, reposts), newest first: an incremental run stops
        at the first entry it already has. The others name accounts or lists and are read whole
        each run (they are small, and an unfollow is only seen that way)."""
        return self in _OF_POSTS

    @property
    def answers_posts(self) -> bool:
        """Entries are comments on the account's own posts, each naming its post as `subject`.
        They are read whole each run (states change: screened, deleted), the reader given the
        saved copy so that it fetches in full only what is new; the viewer shows them under the
        posts they answer, not on the account's page."""
        return self is Collection.COMMENTS

    @property
    def label(self) -> str:
        return self.value


_OF_POSTS = frozenset({Collection.LIKES, Collection.BOOKMARKS, Collection.REPOSTS})


@dataclass(frozen=True, slots=True)
class Person:
    """An account named in a collection or on a post: its permanent id where the platform has
    one (a DID, a Mastodon account URL), the handle people know it by, and where it lives."""

    id: str
    handle: str = ""
    display_name: str = ""
    url: str | None = None
    avatar_url: str | None = None

    @property
    def name(self) -> str:
        """How to name this account to a person: the handle, else the id."""
        return self.handle or self.id


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a collection.

    `id` is unique within the collection and stable across runs (a like record's key, a
    favourited status id, a followed account's id). A post entry names its `subject` and keeps
    the post's content in `post` when it could be read; an account entry names its `person`; a
    list has a `name`, a `description` and its `members`."""

    id: str
    created_at: datetime | None = None  # when it was liked, followed, ... where the platform says
    subject: PostRef | None = None
    post: Post | None = None
    person: Person | None = None
    name: str = ""
    description: str = ""
    members: tuple[Person, ...] = ()
    raw: JSON = field(default_factory=dict, hash=False)

    def to_json(self) -> JSON:
        data = encode(self)
        if self.post is not None:
            data["post"] = self.post.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Entry:
        post = data.get("post")
        entry = decode(cls, {**data, "post": None})
        if isinstance(post, Mapping):
            entry = replace(entry, post=Post.from_json(post))
        return entry


@dataclass(frozen=True, slots=True)
class ProfileField:
    """A name and value shown on a profile (Mastodon's profile metadata, a Tumblr link)."""

    name: str
    value: str
    verified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """An account as it presents itself. `id` is its permanent id (the DID, the Mastodon account
    URL, the Tumblr blog uuid), `handle` the name people type. Avatar and banner are media items
    stored in the backup's media folder like a post's. `theme` holds what only some platforms
    have (a Tumblr blog's title colour, background, fonts), as the platform names it."""

    platform: Platform
    id: str
    handle: str
    display_name: str = ""
    bio: str = ""  # plain text; `bio_html` where the platform writes HTML
    bio_html: str = ""
    fields: tuple[ProfileField, ...] = ()
    avatar: Media | None = None
    banner: Media | None = None
    url: str | None = None
    title: str = ""  # a Tumblr blog's title
    # Other pictures the account keeps to show beside what it writes (Dreamwidth's userpics,
    # each with its keyword as the alt text); the avatar is one of them where it is.
    pictures: tuple[Media, ...] = ()
    theme: JSON = field(default_factory=dict)
    created_at: datetime | None = None
    counts: JSON = field(default_factory=dict)  # posts, followers, following, as it says
    raw: JSON = field(default_factory=dict, hash=False)

    @property
    def person(self) -> Person:
        return Person(
            self.id,
            self.handle,
            self.display_name,
            self.url,
            self.avatar.url if self.avatar is not None else None,
        )

    def media(self) -> tuple[Media, ...]:
        return tuple(m for m in (self.avatar, self.banner) if m is not None) + self.pictures

    def to_json(self) -> JSON:
        return {"schema": PROFILE_SCHEMA, **encode(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Profile:
        if data.get("schema") != PROFILE_SCHEMA:
            raise InvalidPostError(
                f"profile schema version {data.get('schema')!r} is not supported; "
                "upgrade crosspost to read it"
            )
        return decode(cls, data)

    def same_content(self, other: Profile | None) -> bool:
        """Whether `other` says the same (counts and the raw payload aside: they change daily)."""
        if other is None:
            return False
        return replace(self, counts={}, raw={}) == replace(other, counts={}, raw={})


@dataclass(frozen=True, slots=True)
class CollectionPage:
    """One page of a collection, newest first where the collection has an order; `cursor`
    fetches the next page, None after the last."""

    entries: Sequence[Entry]
    cursor: str | None = None


def entries_to_json(entries: Sequence[Entry]) -> list[JSON]:
    return [entry.to_json() for entry in entries]


def entries_from_json(data: Any, where: str) -> list[Entry]:
    if not isinstance(data, list):
        raise InvalidPostError(f"{where}: not a list of entries")
    return [Entry.from_json(item) for item in data if isinstance(item, Mapping)]
