"""The named job locks (crosspost.worker.locks.JobLockStore): one job key runs at a time, in
SQLite (one machine: a holder's pid is judged alive) and on Redis (several: a lease its
heartbeat renews), each test run against both, with real processes contending and killed."""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.synchronize
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crosspost.worker.locks import Heartbeat, Job, JobLocks, JobLockStore
from tests.redis_server import redis_server, redis_url

__all__ = ["redis_server", "redis_url"]

LEASE = 0.4  # seconds: a killed holder's lease runs out quickly here (60 in use)
JOB = Job("both", "masto")
OTHER = Job("both", "echo", "alice")
CONTEXT = multiprocessing.get_context("spawn")


@dataclass(frozen=True, slots=True)
class Opener:
    """Opens the store under test, in this process or in a child (it pickles)."""

    kind: str  # "sqlite" or "redis"
    where: str  # the file, or the server's URL

    def __call__(self) -> JobLockStore:
        if self.kind == "sqlite":
            return JobLocks(Path(self.where), clock=time.time)
        from crosspost.worker.redis_client import redis_client
        from crosspost.worker.redis_locks import RedisJobLocks

        return RedisJobLocks(redis_client(self.where), lease=LEASE)


@pytest.fixture(params=["sqlite", "redis"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    if request.param == "redis":
        return Opener("redis", request.getfixturevalue("redis_url"))
    return Opener("sqlite", str(tmp_path / "state.worker.sqlite3"))


@pytest.fixture
def locks(opener: Opener) -> Iterator[JobLockStore]:
    opened = opener()
    yield opened
    opened.close()


def test_one_holder_at_a_time_and_only_its_token_releases(
    opener: Opener, locks: JobLockStore
) -> None:
    other = opener()
    try:
        token = locks.acquire(JOB)
        assert token is not None
        assert other.acquire(JOB) is None
        assert other.acquire(OTHER) is not None  # another key is another lock
        assert locks.held() == [OTHER, JOB]  # by key: "alice: both -> echo" first
        other.release(JOB, "not the token")
        assert other.acquire(JOB) is None
        assert locks.renew(JOB, token)
        assert not locks.renew(JOB, "not the token")
        locks.release(JOB, token)
        assert not locks.renew(JOB, token)
        again = other.acquire(JOB)
        assert again is not None
        assert again != token
        assert locks.reclaim() == []  # both holders are alive
    finally:
        other.close()


def hold(opener: Opener, job: Job, ready: Any, done: multiprocessing.synchronize.Event) -> None:
    """In a child process: take `job`, keep it (the heartbeat renewing it) until `done`."""
    locks = opener()
    token = locks.acquire(job)
    ready.put(token)
    if token is None:
        return
    lost = threading.Event()
    with Heartbeat(locks, job, token, lost=lost.set):
        done.wait()
    ready.put("lost" if lost.is_set() else "kept")
    locks.release(job, token)


def holder(opener: Opener) -> tuple[Any, Any, multiprocessing.synchronize.Event]:
    ready, done = CONTEXT.Queue(), CONTEXT.Event()
    child = CONTEXT.Process(target=hold, args=(opener, JOB, ready, done))
    child.start()
    assert ready.get(timeout=60) is not None
    return child, ready, done


def test_a_live_holder_is_never_taken_over(opener: Opener, locks: JobLockStore) -> None:
    child, ready, done = holder(opener)
    try:
        deadline = time.monotonic() + 4 * LEASE  # several leases: the heartbeat renews it
        while time.monotonic() < deadline:
            assert locks.acquire(JOB) is None
            assert locks.reclaim() == []
            time.sleep(LEASE / 8)
        done.set()
        assert ready.get(timeout=10) == "kept"
        child.join(timeout=10)
        assert locks.acquire(JOB) is not None
    finally:
        child.kill()


def test_a_killed_holders_job_is_reclaimed_once(opener: Opener, locks: JobLockStore) -> None:
    child, _, _ = holder(opener)
    child.kill()  # SIGKILL: no release, no last words
    child.join(timeout=10)
    other = opener()
    try:
        found: list[Job] = []
        deadline = time.monotonic() + 10 * LEASE
        while not found and time.monotonic() < deadline:
            found = locks.reclaim() + other.reclaim()
            time.sleep(LEASE / 20)
        assert found == [JOB]
        assert locks.reclaim() + other.reclaim() == []  # given to one sweeper only
        assert locks.held() == []
        assert other.acquire(JOB) is not None
    finally:
        other.close()


def contend(opener: Opener, start: float, seconds: float, log: Any) -> None:
    """In a child process: 3 threads taking the one job as often as they can for `seconds`,
    each hold logged as (start, end, holder)."""

    def run(name: str) -> None:
        locks = opener()  # one connection per thread, as worker threads have
        held: list[tuple[float, float, str]] = []
        try:
            while time.time() < start + seconds:
                token = locks.acquire(JOB)
                if token is None:
                    continue
                began = time.time()
                time.sleep(0.002)
                held.append((began, time.time(), name))
                locks.release(JOB, token)
        finally:
            locks.close()
        log.put(held)

    while time.time() < start:
        time.sleep(0.001)
    threads = [threading.Thread(target=run, args=(f"{os.getpid()}/{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_under_contention_only_one_holder_at_a_time(opener: Opener) -> None:
    opener().close()  # the worker's file made once, as `crosspost worker` does at its start
    log = CONTEXT.Queue()
    start = time.time() + 2.0  # the children's imports done
    children = [CONTEXT.Process(target=contend, args=(opener, start, 1.5, log)) for _ in range(4)]
    for child in children:
        child.start()
    held = sorted(itertools.chain.from_iterable(log.get(timeout=60) for _ in range(12)))
    for child in children:
        child.join(timeout=10)
    assert len(held) > 50, f"only {len(held)} holds in 1.5 s"
    assert len({name.split("/")[0] for _, _, name in held}) == 4  # every process had a turn
    for (_, end, one), (began, _, other) in itertools.pairwise(held):
        assert end <= began, f"{one} and {other} held {JOB.key} at once"


def exclusive_turns(opener: Opener, log: Any) -> None:
    locks = opener()
    held = []
    try:
        for _ in range(10):
            with locks.exclusive():
                began = time.time()
                time.sleep(0.005)
                held.append((began, time.time(), os.getpid()))
    finally:
        locks.close()
    log.put(held)


def test_exclusive_is_held_by_one_process_at_a_time(opener: Opener) -> None:
    opener().close()
    log = CONTEXT.Queue()
    children = [CONTEXT.Process(target=exclusive_turns, args=(opener, log)) for _ in range(3)]
    for child in children:
        child.start()
    held = sorted(itertools.chain.from_iterable(log.get(timeout=60) for _ in children))
    for child in children:
        child.join(timeout=10)
    assert len(held) == 30
    for (_, end, one), (began, _, other) in itertools.pairwise(held):
        assert end <= began, f"processes {one} and {other} were exclusive at once"
