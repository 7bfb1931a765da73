"""The one interface every platform adapter implements, and what passes through it.

Reading gives `Post`s (via each adapter's pure `to_post(native) -> Post`); writing takes a `Draft`
(one post to publish: a chunk of a fitted source post, via the pure
`from_draft(draft, context) -> native`) and publishes it idempotently. Optional abilities are
declared protocols (`CanEdit`, `HasServerLimits`, ...). Time and sleeping are injected so tests
never wait.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, overload, runtime_checkable

from crosspost.account_data import Collection, CollectionPage, Entry, Profile
from crosspost.accounts import Account
from crosspost.model import Limits, LinkCard, Media, Post, PostRef, RichText, Visibility

# The retry policy and its injected time live with the one retry loop (retry.py); re-exported.
from crosspost.platforms.retry import DEFAULT_MAX_WAIT as DEFAULT_MAX_WAIT
from crosspost.platforms.retry import Clock as Clock
from crosspost.platforms.retry import RateScope as RateScope
from crosspost.platforms.retry import Reading as Reading
from crosspost.platforms.retry import RetryPolicy as RetryPolicy
from crosspost.platforms.retry import Sleeper as Sleeper


class LazyPosts(Sequence[Post]):
    """A page's posts, converted from the platform's records the first time they are looked at.

    Paging is sequential, so whatever the paging thread does between two requests adds to the
    whole listing: it only needs the cursor, which the adapter reads from the raw page. The
    conversion (the pure `to_post`) then runs wherever the posts are first used: in a backup, on
    the thread that prepares the page while the next request is on the wire. The length needs no
    conversion; an error in a record is raised where the posts are first used.
    """

    __slots__ = ("_convert", "_lock", "_posts", "_records")

    def __init__(
        self, records: Sequence[Mapping[str, Any]], convert: Callable[[Mapping[str, Any]], Post]
    ) -> None:
        self._records: Sequence[Mapping[str, Any]] | None = records
        self._convert = convert
        self._posts: tuple[Post, ...] | None = None
        self._lock = threading.Lock()

    def _all(self) -> tuple[Post, ...]:
        posts = self._posts
        if posts is None:
            with self._lock:
                if self._posts is None:
                    assert self._records is not None
                    self._posts = tuple(self._convert(r) for r in self._records)
                    self._records = None  # the raw page is kept in each Post's `raw`
                posts = self._posts
        return posts

    def __len__(self) -> int:
        posts = self._posts
        if posts is not None:
            return len(posts)
        records = self._records
        return len(records) if records is not None else len(self._all())

    @overload
    def __getitem__(self, index: int) -> Post: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Post, ...]: ...
    def __getitem__(self, index: int | slice) -> Post | tuple[Post, ...]:
        return self._all()[index]

    def __iter__(self) -> Iterator[Post]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._all() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like a list: compared by content

    def __repr__(self) -> str:
        state = "converted" if self._posts is not None else "not yet converted"
        return f"LazyPosts({len(self)} posts, {state})"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of an account's posts, newest first; `cursor` fetches the next (older) page.

    `posts` is a tuple or a `LazyPosts` (converted on first use, off the paging path);
    `total` is how many posts the whole listing holds, when the platform says (a progress bar's
    end; never trusted to decide where the listing stops)."""

    posts: Sequence[Post]
    cursor: str | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """One post to publish on a target.

    `idempotency_key` is stable across retries of the same publish (the ledger derives it from the
    source post, the target and the chunk index): Bluesky turns it into the record key, Mastodon
    sends it as Idempotency-Key, Tumblr uses `origin` to look for an earlier attempt.
    `origin` is the source post; every mirror carries a marker of it. `created_at`, when set,
    asks the target to keep the original date (migration) where it can.
    `key_time` is a stable time for the new mirror's identity: a date of the source post (its own
    `created_at`), never a time of the run, so the identity follows from the source alone and a
    lost ledger cannot make a second copy. Targets whose post ids carry a time (Bluesky's TID
    record keys) use it when there is no kept date.
    """

    text: RichText
    idempotency_key: str
    media: tuple[Media, ...] = ()
    tags: tuple[str, ...] = ()
    link_card: LinkCard | None = None
    reply_to: PostRef | None = None
    thread_root: PostRef | None = None
    quote_of: PostRef | None = None
    content_warning: str = ""
    sensitive: bool = False
    visibility: Visibility = Visibility.PUBLIC
    langs: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    created_at: datetime | None = None
    origin: PostRef | None = None
    key_time: datetime | None = None


class PlatformClient(Protocol):
    """What the backup and sync engines need from a platform; one implementation per platform."""

    account: Account

    def limits(self) -> Limits:
        """What one post on this account's server may hold (read from the server where it says)."""
        ...

    def fetch_page(self, cursor: str | None = None) -> Page:
        """One page of the account's own posts, newest first."""
        ...

    def fetch_post(self, ref: PostRef) -> Post | None:
        """One post, or None when it is gone (or, see `sees`, hidden from this reader)."""
        ...

    def sees(self, visibility: Visibility) -> bool:
        """Whether this client, as signed in (or not), can read the account's posts of this
        visibility: reading as the public, drafts and followers-only posts look deleted."""
        ...

    def publish(self, draft: Draft) -> PostRef:
        """Publish one draft; publishing the same idempotency key twice yields one post."""
        ...

    def find_published(self, draft: Draft) -> PostRef | None:
        """The post an earlier attempt at this draft left, if any (crash recovery)."""
        ...

    def delete(self, ref: PostRef) -> None:
        """Delete a post; deleting a post that is already gone is not an error."""
        ...

    def fetch_media(self, media: Media) -> bytes:
        """The bytes of one media item."""
        ...


# Optional abilities: a client declares one by having the method; the engines ask with
# `isinstance(client, CanEdit)`, never by probing for an attribute name or a platform.


@runtime_checkable
class CanEdit(Protocol):
    """Edits a published post in place, keeping its replies, boosts and URL (Mastodon's
    statuses/:id PUT). Clients without it leave a mirror as it is when its source is edited."""

    def edit(self, ref: PostRef, draft: Draft) -> PostRef: ...


@runtime_checkable
class HasServerLimits(Protocol):
    """Reads the limits the server itself states. `limits()` is then the room a fitted post
    may use, which can be less (what the adapter adds to every post, such as a marker)."""

    def server_limits(self) -> Limits: ...


@runtime_checkable
class HasRepoExport(Protocol):
    """Downloads the whole account as the platform's own export file (a Bluesky repo CAR);
    with `since` (the revision of an earlier download) only what changed after it."""

    def fetch_repo(self, since: str | None = None) -> bytes: ...


@runtime_checkable
class HasStableId(Protocol):
    """Knows the account's permanent id, which survives a change of its handle or name (a
    Bluesky DID): backups are kept under it, as the platform's export files name it."""

    def stable_id(self) -> str: ...


@runtime_checkable
class DescribesPostCount(Protocol):
    """Says why the platform's count of posts (the pages' `total`) may differ from the posts
    its listing gives; None: it counts exactly those posts. `crosspost verify` compares a
    backup with the count (backup/platform_count.py)."""

    def post_count_caveat(self) -> str | None: ...


@runtime_checkable
class ReportsLoginProblem(Protocol):
    """Reads what the public can read even when signing in fails (a Bluesky PDS serves a repo
    to anyone), and says why signing in failed once it tried, so a backup that kept only the
    public parts is not taken for a whole one (None: it signed in, or has not tried)."""

    def login_problem(self) -> str | None: ...


@runtime_checkable
class ServerBackdating(Protocol):
    """A client whose server tells whether it keeps a post's original date (servers speaking
    one platform's API may differ: GoToSocial 0.18 backdates, Mastodon does not); `note`
    hears why it could not be told."""

    def backdates(self, note: Callable[[str], object]) -> bool: ...


@runtime_checkable
class UsesSavedProfile(Protocol):
    """Takes what an earlier backup saved of the account's profile before reading (Mastodon:
    the account's id, so an incremental backup is one request, not a lookup and a page)."""

    def use_saved_profile(self, profile: Profile | None) -> None: ...


@runtime_checkable
class HasProfile(Protocol):
    """Reads the account's profile: handle, display name, bio, fields, avatar and banner."""

    def fetch_profile(self) -> Profile: ...


@runtime_checkable
class HasCollections(Protocol):
    """Reads the account's collections (likes, bookmarks, follows, ...), a page at a time.

    `collections()` names the kinds this client can read as it is signed in; a kind the
    platform has but this reader cannot see is left out of it and explained by
    `collections_unavailable()` (kind -> reason, e.g. "Bluesky keeps mutes on the App View,
    which this PDS does not proxy")."""

    def collections(self) -> tuple[Collection, ...]: ...

    def collections_unavailable(self) -> Mapping[Collection, str]: ...

    def fetch_collection(self, kind: Collection, cursor: str | None = None) -> CollectionPage: ...


@runtime_checkable
class ListsChanges(Protocol):
    """Lists only the posts created or edited after a mark an earlier listing left (Dreamwidth's
    syncitems time), so an incremental run reads what changed wherever it is in the account,
    and nothing more. `list_changes_after(mark)` makes the next listing (from no cursor, or a
    resumed one) list only those; `change_mark()` is where this client's last listing left the
    list of changes (None: it has not listed). Deletions are not changes: `--full` finds them."""

    def list_changes_after(self, mark: str) -> None: ...

    def change_mark(self) -> str | None: ...


@runtime_checkable
class UsesSavedEntries(Protocol):
    """Takes what an earlier backup saved of a collection that answers posts (Dreamwidth
    comments) before it is read, so that only what is new is fetched in full; `full`: read
    every entry again (edits that no listing shows are caught that way)."""

    def use_saved_entries(
        self, kind: Collection, saved: Sequence[Entry], *, full: bool
    ) -> None: ...


@runtime_checkable
class HasEditHistory(Protocol):
    """Reads the earlier versions of an edited post, oldest first (Mastodon's
    statuses/:id/history); the last one is the post as it is now."""

    def fetch_history(self, ref: PostRef) -> Sequence[Post]: ...


@runtime_checkable
class SharesRateBudgets(Protocol):
    """Names the rate budgets its requests count against, which other clients may share (an
    app's key used for many accounts, the address every request comes from, the account), and
    says what the server's rate-limit headers last told of each. A worker keeps these budgets
    for all its processes (crosspost.worker.budgeted); a client without this ability counts
    against its account alone."""

    def rate_keys(self) -> tuple[RateScope, ...]:
        """Every budget a request of this client may count against."""
        ...

    def rate_readings(self) -> list[Reading]:
        """What the last answers said of those budgets; a budget no answer spoke of is left out."""
        ...


def stable_digest(key: str, size: int = 16) -> str:
    """A short hex digest of an idempotency key, the same on every run and machine."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[: size * 2]
