"""In-memory platforms for the sync engine tests: a PlatformClient with fault injection.

`FakeNetwork` holds every account's posts; `FakeClient` is one account's client on it. Faults:
a crash (a BaseException, as a SIGKILL would stop the process) before or after the post is
stored, 429s, server errors, timeouts and a posting cap. Like Tumblr, publishing itself is not
idempotent here, so only the engine's ledger and `find_published` prevent duplicates.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crosspost.accounts import Account
from crosspost.config import Config, SyncRule
from crosspost.errors import PlatformError, RateLimitedError
from crosspost.model import (
    DEFAULT_LIMITS,
    Limits,
    Media,
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
from crosspost.platforms.mastodon.instance import reserve_marker
from crosspost.state import StateStore
from tests.fake_time import FakeTime

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
PAGE = 20


class SimulatedCrash(BaseException):
    """The process dies here: nothing after this line of the engine runs."""


class FakeClock(FakeTime):
    def __init__(self, now: float = T0.timestamp()) -> None:
        super().__init__(now)


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
    posts: dict[str, list[Post]] = field(default_factory=dict)  # account name -> newest last
    ids: Any = field(default_factory=lambda: itertools.count(1000))
    faults: dict[str, Faults] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)  # "account:method" -> count

    def count(self, account: str, method: str) -> None:
        key = f"{account}:{method}"
        self.calls[key] = self.calls.get(key, 0) + 1

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
        post_id = str(next(self.ids))
        spans = tuple(_tag_spans(text))
        post = Post(
            ref=_ref(account, post_id),
            created_at=T0 + timedelta(minutes=minutes),
            text=RichText(text, spans),
            kind=PostKind.REPLY if reply_to else PostKind.ORIGINAL,
            tags=tags,
            visibility=visibility,
            reply_to=reply_to.ref if reply_to else None,
            thread_root=(reply_to.thread_root or reply_to.ref) if reply_to else None,
            origin=origin,
        )
        self.posts.setdefault(account.name, []).append(post)
        return post

    def of(self, account: str) -> list[Post]:
        return list(self.posts.get(account, []))

    def mirrors_of(self, account: str, source: Post) -> list[Post]:
        return [p for p in self.of(account) if p.origin and p.origin.key == source.ref.key]


def _ref(account: Account, post_id: str) -> PostRef:
    url = f"https://{account.platform.value}.example/{account.identity}/{post_id}"
    return PostRef(account.platform, account.identity, post_id, url)


def _tag_spans(text: str) -> list[Span]:
    spans, index = [], 0
    for word in text.split(" "):
        if word.startswith("#") and len(word) > 1:
            spans.append(Span(index, index + len(word), SpanKind.TAG, word[1:]))
        index += len(word) + 1
    return spans


class FakeClient:
    def __init__(self, account: Account, network: FakeNetwork, limits: Limits | None = None):
        self.account = account
        self.network = network
        self._limits = limits or DEFAULT_LIMITS[account.platform]
        self.publishes = 0
        self.accepted = 0

    @property
    def faults(self) -> Faults:
        return self.network.faults.setdefault(self.account.name, Faults())

    def server_limits(self) -> Limits:
        return self._limits

    def sees(self, visibility: Visibility) -> bool:
        return True

    def limits(self) -> Limits:
        """Like the adapters: a Mastodon post leaves room for the origin marker its text ends
        with (MastodonClient.limits), the server's own limits are `server_limits`."""
        self.network.count(self.account.name, "limits")
        if self.account.platform is Platform.MASTODON:
            return reserve_marker(self._limits)
        return self._limits

    def fetch_page(self, cursor: str | None = None) -> Page:
        self.network.count(self.account.name, "fetch_page")
        posts = list(reversed(self.network.of(self.account.name)))
        start = int(cursor or 0)
        chunk = tuple(posts[start : start + PAGE])
        more = start + PAGE < len(posts)
        return Page(chunk, str(start + PAGE) if more else None)

    def fetch_post(self, ref: PostRef) -> Post | None:
        self.network.count(self.account.name, "fetch_post")
        return next((p for p in self.network.of(self.account.name) if p.ref.id == ref.id), None)

    def publish(self, draft: Draft) -> PostRef:
        self.network.count(self.account.name, "publish")
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
        if draft.reply_to is not None and self._find(draft.reply_to) is None:
            raise PlatformError(f"reply parent {draft.reply_to.id} does not exist")
        post = self._store(draft)
        if n in faults.crash_after:
            raise SimulatedCrash(f"crash after publish #{n}")
        if n in faults.timeout_after:
            raise PlatformError("timed out waiting for the answer")
        return post.ref

    def _store(self, draft: Draft) -> Post:
        self.accepted += 1
        post_id = str(next(self.network.ids))
        post = Post(
            ref=_ref(self.account, post_id),
            created_at=draft.created_at or datetime.fromtimestamp(self.network.clock(), UTC),
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
        self.network.posts.setdefault(self.account.name, []).append(post)
        return post

    def _find(self, ref: PostRef) -> Post | None:
        return next((p for p in self.network.of(self.account.name) if p.ref.id == ref.id), None)

    def find_published(self, draft: Draft) -> PostRef | None:
        """Like Mastodon: same origin marker and same reply parent among the latest posts."""
        self.network.count(self.account.name, "find_published")
        parent = draft.reply_to.id if draft.reply_to else None
        for post in reversed(self.network.of(self.account.name)):
            same_parent = (post.reply_to.id if post.reply_to else None) == parent
            if draft.origin is not None and post.origin == draft.origin and same_parent:
                return post.ref
        return None

    def delete(self, ref: PostRef) -> None:
        self.network.count(self.account.name, "delete")
        posts = self.network.posts.get(self.account.name, [])
        self.network.posts[self.account.name] = [p for p in posts if p.ref.id != ref.id]

    def fetch_media(self, media: Media) -> bytes:
        return b""


class EditingFakeClient(FakeClient):
    """A client that can edit in place (CanEdit), as the Mastodon adapter does."""

    def edit(self, ref: PostRef, draft: Draft) -> PostRef:
        self.network.count(self.account.name, "edit")
        posts = self.network.posts.get(self.account.name, [])
        self.network.posts[self.account.name] = [
            p.with_changes(text=draft.text) if p.ref.id == ref.id else p for p in posts
        ]
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
    state: StateStore | None = None
    clients: dict[str, FakeClient] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.state is None:
            self.state = StateStore(":memory:", clock=self.network.clock)

    @property
    def store(self) -> StateStore:
        assert self.state is not None
        return self.state

    def client(self, account: Account, writing: bool = False) -> FakeClient:
        if account.name not in self.clients:
            kind = EditingFakeClient if account.platform is Platform.MASTODON else FakeClient
            self.clients[account.name] = kind(account, self.network)
        return self.clients[account.name]

    def add(self, name: str, text: str, **options: Any) -> Post:
        return self.network.add(ACCOUNTS[name], text, **options)
