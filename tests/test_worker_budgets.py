"""The shared rate budgets (crosspost.worker.budgets.BudgetStore): the same semantics in SQLite
(one machine) and on Redis (several), each test run against both. Times are injected: `now` is
any epoch second, as a worker's clock gives it."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crosspost.worker.budgets import BudgetKey, BudgetStore, Spent, SqliteBudgets
from tests.redis_server import redis_server, redis_url

__all__ = ["redis_server", "redis_url"]

NOW = 1_800_000_000.0
ACCOUNT = BudgetKey("tumblr", "account", "art")
APP = BudgetKey("tumblr", "app", "3f2a")
OTHER = BudgetKey("mastodon", "account", "masto")


@dataclass(frozen=True, slots=True)
class Opener:
    """Opens the store under test, in this process or in a child (it pickles)."""

    kind: str  # "sqlite" or "redis"
    where: str  # the file, or the server's URL

    def __call__(self) -> BudgetStore:
        if self.kind == "sqlite":
            return SqliteBudgets(Path(self.where))
        from crosspost.worker.redis_budgets import RedisBudgets
        from crosspost.worker.redis_client import redis_client

        return RedisBudgets(redis_client(self.where))


@pytest.fixture(params=["sqlite", "redis"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    if request.param == "redis":
        return Opener("redis", request.getfixturevalue("redis_url"))
    return Opener("sqlite", str(tmp_path / "state.worker.sqlite3"))


@pytest.fixture
def store(opener: Opener) -> Iterator[BudgetStore]:
    opened = opener()
    yield opened
    opened.close()


def test_unknown_budgets_let_every_call_through_and_count_nothing(store: BudgetStore) -> None:
    for _ in range(3):
        assert store.take([ACCOUNT, APP], NOW) is None
    assert store.budgets() == []


def test_a_budget_counts_down_then_stops_calls_until_its_reset(store: BudgetStore) -> None:
    store.learn(ACCOUNT, 2, NOW + 60, "x-ratelimit-remaining: 2", NOW)
    assert store.take([ACCOUNT], NOW) is None
    assert store.take([ACCOUNT], NOW + 1) is None
    assert store.take([ACCOUNT], NOW + 2) == Spent(ACCOUNT, NOW + 60, "x-ratelimit-remaining: 2")
    assert store.budgets() == [(ACCOUNT, 0, NOW + 60, "x-ratelimit-remaining: 2")]
    assert store.take([ACCOUNT], NOW + 60) is None  # the window has reset: the count is unknown


def test_take_counts_against_every_key_or_none(store: BudgetStore) -> None:
    store.learn(ACCOUNT, 5, NOW + 60, "account", NOW)
    store.learn(APP, 1, NOW + 3600, "app key", NOW)
    assert store.take([ACCOUNT, APP], NOW) is None
    spent = store.take([ACCOUNT, APP], NOW)
    assert spent == Spent(APP, NOW + 3600, "app key")
    assert store.take([ACCOUNT], NOW) is None  # the other key was not counted by the refusal
    remaining = {key: left for key, left, _, _ in store.budgets()}
    assert remaining == {ACCOUNT: 3, APP: 0}


def test_the_first_spent_key_is_the_one_named(store: BudgetStore) -> None:
    store.learn(ACCOUNT, 0, NOW + 30, "account", NOW)
    store.learn(APP, 0, NOW + 90, "app key", NOW)
    assert store.take([ACCOUNT, APP], NOW) == Spent(ACCOUNT, NOW + 30, "account")
    assert store.take([APP, ACCOUNT], NOW) == Spent(APP, NOW + 90, "app key")


def test_within_one_window_the_lower_count_wins(store: BudgetStore) -> None:
    store.learn(ACCOUNT, 5, NOW + 60, "first", NOW)
    store.learn(ACCOUNT, 9, NOW + 60, "an older answer", NOW + 1)  # another worker spent more
    assert store.budgets() == [(ACCOUNT, 5, NOW + 60, "an older answer")]
    store.learn(ACCOUNT, 3, NOW + 60, "lower", NOW + 2)
    assert store.budgets()[0][1] == 3
    store.learn(ACCOUNT, 300, NOW + 120, "a new window", NOW + 61)
    assert store.budgets() == [(ACCOUNT, 300, NOW + 120, "a new window")]


def test_an_unknown_count_or_reset_stops_nothing(store: BudgetStore) -> None:
    store.learn(ACCOUNT, None, NOW + 60, "reset only", NOW)
    store.learn(APP, 0, None, "count only", NOW)
    for _ in range(3):
        assert store.take([ACCOUNT, APP], NOW) is None
    assert store.budgets() == [
        (ACCOUNT, None, NOW + 60, "reset only"),
        (APP, 0, None, "count only"),
    ]
    store.learn(ACCOUNT, 4, NOW + 60, "now known", NOW)  # unknown before: the new count stands
    assert store.budgets()[0][1] == 4


def test_a_window_already_reset_stops_nothing(store: BudgetStore) -> None:
    store.learn(ACCOUNT, 0, NOW - 1, "an old answer", NOW)
    assert store.take([ACCOUNT], NOW) is None
    assert all(reset is None or reset <= NOW for _, _, reset, _ in store.budgets())


def test_budgets_are_kept_apart_by_platform_scope_and_id(store: BudgetStore) -> None:
    store.learn(ACCOUNT, 0, NOW + 60, "spent", NOW)
    store.learn(OTHER, 10, NOW + 60, "room", NOW)
    store.learn(BudgetKey("tumblr", "ip", "art"), 10, NOW + 60, "room", NOW)
    assert store.take([OTHER], NOW) is None
    assert store.take([BudgetKey("tumblr", "ip", "art")], NOW) is None
    assert store.take([ACCOUNT], NOW) is not None
    assert [key for key, *_ in store.budgets()] == [
        OTHER,
        BudgetKey("tumblr", "account", "art"),
        BudgetKey("tumblr", "ip", "art"),
    ]


def take_all(
    opener: Opener,
    start: multiprocessing.synchronize.Event,
    tries: int,
    results: multiprocessing.Queue[int],
) -> None:
    """In a child process: take until refused (or `tries` times); say how many were granted."""
    store = opener()
    start.wait()
    granted = 0
    try:
        for _ in range(tries):
            if store.take([ACCOUNT, APP], NOW) is not None:
                break
            granted += 1
    finally:
        store.close()
    results.put(granted)


def test_takes_from_four_processes_never_exceed_what_remains(opener: Opener) -> None:
    store = opener()
    try:
        store.learn(ACCOUNT, 1000, NOW + 600, "account", NOW)
        store.learn(APP, 600, NOW + 3600, "app key", NOW)
    finally:
        store.close()
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    children = [
        context.Process(target=take_all, args=(opener, start, 400, results)) for _ in range(4)
    ]
    for child in children:
        child.start()
    start.set()
    granted = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=30)
    assert sum(granted) == 600, granted  # no process may take more than 400: they shared it
    store = opener()
    try:
        remaining = {key: left for key, left, _, _ in store.budgets()}
    finally:
        store.close()
    assert remaining == {ACCOUNT: 400, APP: 0}
