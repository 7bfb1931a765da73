"""The account besides its posts, read for BlueskyClient: its profile and collections.

https://docs.bsky.app/docs/api/com-atproto-repo-list-records (likes, reposts, follows, blocks,
lists are records of the account's own repo: the PDS alone serves them) and
https://docs.bsky.app/docs/api/app-bsky-graph-get-followers, .../app-bsky-graph-get-mutes,
.../app-bsky-bookmark-get-bookmarks (only the App View knows these: the PDS proxies the calls to
it when it has one, and answers "No service configured for ..." when it has none).

Calls: the profile is one getRecord (plus one describeRepo, which also names the collections the
repo holds, so an empty collection costs no call); a collection page is one listRecords, or
none when a getRepo snapshot is already in memory (see BlueskyClient.list_records); each liked
or reposted post is one getRecord on its author's PDS (none for the account's own posts once a
snapshot is loaded).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Protocol

from crosspost.account_data import Collection, CollectionPage, Entry, Profile
from crosspost.accounts import Account
from crosspost.errors import PlatformError
from crosspost.model import Post
from crosspost.platforms.bluesky.account_read import (
    APP_VIEW_CALLS,
    APP_VIEW_ITEMS,
    LISTITEM_COLLECTION,
    PROFILE_COLLECTION,
    RECORD_COLLECTIONS,
    bookmark_post_view,
    members_by_list,
    post_entry,
    record_entries,
    subject_of,
    to_profile,
    view_entry,
)
from crosspost.platforms.bluesky.read import to_post
from crosspost.platforms.bluesky.read_session import LoginFailedError
from crosspost.platforms.bluesky.refs import mapping, split_uri
from crosspost.platforms.bluesky.repo_reader import RepoReader
from crosspost.platforms.bluesky.xrpc import CallError

PAGE_SIZE = 100
POSTS_PER_CALL = 25  # app.bsky.feed.getPosts: uris maxLength
GET_POSTS = "app.bsky.feed.getPosts"
NO_SERVICE = "No service configured"
# What only the signed-in account may read (the App View's calls; followers go with them).
PRIVATE = "mutes, bookmarks and followers (read signed in)"


class Source(Protocol):
    """What the reader needs of BlueskyClient."""

    account: Account
    repo: RepoReader

    @property
    def did(self) -> str: ...

    @property
    def pds(self) -> str: ...

    def can_sign_in(self) -> bool: ...

    def query(
        self, what: str, nsid: str, params: Mapping[str, Any], *, signed_in: bool = False
    ) -> Any: ...


class AccountReader:
    """HasProfile and HasCollections for one BlueskyClient (which delegates to it)."""

    def __init__(self, client: Source) -> None:
        self.client = client
        self._repo: Mapping[str, Any] | None = None  # describeRepo's answer
        self._app_view: dict[Collection, str] | None = None  # kind -> why it cannot be read
        self._first_followers: Mapping[str, Any] | None = None  # the probe's answer, kept
        self._lock = threading.Lock()

    # --- profile ---------------------------------------------------------------------------------

    def fetch_profile(self) -> Profile:
        client = self.client
        item = client.repo.own_record(PROFILE_COLLECTION, "self")
        value = mapping(item).get("value")
        return to_profile(value, did=client.did, handle=self._handle(), service=client.pds)

    def _handle(self) -> str:
        identity = self.client.account.identity
        if not identity.startswith("did:"):
            return identity  # it resolved to this DID, so it is the account's handle now
        handle = self._describe().get("handle")
        return handle if isinstance(handle, str) and handle != "handle.invalid" else ""

    def _describe(self) -> Mapping[str, Any]:
        if self._repo is None:
            params = {"repo": self.client.did}
            what = "read the account's repo"
            self._repo = mapping(self.client.query(what, "com.atproto.repo.describeRepo", params))
        return self._repo

    def _holds(self, collection: str) -> bool:
        """Whether the repo has any record of `collection` (describeRepo names them)."""
        if self.client.repo.snapshot_loaded():
            return True  # the snapshot answers for free
        held = self._describe().get("collections")
        return not isinstance(held, list) or collection in held

    # --- which collections -----------------------------------------------------------------------

    def collections(self) -> tuple[Collection, ...]:
        missing = self.collections_unavailable()
        kinds = (*RECORD_COLLECTIONS, *APP_VIEW_CALLS)
        return tuple(kind for kind in kinds if kind not in missing)

    def collections_unavailable(self) -> Mapping[Collection, str]:
        with self._lock:
            if self._app_view is None:
                self._app_view = self._probe_app_view()
            return dict(self._app_view)

    def _probe_app_view(self) -> dict[Collection, str]:
        """Ask for the first page of followers: the answer either is that page (kept for
        `fetch_collection`) or says why the App View's collections cannot be read."""
        client = self.client
        signed_in = client.can_sign_in()
        params = {"actor": client.did, "limit": PAGE_SIZE}
        nsid = APP_VIEW_CALLS[Collection.FOLLOWERS]
        try:
            answer = client.query("list followers", nsid, params, signed_in=signed_in)
            self._first_followers = mapping(answer)
            return {}
        except LoginFailedError as error:
            reason = f"{PRIVATE} were not kept because the login failed: {error}"
        except CallError as error:
            reason = _app_view_reason(str(error), client.pds, signed_in, client.account.name)
        return dict.fromkeys(APP_VIEW_CALLS, reason)

    # --- reading one -----------------------------------------------------------------------------

    def fetch_collection(self, kind: Collection, cursor: str | None = None) -> CollectionPage:
        if kind in APP_VIEW_CALLS:
            return self._app_view_page(kind, cursor)
        collection = RECORD_COLLECTIONS[kind]
        if cursor is None and not self._holds(collection):
            return CollectionPage([])
        items, next_cursor = self.client.repo.list_records(collection, cursor)
        if kind is Collection.LISTS:
            members = members_by_list(self._all(LISTITEM_COLLECTION)) if items else {}
            entries = record_entries(kind, items, account=self.client.did, members=members)
        elif kind.of_posts:
            entries = self._post_entries(items)
        else:
            entries = record_entries(kind, items, account=self.client.did)
        return CollectionPage(entries, next_cursor)

    def _all(self, collection: str) -> list[Mapping[str, Any]]:
        if not self._holds(collection):
            return []
        found, cursor = self.client.repo.list_records(collection, None)
        while cursor is not None:
            more, cursor = self.client.repo.list_records(collection, cursor)
            found += more
        return found

    def _post_entries(self, items: list[Mapping[str, Any]]) -> list[Entry]:
        """Likes or reposts with their posts: from the App View 25 a call where the PDS has
        one, else each from its author's repo; several of the account's own posts are read
        from one getRepo snapshot rather than one getRecord each."""
        uris = [subject[0] for item in items if (subject := subject_of(item))]
        views = self._post_views(uris)
        own = [u for u in uris if u not in views and split_uri(u)[0] == self.client.did]
        if len(own) > 1:
            self.client.repo.load_snapshot()
        return [self._post_entry(item, views) for item in items]

    def _post_views(self, uris: list[str]) -> dict[str, Mapping[str, Any]]:
        if not uris or self.collections_unavailable():
            return {}
        found: dict[str, Mapping[str, Any]] = {}
        for start in range(0, len(uris), POSTS_PER_CALL):
            params = {"uris": uris[start : start + POSTS_PER_CALL]}
            try:
                answer = self.client.query("read liked posts", GET_POSTS, params, signed_in=True)
            except CallError:
                return found  # the rest are read from their repos
            for view in mapping(answer).get("posts") or ():
                if isinstance(view, Mapping) and isinstance(view.get("uri"), str):
                    found[str(view["uri"])] = view
        return found

    def _post_entry(self, item: Mapping[str, Any], views: Mapping[str, Mapping[str, Any]]) -> Entry:
        subject = subject_of(item)
        if subject is None:
            return post_entry(item, account=self.client.did, unreadable="it names no post")
        view = views.get(subject[0])
        if view is not None:
            author = split_uri(subject[0])[0]
            return post_entry(item, account=self.client.did, post=to_post(view, account=author))
        try:
            post = self._read_post(subject[0])
        except PlatformError as error:
            return post_entry(item, account=self.client.did, unreadable=str(error))
        if post is None:
            return post_entry(item, account=self.client.did, unreadable="the post is gone")
        return post_entry(item, account=self.client.did, post=post)

    def _read_post(self, uri: str) -> Post | None:
        author = split_uri(uri)[0]
        found = self.client.repo.read_record(uri)
        if found is None:
            return None
        record, service = found
        return to_post(record, account=author, service=service)

    # --- the App View's collections --------------------------------------------------------------

    def _app_view_page(self, kind: Collection, cursor: str | None) -> CollectionPage:
        reason = self.collections_unavailable().get(kind)
        if reason is not None:
            raise PlatformError(f"cannot read {kind.label}: {reason}")
        answer: Mapping[str, Any] | None = None
        if kind is Collection.FOLLOWERS and cursor is None:
            answer, self._first_followers = self._first_followers, None
        if answer is None:
            params: dict[str, Any] = {"limit": PAGE_SIZE}
            if kind is Collection.FOLLOWERS:
                params["actor"] = self.client.did
            if cursor:
                params["cursor"] = cursor
            what = f"list {kind.label}"
            answer = mapping(self.client.query(what, APP_VIEW_CALLS[kind], params, signed_in=True))
        views = [mapping(v) for v in answer.get(APP_VIEW_ITEMS[kind]) or ()]
        entries = [self._view_entry(kind, view) for view in views]
        next_cursor = answer.get("cursor")
        more = isinstance(next_cursor, str) and bool(next_cursor) and bool(views)
        return CollectionPage(entries, next_cursor if more else None)

    def _view_entry(self, kind: Collection, view: Mapping[str, Any]) -> Entry:
        post = None
        shown = bookmark_post_view(view) if kind is Collection.BOOKMARKS else None
        if shown is not None:
            author = str(mapping(shown.get("author")).get("did") or "")
            post = to_post(shown, account=author or self.client.did)
        return view_entry(kind, view, post, account=self.client.did, own=self.client.did)


def _app_view_reason(answer: str, pds: str, signed_in: bool, name: str) -> str:
    if NO_SERVICE in answer:
        return (
            f"Bluesky keeps this on its App View, and the PDS {pds} has none to ask (it "
            "answered: No service configured)"
        )
    if not signed_in:
        return (
            "Bluesky shows this only to the signed-in account, through the App View: "
            f"run `crosspost login {name}` (an app password) to back it up"
        )
    return f"the App View behind {pds} did not answer ({answer})"
