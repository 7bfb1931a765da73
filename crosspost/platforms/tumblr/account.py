"""A blog's profile and collections read over the API: which this reader may see, and one page
of each, through the same paced, retried calls as the post listing (TumblrHttp).

API docs: https://github.com/tumblr/docs/blob/master/api.md#blog-methods

Who may see what (api.md, and Tumblr's answers): /info and /likes take the API key, but likes
answer 403 unless the blog shares them ("Share posts you like"), which /info tells by `share_likes`
(and by a `likes` count, "returned only if ... sharing of likes is enabled"); the owner signed in
reads them either way. /following, /followers and /blocks take OAuth and answer the blog's owner
only. Tumblr has no bookmarks, lists or mutes at all, so they are neither read nor "unavailable".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crosspost.account_data import Collection, CollectionPage, Entry, Profile
from crosspost.errors import DataError, PlatformError
from crosspost.platforms.tumblr.http import TumblrForbiddenError, TumblrHttp
from crosspost.platforms.tumblr.profile import AVATAR_SIZE, to_profile
from crosspost.platforms.tumblr.social import (
    LIST_LIMIT,
    LikesCursor,
    like_entry,
    next_likes,
    next_offset,
    parse_offset,
    person_entry,
)

KINDS = (Collection.LIKES, Collection.FOLLOWING, Collection.FOLLOWERS, Collection.BLOCKS)
# kind -> (path under /v2/blog/{blog}/, the key of the list in the answer, its total's key)
LISTS = {
    Collection.FOLLOWING: ("following", "blogs", "total_blogs"),
    Collection.FOLLOWERS: ("followers", "users", "total_users"),
    Collection.BLOCKS: ("blocks", "blocked_tumblelogs", None),
}
OWNER_ONLY = {
    Collection.FOLLOWING: "the blogs it follows",
    Collection.FOLLOWERS: "its followers",
    Collection.BLOCKS: "the blogs it blocks",
}


class BlogAccount:
    """The profile and collections of one blog, as this reader (signed or with the API key) may
    see them. The blog's /info is read once per instance: it says what the blog shares."""

    def __init__(self, http: TumblrHttp, blog: str, *, signed: bool) -> None:
        self.http = http
        self.blog = blog
        self.signed = signed
        self._info: Mapping[str, Any] | None = None

    def info(self) -> Mapping[str, Any]:
        if self._info is None:
            result = self.http.request(
                "GET", f"/v2/blog/{self.blog}/info", signed=self.signed, what="blog info"
            )
            response = result.response if isinstance(result.response, Mapping) else {}
            blog = response.get("blog")
            self._info = blog if isinstance(blog, Mapping) else {}
        return self._info

    def profile(self) -> Profile:
        info = self.info()
        if not info:
            raise PlatformError(f"Tumblr's /info for {self.blog} held no blog object")
        return to_profile(info, avatar_url=self.avatar_endpoint())

    def avatar_endpoint(self) -> str:
        """/avatar/512, which answers an unsigned request with (a redirect to) the image."""
        return f"{self.http.base_url}/v2/blog/{self.blog}/avatar/{AVATAR_SIZE}"

    # --- which collections ---------------------------------------------------------------------

    def unavailable(self) -> dict[Collection, str]:
        """Kinds Tumblr has that this reader cannot see, each with why and what to do."""
        info = self.info()
        owner = self.signed and info.get("admin") is not False
        reasons: dict[Collection, str] = {}
        if not owner and not _shares_likes(info):
            reasons[Collection.LIKES] = (
                f"{self.blog} does not share its likes (the blog setting 'Share posts you like'); "
                + self._sign_in()
            )
        for kind, what in OWNER_ONLY.items():
            if not owner:
                reasons[kind] = f"Tumblr shows {what} to the blog's owner only; {self._sign_in()}"
        return reasons

    def readable(self) -> tuple[Collection, ...]:
        unavailable = self.unavailable()
        return tuple(kind for kind in KINDS if kind not in unavailable)

    def _sign_in(self) -> str:
        if self.signed:
            return f"sign in as the owner of {self.blog} (`crosspost login`) to read them"
        return "sign in as its owner with `crosspost login` (OAuth, not the API key alone)"

    # --- one page ------------------------------------------------------------------------------

    def fetch(self, kind: Collection, cursor: str | None) -> CollectionPage:
        if kind not in KINDS:
            raise DataError(f"Tumblr has no {kind.label}")
        reason = self.unavailable().get(kind)
        if reason is not None:
            raise PlatformError(f"Tumblr {kind.label} of {self.blog}: {reason}")
        try:
            if kind == Collection.LIKES:
                return self._likes(cursor)
            return self._list(kind, cursor)
        except TumblrForbiddenError as error:
            raise PlatformError(
                f"{error}; Tumblr does not let this reader see the {kind.label} of {self.blog}: "
                + self._sign_in()
            ) from None

    def _likes(self, cursor: str | None) -> CollectionPage:
        where = LikesCursor.parse(cursor)
        response = self._get("likes", where.params(), "likes")
        raw = _records(response.get("liked_posts"))
        fresh, after = next_likes(where, raw, response.get("liked_count"))
        entries = [like_entry(record) for record in fresh]
        return CollectionPage(entries, after.dump() if after is not None else None)

    def _list(self, kind: Collection, cursor: str | None) -> CollectionPage:
        path, key, total_key = LISTS[kind]
        offset = parse_offset(cursor)
        params: dict[str, Any] = {"limit": LIST_LIMIT}
        if offset:
            params["offset"] = offset
        response = self._get(path, params, kind.label)
        raw = _records(response.get(key))
        entries = _unique(person_entry(record) for record in raw if _named(record))
        total = response.get(total_key) if total_key else None
        after = next_offset(offset, len(raw), total, response.get("_links"))
        return CollectionPage(entries, after)

    def _get(self, path: str, params: Mapping[str, Any], what: str) -> Mapping[str, Any]:
        result = self.http.request(
            "GET", f"/v2/blog/{self.blog}/{path}", params=params, signed=self.signed, what=what
        )
        return result.response if isinstance(result.response, Mapping) else {}


def _shares_likes(info: Mapping[str, Any]) -> bool:
    shared = info.get("share_likes")
    if isinstance(shared, bool):
        return shared
    likes = info.get("likes")
    return isinstance(likes, int) and not isinstance(likes, bool)


def _records(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _named(record: Mapping[str, Any]) -> bool:
    return any(isinstance(record.get(key), str) and record.get(key) for key in ("name", "uuid"))


def _unique(entries: Any) -> list[Entry]:
    """One entry per id: a page may name a blog twice when the list moved under it."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.id, entry)
    return list(seen.values())
