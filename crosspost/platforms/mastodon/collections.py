"""A Mastodon account's collections: favourites, bookmarks, boosts, follows, lists, blocks, mutes.

https://docs.joinmastodon.org/methods/favourites/ , /methods/bookmarks/ , /methods/blocks/ ,
/methods/mutes/ , /methods/lists/ , /methods/accounts/#following (and #followers).

Every listing pages by its `Link` header (https://docs.joinmastodon.org/api/guidelines/#pagination).
Favourites, bookmarks, follows, blocks and mutes page by the id of the favourite (follow, block,
...) record, which no answer carries: the Link header's `max_id` is the only cursor, and a
status's or account's own id would skip or repeat entries. Newest first: the most recently
favourited (followed, ...) first.

Entry ids are the ActivityPub ids the server sends (`uri`): a favourited status's, a boost's
(the `.../activity` of its Announce) and an account's; the ones a Mastodon archive names too.
Mastodon does not say when a status was favourited or bookmarked, nor when an account was
followed: those entries have no `created_at`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crosspost.account_data import Collection, CollectionPage, Entry, Person
from crosspost.errors import DataError, PlatformError
from crosspost.platforms.mastodon.profile import person_from_account
from crosspost.platforms.mastodon.read import (
    account_handle,
    parse_time,
    plain_json,
    status_ref,
    to_post,
)

# One GET: (what, endpoint, params) -> (JSON answer, the Link header's next max_id).
Getter = Callable[[str, str, Mapping[str, Any]], tuple[Any, str | None]]

STATUS_PAGE = 40  # the most /favourites, /bookmarks and account statuses return
ACCOUNT_PAGE = 80  # the most /following, /followers, /blocks, /mutes and list members return
# Boosts are found among the account's own statuses: one call reads up to this many pages
# (1,000 statuses) looking for one, then hands back an empty page with the cursor to go on.
REPOST_SCAN_PAGES = 25


@dataclass(frozen=True, slots=True)
class Listing:
    """Where a collection is read, and whether only the account itself may read it."""

    endpoint: str  # "{id}" stands for the account's id on its server
    limit: int
    private: bool  # needs the account's own token (OAuth scope `scope`)
    scope: str = ""


LISTINGS: dict[Collection, Listing] = {
    Collection.LIKES: Listing("/api/v1/favourites", STATUS_PAGE, True, "read:favourites"),
    Collection.BOOKMARKS: Listing("/api/v1/bookmarks", STATUS_PAGE, True, "read:bookmarks"),
    Collection.REPOSTS: Listing("/api/v1/accounts/{id}/statuses", STATUS_PAGE, False),
    Collection.FOLLOWING: Listing("/api/v1/accounts/{id}/following", ACCOUNT_PAGE, False),
    Collection.FOLLOWERS: Listing("/api/v1/accounts/{id}/followers", ACCOUNT_PAGE, False),
    Collection.LISTS: Listing("/api/v1/lists", 0, True, "read:lists"),
    Collection.BLOCKS: Listing("/api/v1/blocks", ACCOUNT_PAGE, True, "read:blocks"),
    Collection.MUTES: Listing("/api/v1/mutes", ACCOUNT_PAGE, True, "read:mutes"),
}
SOCIAL_GRAPH = (Collection.FOLLOWING, Collection.FOLLOWERS)


def unavailable(
    account: Mapping[str, Any], *, signed_in: bool, login: str
) -> dict[Collection, str]:
    """The collections a reader cannot see, and why, in words for the account's owner."""
    reasons: dict[Collection, str] = {}
    if not signed_in:
        for kind, listing in LISTINGS.items():
            if listing.private:
                reasons[kind] = (
                    f"Mastodon shows an account's {kind.label} only to the account itself; "
                    f"log in with `{login}` to back them up"
                )
        if account.get("hide_collections"):
            for kind in SOCIAL_GRAPH:
                reasons[kind] = (
                    f"{account_handle(account)} hides whom it follows and who follows it; "
                    f"log in with `{login}` to back up its {kind.label}"
                )
    return reasons


# --- pure conversions ------------------------------------------------------------------------


def status_entries(statuses: Sequence[Mapping[str, Any]]) -> list[Entry]:
    """Favourited or bookmarked statuses, with their content as each one's author wrote it."""
    entries = []
    for status in statuses:
        post = to_post(status, account=account_handle(status.get("account") or {}))
        # The post keeps the status as sent; the entry adds nothing to it.
        entries.append(Entry(id=_uri(status), subject=post.ref, post=post))
    return entries


def repost_entries(statuses: Sequence[Mapping[str, Any]]) -> list[Entry]:
    """The account's boosts among its statuses (the rest are its own posts, read elsewhere)."""
    entries = []
    for status in statuses:
        reblog = status.get("reblog")
        if not isinstance(reblog, Mapping):
            continue
        post = to_post(reblog, account=account_handle(reblog.get("account") or {}))
        entries.append(
            Entry(
                id=_uri(status),
                created_at=parse_time(status.get("created_at"), "created_at"),
                subject=post.ref,
                post=post,
                raw={key: value for key, value in plain_json(status).items() if key != "reblog"},
            )
        )
    return entries


def account_entries(accounts: Sequence[Mapping[str, Any]]) -> list[Entry]:
    """Followed, following, blocked or muted accounts (a mute's `mute_expires_at` is in raw)."""
    entries = []
    for account in accounts:
        person = person_from_account(account)
        entries.append(Entry(id=person.id, person=person, raw=plain_json(account)))
    return entries


def list_entry(native: Mapping[str, Any], members: Sequence[Person]) -> Entry:
    """A list: its title and its members (`replies_policy` and `exclusive` are in raw)."""
    if "id" not in native:
        raise DataError("Mastodon list has no id")
    return Entry(
        id=str(native["id"]),
        name=str(native.get("title") or ""),
        members=tuple(members),
        raw=plain_json(native),
    )


def _uri(status: Mapping[str, Any]) -> str:
    value = status.get("uri") or status.get("url")
    return str(value) if value else status_ref(status).id


# --- reading ---------------------------------------------------------------------------------


@dataclass
class CollectionReader:
    """Reads one account's collections through `get` (the client's rate-limited GET)."""

    get: Getter
    account_id: Callable[[], str]

    def fetch(self, kind: Collection, cursor: str | None) -> CollectionPage:
        if kind is Collection.LISTS:
            return CollectionPage(self._lists())
        if kind is Collection.REPOSTS:
            return self._reposts(cursor)
        answer, after = self._page(kind, cursor)
        if kind.of_posts:
            entries = status_entries(_list_of(answer, kind.label))
        else:
            entries = account_entries(_list_of(answer, kind.label))
        return CollectionPage(entries, after if entries else None)

    def _page(self, kind: Collection, cursor: str | None) -> tuple[Any, str | None]:
        listing = LISTINGS[kind]
        endpoint = listing.endpoint.replace("{id}", self.account_id())
        params: dict[str, Any] = {}  # in the order Mastodon.py sends them
        if cursor is not None:
            params["max_id"] = cursor
        params["limit"] = listing.limit
        return self.get(f"read {kind.label}", endpoint, params)

    def _reposts(self, cursor: str | None) -> CollectionPage:
        for _ in range(REPOST_SCAN_PAGES):
            answer, after = self._page(Collection.REPOSTS, cursor)
            statuses = _list_of(answer, "statuses")
            entries = repost_entries(statuses)
            cursor = after if statuses else None
            if entries or cursor is None:
                return CollectionPage(entries, cursor)
        return CollectionPage([], cursor)

    def _lists(self) -> list[Entry]:
        answer, _ = self.get("read lists", LISTINGS[Collection.LISTS].endpoint, {})
        return [
            list_entry(native, self._members(str(native.get("id"))))
            for native in _list_of(answer, "lists")
        ]

    def _members(self, list_id: str) -> list[Person]:
        members: list[Person] = []
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"max_id": cursor} if cursor else {}
            params["limit"] = ACCOUNT_PAGE
            answer, cursor = self.get(
                "read list members", f"/api/v1/lists/{list_id}/accounts", params
            )
            accounts = _list_of(answer, "list members")
            members.extend(person_from_account(account) for account in accounts)
            # A server that ignores max_id names the same page again: that is the end.
            if not accounts or cursor is None or cursor in seen:
                return members
            seen.add(cursor)


def _list_of(answer: Any, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(answer, list) or not all(isinstance(item, Mapping) for item in answer):
        raise PlatformError(f"read {what}: the answer is not a list")
    return answer
