"""Rate budgets shared by workers (issue 19): what each platform's rate-limit headers say, read
into platform-neutral readings from real recorded header sets; BudgetedClient counting every
request of a call against the client's budgets and learning each answer; and two real
`crosspost worker` processes posting to two blogs signed in with one Tumblr consumer key,
against the loopback server counting that key's calls in a short window: the server never
answers 429, and every post arrives once when the windows have turned."""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from crosspost.accounts import Account
from crosspost.errors import RateLimitedError
from crosspost.model import Limits, Media, Platform, Post, PostRef, RichText, Visibility
from crosspost.platforms.base import Draft, Page, SharesRateBudgets
from crosspost.platforms.bluesky.client import BlueskyClient
from crosspost.platforms.bluesky.identity import Identity
from crosspost.platforms.dreamwidth.client import DreamwidthClient
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.platforms.retry import (
    Ok,
    RateLimited,
    RateScope,
    RateWindow,
    Reading,
    RetryPolicy,
    Verdict,
    app_digest,
    call_with_retry,
)
from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.http import OAuthKeys
from crosspost.worker import budgeted
from crosspost.worker.budgeted import BudgetedClient, BudgetSpentError, client_keys
from crosspost.worker.budgets import BudgetKey, SqliteBudgets
from crosspost.worker.files import worker_file
from tests.cli_helpers import run_cli
from tests.fixtures import fixture_path
from tests.mastodon_server import BASE_URL, IDENTITY, TOKEN, MockMastodon, mastodon_server
from tests.test_worker import Worker, add_posts, count_of, wait_for
from tests.tumblr_server import CONSUMER, USER, KeyLimits, TumblrServer, running

__all__ = ["mastodon_server"]

NOW = 1_747_925_000.0

# An answer of api.tumblr.com as tumblr/docs#139 quotes it (2024-09-28), its X-Ratelimit set.
TUMBLR_HEADERS = {
    "server": "nginx",
    "content-type": "application/json; charset=utf-8",
    "x-ratelimit-perday-limit": "5000",
    "x-ratelimit-perday-remaining": "4106",
    "x-ratelimit-perday-reset": "76341",
    "x-ratelimit-perhour-limit": "1000",
    "x-ratelimit-perhour-remaining": "610",
    "x-ratelimit-perhour-reset": "753",
}


def recorded_headers(path: str, uri_part: str) -> list[dict[str, str]]:
    """The response headers of each interaction of a recorded cassette whose request URI holds
    `uri_part`, one value per header (vcrpy keeps lists, R's vcr plain strings)."""
    cassette = yaml.safe_load(fixture_path(path).read_text())
    found = []
    for interaction in cassette.get("http_interactions") or cassette["interactions"]:
        request, response = interaction["request"], interaction["response"]
        if uri_part not in request["uri"]:
            continue
        headers = {
            name: value[0] if isinstance(value, list) else str(value)
            for name, value in response["headers"].items()
        }
        found.append(headers | {":method": request["method"].upper()})
    return found


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- reading each platform's headers -----------------------------------------------------------


def test_tumblr_reads_the_consumer_keys_hourly_and_daily_windows() -> None:
    account = Account("art", Platform.TUMBLR, "art")
    clock = Clock()
    client = TumblrClient(account, OAuthKeys("consumer-key", "s", "t", "ts"))
    client.http.retry = RetryPolicy(clock=clock)
    assert client.rate_readings() == []
    client.http._note_limits(TUMBLR_HEADERS)
    app = app_digest("consumer-key")
    assert "consumer-key" not in app
    assert len(app) == 16
    assert client.rate_keys() == (
        RateScope("app", app, "perhour"),
        RateScope("app", app, "perday"),
        RateScope("account", "art", told=False),
    )
    hourly, daily = client.rate_readings()
    assert (hourly.scope, hourly.remaining, hourly.limit) == (
        RateScope("app", app, "perhour"),
        610,
        1000,
    )
    assert hourly.reset == NOW + 753
    assert hourly.seen == NOW
    assert (daily.remaining, daily.limit, daily.reset) == (4106, 5000, NOW + 76341)
    assert "perhour" in hourly.name
    keys = client_keys(client)
    assert BudgetKey("tumblr", "app", f"{app}/perhour") in keys
    assert BudgetKey("tumblr", "account", "art") in keys


def test_mastodon_reads_the_accounts_window_and_leaves_media_uploads_out() -> None:
    # Recorded by Mastodon.py from a real server: statuses say 300 a window, media uploads 30.
    answers = recorded_headers("mastodon-py/tests/cassettes/test_toot.yaml", "/api/")
    clock = Clock()
    account = Account("m", Platform.MASTODON, "alice@mastodon.example", "http://mastodon.example")
    client = MastodonClient(account, "token", retry=RetryPolicy(clock=clock))
    assert client.rate_keys() == (RateScope("account", "alice@mastodon.example"),)
    status = next(h for h in answers if h.get("x-ratelimit-limit") == "300")
    client.limiter.seen(status, upload=False)
    (reading,) = client.rate_readings()
    assert (reading.remaining, reading.limit) == (int(status["x-ratelimit-remaining"]), 300)
    assert reading.reset is not None
    assert reading.reset % 300 < 1
    upload = next((h for h in answers if h.get("x-ratelimit-limit") == "30"), None)
    if upload is not None:
        client.limiter.seen(upload, upload=True)
        assert client.rate_readings() == [reading]  # the uploads' own window is not the API's
    public = MastodonClient(account, None, retry=RetryPolicy(clock=clock))
    assert public.rate_keys() == (RateScope("ip", "mastodon.example"),)


def test_mastodon_py_failing_to_read_the_headers_is_no_rate_limit() -> None:
    from mastodon import MastodonRatelimitError

    from crosspost.platforms.mastodon.ratelimit import Limiter
    from crosspost.platforms.retry import Transient

    limiter = Limiter(RetryPolicy(clock=Clock()))
    unread = MastodonRatelimitError("Rate limit time calculations failed: Unknown string format")
    assert isinstance(limiter._classify(unread, "read"), Transient)
    assert isinstance(
        limiter._classify(MastodonRatelimitError("Hit rate limit."), "read"), RateLimited
    )


def test_mastodon_reset_is_read_from_iso_time_to_the_microsecond() -> None:
    headers = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "221",
        "X-RateLimit-Reset": "2026-08-01T15:00:00.440063Z",
    }
    account = Account("m", Platform.MASTODON, "alice@mastodon.example", "http://mastodon.example")
    client = MastodonClient(account, "token", retry=RetryPolicy(clock=Clock()))
    client.limiter.seen(headers, upload=False)
    (reading,) = client.rate_readings()
    assert reading.reset == pytest.approx(1785596400.440063)


def test_bluesky_reads_the_pds_window_per_address_from_its_policy() -> None:
    # Recorded by bskyr from bsky.social: RateLimit-* with Policy 3000;w=300 on every route.
    answers = recorded_headers("bskyr/tests/testthat/_vcr/r_post_delete_post.yml", "/xrpc/")
    identity = Identity("did:plc:5c2r73erhng4bszmxlfdtscf", "https://bsky.social")
    clock = Clock()
    account = Account("b", Platform.BLUESKY, "a.bsky.social")
    client = BlueskyClient(account, identity=identity, retry=RetryPolicy(clock=clock))
    last = answers[-1]
    request = httpx.Request("POST", "https://bsky.social/xrpc/com.atproto.repo.deleteRecord")
    client.xrpc._seen(httpx.Response(200, headers=last, request=request))
    (reading,) = client.rate_readings()
    assert reading.scope == RateScope("ip", "bsky.social")
    assert (reading.remaining, reading.limit) == (int(last["RateLimit-Remaining"]), 3000)
    assert reading.reset == float(last["RateLimit-Reset"])
    # A write-points window of the account (5,000 an hour) goes to the account's budget.
    points = {
        "RateLimit-Limit": "5000",
        "RateLimit-Remaining": "4990",
        "RateLimit-Reset": str(int(NOW) + 3000),
        "RateLimit-Policy": "5000;w=3600",
    }
    client.xrpc._seen(httpx.Response(200, headers=points, request=request))
    scopes = [r.scope for r in client.rate_readings()]
    assert RateScope("account", identity.did, "perhour", told=False) in scopes
    # Signing in tells of the handle's own limit (30 per 5 minutes), not the address's.
    login = httpx.Request("POST", "https://bsky.social/xrpc/com.atproto.server.createSession")
    handle = {
        "RateLimit-Limit": "30",
        "RateLimit-Remaining": "29",
        "RateLimit-Reset": str(int(NOW) + 300),
        "RateLimit-Policy": "30;w=300",
    }
    client.xrpc._seen(httpx.Response(200, headers=handle, request=login))
    address = next(r for r in client.rate_readings() if r.scope.scope == "ip")
    assert address.limit == 3000
    assert BudgetKey("bluesky", "ip", "bsky.social") in client_keys(client)


def test_dreamwidth_sends_no_rate_headers_and_counts_against_its_account() -> None:
    assert not issubclass(DreamwidthClient, SharesRateBudgets)
    account = Account("d", Platform.DREAMWIDTH, "someone")
    keys = budgeted.account_keys(account)
    assert keys == (BudgetKey("dreamwidth", "account", "d"),)


# --- BudgetedClient ------------------------------------------------------------------------------


@dataclass
class FakeServer:
    """One window of `limit` requests, as a server's headers tell it."""

    limit: int = 5
    reset: float = NOW + 60
    used: int = 0
    sent: list[str] = field(default_factory=list)

    def answer(self, what: str) -> RateWindow:
        self.used += 1
        self.sent.append(what)
        return RateWindow(max(self.limit - self.used, 0), self.reset, self.limit)


class FakeClient:
    """A client whose calls go through the retry loop, one request each (two for `publish`)."""

    def __init__(self, server: FakeServer, clock: Clock, name: str = "one") -> None:
        self.account = Account(name, Platform.TUMBLR, name)
        self.server, self.clock = server, clock
        self.window = RateWindow()
        self.fail: Exception | None = None

    def _request(self, what: str) -> str:
        def send() -> str:
            if self.fail is not None:
                raise self.fail
            window = self.server.answer(what)
            window.seen = self.clock()
            self.window = window
            return what

        def classify(outcome: str | Exception) -> Verdict[str]:
            if isinstance(outcome, RateLimitedError):
                return RateLimited(outcome.retry_after)
            if isinstance(outcome, Exception):
                raise outcome
            return Ok(outcome)

        policy = RetryPolicy(sleep=lambda s: None, clock=self.clock, max_wait=0, max_attempts=1)
        return call_with_retry(send, classify, policy, what=what, repeatable=True)

    def rate_keys(self) -> tuple[RateScope, ...]:
        return (
            RateScope("app", "k", "perhour"),
            RateScope("account", self.account.name, told=False),
        )

    def rate_readings(self) -> list[Reading]:
        if self.window.reset is None:
            return []
        w = self.window
        return [Reading(self.rate_keys()[0], w.remaining, w.limit, w.reset, w.seen, "app calls")]

    def limits(self) -> Limits:
        return Limits(Platform.TUMBLR, max_chars=100)

    def fetch_page(self, cursor: str | None = None) -> Page:
        self._request("page")
        return Page(())

    def fetch_post(self, ref: PostRef) -> Post | None:
        self._request("post")
        return None

    def sees(self, visibility: Visibility) -> bool:
        return True

    def publish(self, draft: Draft) -> PostRef:
        self._request("upload")
        self._request("create")
        return PostRef(Platform.TUMBLR, "one", "1")

    def find_published(self, draft: Draft) -> PostRef | None:
        return None

    def delete(self, ref: PostRef) -> None:
        self._request("delete")

    def fetch_media(self, media: Media) -> bytes:
        return b""

    def edit(self, ref: PostRef, draft: Draft) -> PostRef:
        self._request("edit")
        return ref

    def post_count_caveat(self) -> str | None:
        return None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteBudgets]:
    budgets = SqliteBudgets(tmp_path / "budgets.sqlite3")
    yield budgets
    budgets.close()


def rows(store: SqliteBudgets) -> dict[BudgetKey, tuple[int | None, float | None]]:
    return {key: (left, reset) for key, left, reset, _ in store.budgets()}


APP = BudgetKey("tumblr", "app", "k/perhour")
DRAFT = Draft(RichText("hello"), "key-1")


def test_each_answer_is_learnt_and_every_request_of_a_call_is_counted(
    store: SqliteBudgets,
) -> None:
    server, clock = FakeServer(limit=5), Clock()
    client = BudgetedClient(FakeClient(server, clock), (), store, clock)
    assert client.keys == (APP, BudgetKey("tumblr", "account", "one"))
    client.fetch_page()
    assert rows(store)[APP] == (4, NOW + 59)  # as the answer said, kept a second less
    client.publish(DRAFT)  # two requests: both counted before they went out
    assert rows(store)[APP] == (2, NOW + 59)
    assert server.sent == ["page", "upload", "create"]
    client.fetch_page()
    client.fetch_page()  # the server said 0 left: the next call is not sent
    with pytest.raises(BudgetSpentError, match="nothing was sent") as stopped:
        client.fetch_page()
    assert stopped.value.retry_after == pytest.approx(60)
    assert server.sent == ["page", "upload", "create", "page", "page"]


def test_a_budget_spent_by_another_process_stops_a_call_midway(store: SqliteBudgets) -> None:
    server, clock = FakeServer(limit=3), Clock()
    mine = BudgetedClient(FakeClient(server, clock, "one"), (), store, clock)
    theirs = BudgetedClient(FakeClient(server, clock, "two"), (), store, clock)
    theirs.fetch_page()  # 2 left, as the server says
    theirs.fetch_page()  # 1 left
    with pytest.raises(BudgetSpentError):
        mine.publish(DRAFT)  # its upload takes the last; its post would be one too many
    assert server.sent == ["page", "page", "upload"]
    assert server.used <= server.limit


def test_the_lower_count_of_one_window_wins_though_its_reset_moves(store: SqliteBudgets) -> None:
    # Tumblr says the reset in seconds from now: two answers of one window differ by a second.
    clock = Clock()
    first = FakeServer(limit=10, reset=NOW + 60.0)
    a = BudgetedClient(FakeClient(first, clock, "one"), (), store, clock)
    first.used = 6
    a.fetch_page()  # 3 left
    later = FakeServer(limit=10, reset=NOW + 60.8)
    later.used = 4
    b = BudgetedClient(FakeClient(later, clock, "two"), (), store, clock)
    b.fetch_page()  # an answer sent before a's: 5 left, of the same window
    assert rows(store)[APP] == (2, NOW + 59.0)  # a's 3, less the call b counted
    turned = FakeServer(limit=10, reset=NOW + 120.0)
    c = BudgetedClient(FakeClient(turned, clock, "three"), (), store, clock)
    c.fetch_page()  # a new window: its count replaces the old
    assert rows(store)[APP] == (9, NOW + 119.0)


def test_a_rate_limit_spends_only_the_budgets_no_answer_showed_with_room(
    store: SqliteBudgets,
) -> None:
    server, clock = FakeServer(limit=50), Clock()
    fake = FakeClient(server, clock)
    client = BudgetedClient(fake, (), store, clock)
    client.fetch_page()  # the app's window: 49 left

    def capped(what: str) -> str:  # a blog's daily posting cap, as Tumblr's 8023 is raised
        fake.window = server.answer(what)
        fake.window.seen = clock()
        raise RateLimitedError("the blog's daily posting limit is reached", retry_after=3600)

    fake._request = capped  # type: ignore[method-assign]
    with pytest.raises(RateLimitedError):
        client.publish(DRAFT)
    known = rows(store)
    assert known[APP] == (48, NOW + 59)  # the app's calls are not what ran out
    assert known[BudgetKey("tumblr", "account", "one")] == (0, NOW + 3600)


def test_every_request_sending_ability_is_wrapped_and_others_pass_through(
    store: SqliteBudgets,
) -> None:
    server, clock = FakeServer(limit=2), Clock()
    client = BudgetedClient(FakeClient(server, clock), (), store, clock)
    assert hasattr(client, "edit")
    assert not hasattr(client, "fetch_history")
    assert client.post_count_caveat() is None
    client.edit(PostRef(Platform.TUMBLR, "one", "1"), DRAFT)  # 1 left
    client.delete(PostRef(Platform.TUMBLR, "one", "1"))  # 0 left
    with pytest.raises(BudgetSpentError):
        client.edit(PostRef(Platform.TUMBLR, "one", "1"), DRAFT)
    assert server.sent == ["edit", "delete"]


@pytest.mark.parametrize("kind", [TumblrClient, MastodonClient, BlueskyClient, DreamwidthClient])
def test_every_public_method_of_every_client_is_sorted(kind: type) -> None:
    """A method added to a client is either counted by name or known to send nothing; anything
    else is still watched by `__getattr__`, but is named here so the choice is made."""
    core = {
        "limits",
        "fetch_page",
        "fetch_post",
        "sees",
        "publish",
        "find_published",
        "delete",
        "fetch_media",
    }
    local = {  # these send nothing
        "rate_keys",
        "rate_readings",
        "from_credentials",
        "post_count_caveat",
        "login_problem",
        "use_saved_profile",
        "use_saved_entries",
        "list_changes_after",
        "change_mark",
        "can_sign_in",
        "rkey_for",
        "calls",
        "did",
        "pds",
        "close",
    }
    known = core | local | set(budgeted.COUNTED) | set(budgeted.COUNTED_AS_SENT)
    public = {n for n in dir(kind) if not n.startswith("_") and callable(getattr(kind, n, None))}
    assert public - known == set()


@pytest.mark.parametrize("token", [TOKEN, None], ids=["signed-in", "public"])
def test_a_mastodon_window_is_kept_from_the_servers_headers(
    mastodon_server: MockMastodon, store: SqliteBudgets, token: str | None
) -> None:
    """mastodon-mock counting as Mastodon does (per token; per address without one), 6 requests
    a window: the client stops before the 7th, unsent, and the server never answers 429."""
    limits = mastodon_server.limits
    assert limits is not None
    limits.per_window, limits.period = 6, 3600
    account = Account("m", Platform.MASTODON, IDENTITY, BASE_URL)
    client = BudgetedClient(MastodonClient(account, token), (), store, time.time)
    scope = ("account", IDENTITY) if token else ("ip", urlsplit(BASE_URL).netloc)
    assert client.keys == (BudgetKey("mastodon", *scope),)

    def read_on() -> None:
        for _ in range(10):
            client.fetch_post(PostRef(Platform.MASTODON, account.name, "1"))

    with pytest.raises(BudgetSpentError, match="nothing was sent"):
        read_on()
    assert limits.refused == 0
    assert limits.most() == 6
    left, reset = rows(store)[BudgetKey("mastodon", *scope)]
    assert left == 0
    assert reset is not None
    assert reset % 3600 < 1  # the window's end, as Mastodon says it: to the microsecond


# --- two worker processes, one consumer key -----------------------------------------------------

LIMIT = 12  # calls per window per consumer key
WINDOW = 4.0  # seconds: the "hour" of the test

CONFIG = """
[accounts.art]
platform = "tumblr"
blog = "art"
service = "{tumblr}"

[accounts.echo]
platform = "tumblr"
blog = "echo"
service = "{tumblr}"

[accounts.fox]
platform = "tumblr"
blog = "fox"
service = "{tumblr}"

[[sync]]
name = "first"
from = "art"
to = ["echo", "fox"]
include_tags = ["first"]

[[sync]]
name = "second"
from = "art"
to = ["echo", "fox"]
include_tags = ["second"]
"""


@pytest.fixture
def tumblr() -> Iterator[TumblrServer]:
    with running(latency=0.01) as live:
        live.state.key_limits = KeyLimits(per_hour=LIMIT, hour=WINDOW)
        yield live


def texts(tumblr: TumblrServer, blog: str) -> list[str]:
    return [
        " ".join(block.get("text", "") for block in post.get("content", []))
        for post in tumblr.state.posts.get(blog, [])
    ]


def test_two_workers_sharing_a_consumer_key_never_go_past_its_window(
    tumblr: TumblrServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(tumblr=tumblr.url))
    secret = ":".join((*CONSUMER, *USER))  # one app's key for all three blogs
    for name in ("ART", "ECHO", "FOX"):
        monkeypatch.setenv(f"CROSSPOST_SECRET_{name}", secret)
    monkeypatch.setenv("CROSSPOST_STATE", str(tmp_path / "state.sqlite3"))
    wanted = add_posts(tumblr, "first", 8, 1700000000) + add_posts(tumblr, "second", 8, 1700100000)
    queued = run_cli("sync", "--config", str(config), "--queue")
    assert queued.code == 0, queued.out + queued.err
    assert "4 jobs queued" in queued.out
    limits = tumblr.state.key_limits
    assert limits is not None
    before = len(limits.calls)
    started = time.monotonic()
    runs = itertools.count()
    workers = [Worker(config, tmp_path, f"w{next(runs)}") for _ in range(2)]
    try:

        def arrived() -> bool:
            return all(
                sum(count_of(texts(tumblr, blog), wanted).values()) >= len(wanted)
                for blog in ("echo", "fox")
            )

        assert wait_for(arrived, 120), "the workers did not post everything"
        took = time.monotonic() - started
        time.sleep(1.0)  # anything a duplicate would post has had time to show
    finally:
        for worker in workers:
            worker.stop()

    for blog in ("echo", "fox"):
        on_blog = texts(tumblr, blog)
        assert count_of(on_blog, wanted) == Counter(wanted), blog
        assert len(on_blog) == len(wanted), blog
    calls = len(limits.calls) - before
    windows = {index for (_, name, index) in limits.counts if name == "perhour"}
    trace = "\n".join(
        f"{when:.3f} {int(when // WINDOW)} {n:3d} {'' if served else '429'} {path}"
        for when, path, n, served in limits.calls
    )
    assert limits.refused == 0, f"the server answered 429 {limits.refused} times:\n{trace}"
    assert limits.most("perhour") <= LIMIT
    assert calls > 2 * LIMIT, calls  # the work needed several windows
    assert len(windows) >= 3, windows
    logs = "".join(log.read_text() for log in sorted(tmp_path.glob("w*.log")))
    again = re.findall(r"job (.+?): again in", logs)
    assert again, "no job waited for a window's reset"
    budgets = SqliteBudgets(worker_file(tmp_path / "state.sqlite3"))
    try:
        known = {key for key, *_ in budgets.budgets()}
    finally:
        budgets.close()
    app = app_digest(CONSUMER[0])
    assert BudgetKey("tumblr", "app", f"{app}/perhour") in known
    assert not any(CONSUMER[0] in key.id for key in known)  # the key is kept by its digest
    print(
        f"{calls} calls in {len(windows)} windows of {WINDOW:.0f} s, {took:.1f} s; "
        f"{len(again)} reschedules"
    )
