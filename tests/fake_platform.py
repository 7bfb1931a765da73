"""The fake platform the engines run on in tests and benchmarks: no HTTP, faults, counted calls.

`FakeNetwork` holds every account's posts and media files; `FakePlatform` is one account's
PlatformClient on it (`FakeMastodon` adds what the Mastodon adapter declares on top: the server's
limits, room for the origin marker, edits in place). `World` is a network, one client per account
kept across runs like a server, and a ledger in memory. Faults: `fail_on` raises at the n-th call
of any method; `Faults` scripts an account's publishes: a crash (a BaseException, as a SIGKILL
would stop the process) before or after the post is stored, 429s, server errors, timeouts and a
posting cap. Like Tumblr, publishing itself is not idempotent here, so only the engine's ledger
and `find_published` prevent duplicates.

For the SIGKILL tests, whose sync runs in a process of its own, the same world lives on disk in
`tests/fake_disk.py`. This module imports only the engine (about 0.15 s), never pytest.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosspost.account_data import Collection, CollectionPage, Entry, Profile
from crosspost.accounts import Account
from crosspost.config import Config, SyncRule
from crosspost.errors import PlatformError, RateLimitedError
from crosspost.model import (
    Limits,
    Media,
    MediaKind,
    Platform,
    Post,
    PostKind,
    PostRef,
    RichText,
    Span,
    SpanKind,
    Visibility,
)
from crosspost.platforms.base import Draft, Page
from crosspost.platforms.registry import spec
from crosspost.state import Ledger
from tests.fake_time import FakeTime

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # when the sync world's clock starts
START = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)  # the first numbered post (`FakePlatform.add`)
PAGE = 20  # the sync world's page size


class SimulatedCrash(BaseException):
    """The process dies here: nothing after this line of the engine runs."""


class FakeClock(FakeTime):
    def __init__(self, now: float = T0.timestamp()) -> None:
        super().__init__(now)


def png(seed: str) -> bytes:
    """Bytes that sniff as a PNG and differ per seed."""
    return b"\x89PNG\r\n\x1a\n" + hashlib.sha256(seed.encode()).digest() * 4


def ref_of(account: Account, post_id: str) -> PostRef:
    url = f"https://{account.platform.value}.example/{account.identity}/{post_id}"
    return PostRef(account.platform, account.identity, post_id, url)


def tag_spans(text: str) -> tuple[Span, ...]:
    spans, index = [], 0
    for word in text.split(" "):
        if word.startswith("#") and len(word) > 1:
            spans.append(Span(index, index + len(word), SpanKind.TAG, word[1:]))
        index += len(word) + 1
    return tuple(spans)


def mirror_post(account: Account, post_id: str, draft: Draft, created_at: datetime) -> Post:
    """The post a target makes of a draft."""
    return Post(
        ref=ref_of(account, post_id),
        created_at=draft.created_at or created_at,
        text=draft.text,
        kind=PostKind.REPLY if draft.reply_to else PostKind.ORIGINAL,
        media=draft.media,
        tags=draft.tags,
        visibility=draft.visibility,
        reply_to=draft.reply_to,
        thread_root=draft.thread_root,
        origin=draft.origin,
        raw={"draft_key": draft.idempotency_key},
    )


@dataclass
class Faults:
    """Faults of one account's publish calls, counted from 1 over the client's lifetime."""

    crash_before: set[int] = field(default_factory=set)  # dies before the post exists
    crash_after: set[int] = field(default_factory=set)  # dies after it exists, before returning
    rate_limited: set[int] = field(default_factory=set)  # 429, nothing posted
    server_error: set[int] = field(default_factory=set)  # 5xx, nothing posted
    timeout_after: set[int] = field(default_factory=set)  # posted, but the answer is lost
    fail_when: Callable[[Draft], str | None] = lambda draft: None  # a permanent refusal
    cap: int | None = None  # posts accepted before a daily cap answers 429


@dataclass
class FakeNetwork:
    clock: FakeClock = field(default_factory=FakeClock)
    posts: dict[str, dict[str, Post]] = field(default_factory=dict)  # account -> id -> post
    files: dict[str, bytes] = field(default_factory=dict)  # media URL -> bytes
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    faults: dict[str, Faults] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)  # "account:method" -> count

    def add(
        self,
        account: Account,
        text: str,
        *,
        tags: tuple[str, ...] = (),
        minutes: int = 0,
        visibility: Visibility = Visibility.PUBLIC,
        reply_to: Post | None = None,
        origin: PostRef | None = None,
    ) -> Post:
        """A post written by hand on `account`, `minutes` after T0."""
        post = Post(
            ref=ref_of(account, str(next(self.ids))),
            created_at=T0 + timedelta(minutes=minutes),
            text=RichText(text, tag_spans(text)),
            kind=PostKind.REPLY if reply_to else PostKind.ORIGINAL,
            tags=tags,
            visibility=visibility,
            reply_to=reply_to.ref if reply_to else None,
            thread_root=(reply_to.thread_root or reply_to.ref) if reply_to else None,
            origin=origin,
        )
        self.posts.setdefault(account.name, {})[post.ref.id] = post
        return post

    def of(self, account: str) -> list[Post]:
        """An account's posts in the order they were written."""
        return list(self.posts.get(account, {}).values())

    def mirrors_of(self, account: str, source: Post) -> list[Post]:
        return [p for p in self.of(account) if p.origin and p.origin.key == source.ref.key]


def _default_account() -> Account:
    return Account("fake", Platform.MASTODON, "alice@fake.example")


@dataclass(eq=False)
class FakePlatform:
    """One account on a network. Posts are listed newest first (by `order`, by default
    created_at then id) in pages of `page_size`; `signed_in=False` reads as the public
    (followers-only posts are not listed). `server` is what the server allows (by default the
    platform's limits). `calls` counts this client's calls by method name."""

    account: Account = field(default_factory=_default_account)
    network: FakeNetwork = field(default_factory=FakeNetwork)
    page_size: int = 40
    order: Callable[[Post], SupportsRichComparison] | None = None
    signed_in: bool = True
    server: Limits | None = None
    fail_on: dict[tuple[str, int], BaseException] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    # Like the adapters, publishing reads each attachment: the file `local_path` names when it
    # exists, else the download of its URL (which fails when the original is gone).
    reads_media: bool = False
    uploaded: list[bytes] = field(default_factory=list)
    publishes: int = field(default=0, init=False)
    accepted: int = field(default=0, init=False)
    _listed: tuple[object, list[Post]] | None = field(default=None, init=False, repr=False)

    @property
    def posts(self) -> dict[str, Post]:
        return self.network.posts.setdefault(self.account.name, {})

    @property
    def files(self) -> dict[str, bytes]:
        return self.network.files

    @property
    def faults(self) -> Faults:
        return self.network.faults.setdefault(self.account.name, Faults())

    # --- writing the account's posts by hand (numbered, an hour apart from START) ------------

    def add(
        self,
        number: int,
        *,
        text: str = "",
        media: int = 0,
        when: datetime | None = None,
        post_id: str | None = None,
    ) -> Post:
        post_id = post_id or f"{number:06d}"
        items = []
        for index in range(media):
            url = f"https://media.fake.example/{post_id}/{index}.png"
            self.files[url] = png(url)
            items.append(Media(MediaKind.IMAGE, url=url, mime="image/png", alt=f"img {index}"))
        post = Post(
            PostRef(self.account.platform, self.account.identity, post_id),
            when or START + timedelta(hours=number),
            RichText(text or f"post {number}"),
            media=tuple(items),
            raw={"id": post_id, "n": number},
        )
        self.posts[post_id] = post
        return post

    def add_many(self, count: int, *, media_every: int = 0) -> None:
        for number in range(count):
            self.add(number, media=1 if media_every and number % media_every == 0 else 0)

    def revise(self, post_id: str, text: str) -> None:
        """The author edits a post (five minutes after writing it)."""
        post = self.posts[post_id]
        self.posts[post_id] = post.with_changes(
            text=RichText(text), edited_at=post.created_at + timedelta(minutes=5)
        )

    def _tick(self, method: str) -> None:
        self.calls[method] += 1
        self.network.calls[f"{self.account.name}:{method}"] += 1
        error = self.fail_on.pop((method, self.calls[method]), None)
        if error is not None:
            raise error

    def _listing(self) -> list[Post]:
        """The account's visible posts, newest first; sorted again only when the posts (or who
        reads them) changed since the last page, so paging a large account stays linear."""
        signature = (tuple(map(id, self.posts.values())), self.signed_in, self.order)
        if self._listed is None or self._listed[0] != signature:
            key = self.order or (lambda p: (p.created_at, p.ref.id))
            visible = [p for p in self.posts.values() if self.sees(p.visibility)]
            self._listed = (signature, sorted(visible, key=key, reverse=True))
        return self._listed[1]

    # --- PlatformClient ------------------------------------------------------------------------

    def limits(self) -> Limits:
        self._tick("limits")
        return self.server or spec(self.account.platform).limits

    def sees(self, visibility: Visibility) -> bool:
        return self.signed_in or visibility in (Visibility.PUBLIC, Visibility.UNLISTED)

    def fetch_page(self, cursor: str | None = None) -> Page:
        self._tick("fetch_page")
        listing = self._listing()
        start = int(cursor or 0)
        chunk = listing[start : start + self.page_size]
        more = start + self.page_size < len(listing)
        return Page(tuple(chunk), str(start + self.page_size) if more else None)

    def fetch_post(self, ref: PostRef) -> Post | None:
        self._tick("fetch_post")
        post = self.posts.get(ref.id)
        return post if post is not None and self.sees(post.visibility) else None

    def fetch_media(self, media: Media) -> bytes:
        self._tick("fetch_media")
        data = self.files.get(media.url or "")
        if data is None:
            raise PlatformError(f"media {media.url} is gone (404)")
        return data

    def publish(self, draft: Draft) -> PostRef:
        self._tick("publish")
        self.publishes += 1
        n, faults = self.publishes, self.faults
        if n in faults.crash_before:
            raise SimulatedCrash(f"crash before publish #{n}")
        if n in faults.rate_limited:
            raise RateLimitedError("429 Too Many Requests", retry_after=120.0)
        if n in faults.server_error:
            raise PlatformError("503 Service Unavailable")
        refusal = faults.fail_when(draft)
        if refusal:
            raise PlatformError(refusal)
        if faults.cap is not None and self.accepted >= faults.cap:
            raise RateLimitedError("daily posting cap reached", retry_after=86400.0)
        if draft.reply_to is not None and draft.reply_to.id not in self.posts:
            raise PlatformError(f"reply parent {draft.reply_to.id} does not exist")
        if self.reads_media:
            self.uploaded += [self._media_bytes(m) for m in draft.media]
        self.accepted += 1
        now = datetime.fromtimestamp(self.network.clock(), UTC)
        post = mirror_post(self.account, str(next(self.network.ids)), draft, now)
        self.posts[post.ref.id] = post
        if n in faults.crash_after:
            raise SimulatedCrash(f"crash after publish #{n}")
        if n in faults.timeout_after:
            raise PlatformError("timed out waiting for the answer")
        return post.ref

    def _media_bytes(self, media: Media) -> bytes:
        if media.local_path and Path(media.local_path).is_file():
            return Path(media.local_path).read_bytes()
        return self.fetch_media(media)

    def find_published(self, draft: Draft) -> PostRef | None:
        """Like Mastodon: same origin marker and same reply parent among the latest posts."""
        self._tick("find_published")
        parent = draft.reply_to.id if draft.reply_to else None
        for post in reversed(self.network.of(self.account.name)):
            same_parent = (post.reply_to.id if post.reply_to else None) == parent
            if draft.origin is not None and post.origin == draft.origin and same_parent:
                return post.ref
        return None

    def delete(self, ref: PostRef) -> None:
        self._tick("delete")
        self.posts.pop(ref.id, None)


class FakeMastodon(FakePlatform):
    """What the Mastodon adapter declares beyond PlatformClient: the server's own limits
    (HasServerLimits), of which `limits()` keeps room for the origin marker its text ends with,
    and edits in place (CanEdit)."""

    def server_limits(self) -> Limits:
        return self.server or spec(self.account.platform).limits

    def limits(self) -> Limits:
        self._tick("limits")
        return spec(Platform.MASTODON).reserve_marker(self.server_limits())

    def edit(self, ref: PostRef, draft: Draft) -> PostRef:
        self._tick("edit")
        if ref.id in self.posts:
            self.posts[ref.id] = self.posts[ref.id].with_changes(text=draft.text)
        return ref


ACCOUNTS = {
    "art": Account("art", Platform.TUMBLR, "art"),
    "sky": Account("sky", Platform.BLUESKY, "alice.test"),
    "masto": Account("masto", Platform.MASTODON, "alice@masto.test"),
}


def make_config(*rules: SyncRule) -> Config:
    return Config(path=None, accounts=dict(ACCOUNTS), rules=rules)


@dataclass
class World:
    """A network, its clients (one per account, kept across runs like a server) and a state."""

    network: FakeNetwork = field(default_factory=FakeNetwork)
    state: Ledger | None = None
    clients: dict[str, FakePlatform] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.state is None:
            self.state = Ledger(":memory:", clock=self.network.clock)

    @property
    def store(self) -> Ledger:
        assert self.state is not None
        return self.state

    def client(self, account: Account, writing: bool = False) -> FakePlatform:
        if account.name not in self.clients:
            kind = FakeMastodon if account.platform is Platform.MASTODON else FakePlatform
            self.clients[account.name] = kind(account, self.network, page_size=PAGE)
        return self.clients[account.name]

    def add(self, name: str, text: str, **options: Any) -> Post:
        return self.network.add(ACCOUNTS[name], text, **options)


@dataclass(eq=False)
class FakeWholeAccount(FakePlatform):
    """A fake account that also has a profile, collections and edit histories (the optional
    abilities HasProfile, HasCollections, HasEditHistory). Collections are kept newest first and
    served `collection_page` entries a page."""

    profile: Profile | None = None
    collections_held: dict[Collection, list[Entry]] = field(default_factory=dict)
    unavailable: dict[Collection, str] = field(default_factory=dict)
    history: dict[str, list[Post]] = field(default_factory=dict)
    collection_page: int = 10

    def fetch_profile(self) -> Profile:
        self._tick("fetch_profile")
        if self.profile is None:
            raise PlatformError("no profile")
        return self.profile

    def collections(self) -> tuple[Collection, ...]:
        return tuple(self.collections_held)

    def collections_unavailable(self) -> Mapping[Collection, str]:
        return self.unavailable

    def fetch_collection(self, kind: Collection, cursor: str | None = None) -> CollectionPage:
        self._tick(f"fetch_collection:{kind.value}")
        entries = self.collections_held[kind]
        start = int(cursor or 0)
        end = start + self.collection_page
        return CollectionPage(tuple(entries[start:end]), str(end) if end < len(entries) else None)

    def fetch_history(self, ref: PostRef) -> Sequence[Post]:
        self._tick("fetch_history")
        return [*self.history.get(ref.id, []), self.posts[ref.id]]
