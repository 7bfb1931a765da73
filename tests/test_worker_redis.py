"""The worker's shared parts on a Redis server (`--queue-url`), for workers on several machines:
the queue (RedisHuey), the leases of the job locks, the budgets' expiry, the errors a user meets,
and real `crosspost worker` processes on one Redis queue, killed with SIGKILL mid-run: every
selected post exactly once on every target, counted at the servers. (The locks' and budgets'
semantics shared with SQLite are in test_worker_locks.py and test_worker_budgets.py.)"""

from __future__ import annotations

import calendar
import itertools
import os
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crosspost.community import load_community
from crosspost.errors import ConfigError
from crosspost.worker.backends import open_budgets, open_huey, open_locks
from crosspost.worker.budgets import BudgetKey
from crosspost.worker.locks import Heartbeat, Job
from crosspost.worker.queue import Queue
from crosspost.worker.redis_client import QueueServerError, redacted, redis_client
from crosspost.worker.redis_locks import RedisJobLocks
from crosspost.worker.settings import Settings
from tests.cli_helpers import run_cli
from tests.mastodon_server import MockMastodon, mastodon_server
from tests.redis_server import redis_server, redis_url
from tests.test_community import make_community, user_config
from tests.test_worker import (
    Worker,
    add_posts,
    count_of,
    echo_texts,
    finish_then_queue_late,
    kill_while_publishing,
    lock_intervals,
    masto_texts,
    publishes,
    setup,
    tumblr,
    wait_for,
)
from tests.tumblr_server import TumblrServer

__all__ = ["mastodon_server", "redis_server", "redis_url", "setup", "tumblr"]

SEED = int(os.environ.get("KILL_SEED", "19"))
KILLS = int(os.environ.get("WORKER_KILLS", "4"))
JOB = Job("both", "masto")
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def epoch(eta: datetime) -> float:
    return (eta if eta.tzinfo else eta.replace(tzinfo=UTC)).timestamp()


# What a user meets


def test_a_server_that_does_not_answer_is_one_clear_line(tmp_path: Path) -> None:
    settings = Settings(None, tmp_path / "state.sqlite3", queue_url=CLOSED)
    with pytest.raises(QueueServerError, match=r"cannot connect .*start Redis there.*--queue-url"):
        open_locks(settings)
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.a]\nplatform = "mastodon"\nhandle = "a@x.test"\n\n'
        '[accounts.b]\nplatform = "mastodon"\nhandle = "b@x.test"\n\n'
        '[[sync]]\nname = "r"\nfrom = "a"\nto = "b"\n'
    )
    done = run_cli("sync", "--config", str(config), "--queue", "--queue-url", CLOSED)
    assert done.code == 1
    assert "queue server redis://127.0.0.1:1/0: cannot connect" in done.err
    assert "Traceback" not in done.err


def test_a_url_that_is_not_redis_says_what_to_give(tmp_path: Path) -> None:
    settings = Settings(None, tmp_path / "state.sqlite3", queue_url="amqp://u:secret@host/")
    for opens in (open_huey, open_locks, open_budgets):
        with pytest.raises(ConfigError, match="redis://HOST:PORT/DB") as raised:
            opens(settings)
        assert "secret" not in str(raised.value)


def test_a_password_never_reaches_a_message() -> None:
    assert redacted("redis://:hunter2@db.local:6380/1") == "redis://:***@db.local:6380/1"
    assert redacted("rediss://app:hunter2@db.local/0") == "rediss://app:***@db.local/0"
    assert redacted("redis://db.local:6379/0") == "redis://db.local:6379/0"
    with pytest.raises(QueueServerError) as raised:
        redis_client("redis://:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in str(raised.value)


def test_a_community_files_queue_is_used_and_the_option_stands_for_it(
    redis_url: str, tmp_path: Path
) -> None:
    path = make_community(tmp_path, {name: user_config(name) for name in ("alice", "bob")})
    text = path.read_text().replace(
        '# queue = "redis://127.0.0.1:6379/0"', f'queue = "{redis_url}"'
    )
    path.write_text(text)
    done = run_cli("sync", "--queue", "--community", str(path))
    assert done.code == 0, done.err
    assert f"4 jobs queued in {redis_url}" in done.out
    queue = Queue(load_community(path).settings())
    assert queue.waiting() == {
        Job("mirror", target, user) for user in ("alice", "bob") for target in ("dst", "masto")
    }
    elsewhere = run_cli("sync", "--queue", "--community", str(path), "--queue-url", CLOSED)
    assert elsewhere.code == 1
    assert "queue server redis://127.0.0.1:1/0: cannot connect" in elsewhere.err


# The queue's times


def test_schedule_times_are_read_as_utc_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crosspost.worker.redis_queue import UtcRedisStorage

    noon = datetime(2026, 3, 29, 12, 30, 15, 250000)  # naive UTC, as Huey's utc=True gives
    want = calendar.timegm(noon.timetuple()) + 0.25
    for zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        assert UtcRedisStorage.convert_ts(None, noon) == pytest.approx(want)  # type: ignore[arg-type]
    monkeypatch.delenv("TZ")
    time.tzset()


# Leases


def short_locks(url: str, lease: float = 0.3) -> RedisJobLocks:
    return RedisJobLocks(redis_client(url), lease=lease)


def test_an_unrenewed_lease_runs_out_and_its_holder_learns_it_lost_the_job(
    redis_url: str,
) -> None:
    first, second = short_locks(redis_url), short_locks(redis_url)
    token = first.acquire(JOB)
    assert token is not None
    assert second.acquire(JOB) is None
    assert wait_for(lambda: second.acquire(JOB) is not None, 5)  # the lease ran out
    assert not first.renew(JOB, token)
    first.release(JOB, token)  # too late: it frees nothing of the new holder's
    assert second.acquire(JOB) is None
    assert first.held() == [JOB]
    assert first.reclaim() == []  # the job runs: nothing to queue again


def test_a_lapsed_lease_nobody_took_is_taken_again_by_its_holder(redis_url: str) -> None:
    locks = short_locks(redis_url, lease=0.2)
    token = locks.acquire(JOB)
    assert token is not None
    time.sleep(0.3)  # a pause longer than the lease (a stalled process)
    assert locks.held() == []
    assert locks.renew(JOB, token)
    assert locks.held() == [JOB]
    assert short_locks(redis_url).acquire(JOB) is None


def test_a_reclaimed_job_is_not_taken_back_by_its_stalled_holder(redis_url: str) -> None:
    locks = short_locks(redis_url, lease=0.2)
    token = locks.acquire(JOB)
    assert token is not None
    assert wait_for(lambda: locks.reclaim() == [JOB], 5)  # a sweeper queued it again
    assert not locks.renew(JOB, token)


def test_the_heartbeat_keeps_a_lease_and_says_when_it_is_lost(redis_url: str) -> None:
    locks, thief = short_locks(redis_url), short_locks(redis_url)
    token = locks.acquire(JOB)
    assert token is not None
    lost = threading.Event()
    with Heartbeat(locks, JOB, token, lost=lost.set):
        time.sleep(1.0)  # three leases: renewed all along
        assert thief.acquire(JOB) is None
        assert not lost.is_set()
        redis_client(redis_url).delete(f"crosspost:lock:{JOB.key}")  # as if it ran out...
        assert thief.acquire(JOB) is not None  # ...and another worker took it
        assert lost.wait(2.0)


def test_a_lease_is_60_seconds_unless_the_environment_says(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(None, tmp_path / "state.sqlite3", queue_url=redis_url)
    assert open_locks(settings).renew_every == 15.0
    monkeypatch.setenv("CROSSPOST_LOCK_LEASE", "2")
    assert open_locks(settings).renew_every == 0.5
    monkeypatch.setenv("CROSSPOST_LOCK_LEASE", "soon")
    with pytest.raises(ConfigError, match="in seconds"):
        open_locks(settings)


# Budgets


def test_a_budget_is_dropped_by_the_server_when_its_window_resets(
    redis_url: str, tmp_path: Path
) -> None:
    budgets = open_budgets(Settings(None, tmp_path / "state.sqlite3", queue_url=redis_url))
    key = BudgetKey("mastodon", "account", "masto")
    now = time.time()
    budgets.learn(key, 0, now + 0.3, "429", now)
    name = "crosspost:budget:mastodon:account:masto"
    assert 0 < redis_client(redis_url).pttl(name) <= 300
    assert budgets.take([key], time.time()) is not None
    assert wait_for(lambda: budgets.budgets() == [], 5)
    assert redis_client(redis_url).smembers("crosspost:budgets") == set()
    assert budgets.take([key], time.time()) is None


# The queue


def test_enqueue_skips_what_waits_and_stays_linear_with_thousands_of_jobs(
    redis_url: str, tmp_path: Path
) -> None:
    queue = Queue(Settings(None, tmp_path / "state.sqlite3", queue_url=redis_url))
    jobs = [Job(f"rule {n % 2}", f"account{n}", f"user{n // 2}") for n in range(2000)]
    start = time.perf_counter()
    assert len(queue.enqueue(jobs)) == 2000
    first = time.perf_counter() - start
    start = time.perf_counter()
    assert queue.enqueue([*jobs, *jobs]) == []
    again = time.perf_counter() - start
    assert queue.huey.pending_count() == 2000
    assert queue.waiting() == set(jobs)
    # One read of the waiting jobs per call, one push per job: about 0.2 s here.
    assert first < 5.0, f"2,000 jobs took {first:.2f} s to queue"
    assert again < 1.0, f"checking 4,000 jobs against 2,000 waiting took {again:.2f} s"


def test_a_job_already_scheduled_by_its_reset_is_not_scheduled_twice(
    redis_url: str, tmp_path: Path
) -> None:
    queue = Queue(Settings(None, tmp_path / "state.sqlite3", queue_url=redis_url))
    reset = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
    for n in range(2000):  # a shared app key's reset: thousands wait for the same time
        task = queue.task.s(f"rule {n}", "masto", "")
        task.eta = reset
        queue.huey.add_schedule(task)
    when = epoch(reset)
    start = time.perf_counter()
    assert queue._scheduled_by(Job("rule 7", "masto"), when)
    assert not queue._scheduled_by(Job("rule 7", "masto"), when - 60)  # a later copy only
    assert not queue._scheduled_by(Job("rule 7", "echo"), when)
    assert time.perf_counter() - start < 1.0
    assert queue.huey.scheduled_count() == 2000


def test_a_rate_limited_job_waits_for_its_reset_and_the_budget_stops_the_next(
    setup: Path,
    tumblr: TumblrServer,
    mastodon_server: MockMastodon,
    tmp_path: Path,
    redis_url: str,
) -> None:
    add_posts(tumblr, "crosspost", 2, 1700000000)
    add_posts(tumblr, "notes", 1, 1700100000)
    mastodon_server.fault("/api/v1/statuses", status=429, count=1, headers={"Retry-After": "3600"})
    settings = Settings(setup, tmp_path / "state.sqlite3", queue_url=redis_url)
    queue = Queue(settings)
    queue.enqueue([Job("both", "masto"), Job("notes", "masto")])
    before = time.time()
    for _ in range(2):
        task = queue.huey.dequeue()
        assert task is not None
        queue.huey.execute(task)
    assert queue.huey.pending_count() == 0
    scheduled = queue.huey.scheduled()
    assert sorted(tuple(t.args) for t in scheduled) == [
        ("both", "masto", ""),
        ("notes", "masto", ""),
    ]
    for task in scheduled:  # rescheduled to the reset the server named, not retried hot
        assert before + 3500 < epoch(task.eta) < time.time() + 3700
    assert masto_texts() == []  # the second job was stopped by the shared budget, unsent
    rows = {key: (left, reset) for key, left, reset, _ in open_budgets(settings).budgets()}
    remaining, reset = rows[BudgetKey("mastodon", "account", "masto")]
    assert remaining == 0
    assert reset is not None
    assert reset > before + 3500
    assert open_locks(settings).held() == []


# End to end


@pytest.fixture
def on_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI and the worker processes on the Redis queue, with 1.5 s leases (a killed
    worker's jobs come back within about 2 s)."""
    monkeypatch.setenv("CROSSPOST_QUEUE_URL", redis_url)
    monkeypatch.setenv("CROSSPOST_LOCK_LEASE", "1.5")
    return redis_url


def test_killed_workers_on_redis_leave_every_post_once_on_every_target(
    setup: Path, tumblr: TumblrServer, tmp_path: Path, on_redis: str
) -> None:
    both = add_posts(tumblr, "crosspost", 24, 1700000000)
    notes = add_posts(tumblr, "notes", 10, 1700100000)
    add_posts(tumblr, "private", 3, 1700200000)  # selected by no rule
    queued = run_cli("sync", "--config", str(setup), "--queue")
    assert queued.code == 0, queued.out + queued.err
    assert f"3 jobs queued in {on_redis}" in queued.out
    again = run_cli("sync", "--config", str(setup), "--queue")
    assert "3 already waiting" in again.out

    rng = random.Random(SEED)
    runs = itertools.count()
    workers = [Worker(setup, tmp_path, f"w{next(runs)}") for _ in range(3)]
    try:
        kills, mid_publish = kill_while_publishing(
            workers, lambda: Worker(setup, tmp_path, f"w{next(runs)}"), rng, KILLS
        )
        late = finish_then_queue_late(setup, tumblr, both, notes, 120)
    finally:
        for worker in workers:
            worker.stop()

    masto, echo = masto_texts(), echo_texts(tumblr)
    assert count_of(masto, both + notes + late) == Counter(both + notes + late)
    assert count_of(echo, both + late) == Counter(both + late)
    assert len(masto) == len(both + notes + late)
    assert len(echo) == len(both + late)
    assert kills == KILLS
    assert mid_publish >= KILLS // 2, f"only {mid_publish} kills landed while a job published"

    logs = sorted(tmp_path.glob("w*.log"))
    assert all(f"running jobs from {on_redis}" in log.read_text() for log in logs), (
        "a worker did not run from the Redis queue"
    )
    published = publishes(logs)
    assert {target for target, _ in published} == {"masto", "echo"}
    assert all(job.endswith(f" -> {target}") for target, job in published), published
    intervals = lock_intervals(logs)
    assert set(intervals) >= {"both -> masto", "both -> echo", "notes -> masto"}
    for key, held in intervals.items():
        held.sort()
        for (_, end, log), (start, _, other) in itertools.pairwise(held):
            assert end <= start, f"{key} held by {log} and {other} at once"
    status = run_cli("status", "--config", str(setup))
    assert f"masto: {len(both) + len(late)} published, 0 to publish" in status.out
    assert f"echo: {len(both) + len(late)} published, 0 to publish" in status.out
