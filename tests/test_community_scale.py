"""A community at scale, end to end: 100 members, each with an account on the real local PDS
(its own rate limits on) and one on the local Mastodon server, and two rules each (Bluesky to
Mastodon and back, by the tag #cp); 3 `crosspost worker --community` processes on one Redis queue
and one PostgreSQL ledger, SIGKILLed 50 times at random while posts keep arriving and the
timer's `crosspost sync --queue` keeps queueing. Afterwards, read through each server's own
API: every selected post is on its member's other account exactly once, nothing unselected and
no mirror came back (two-way rules never loop), no two workers ever held one job at once, and
the servers never had to refuse a request for a rate limit (counted per key at the servers).

Needs the local PDS, Redis and PostgreSQL (.ci/run starts them); skips without them, unless
CI requires them. SCALE_MEMBERS / SCALE_KILLS / SCALE_SEED change the size and the draw."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.backup_world import cli_env
from tests.bluesky_pds import PdsAccount, pds_installed
from tests.cli_helpers import run_cli
from tests.community_world import (
    TAG,
    make_members,
    masto_text,
    masto_texts,
    mastodon_process,
    rate_limited_pds,
    seed_masto,
    seed_sky,
    sky_text,
    sky_texts,
    wait_until,
)
from tests.counting_proxy import CountingProxy, counting_proxy
from tests.fixtures import PROJECT_ROOT
from tests.test_worker import lock_intervals

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

MEMBERS = int(os.environ.get("SCALE_MEMBERS", "100"))
KILLS = int(os.environ.get("SCALE_KILLS", "50"))
SEED = int(os.environ.get("SCALE_SEED", "19"))
WORKERS = 3
WAVES = 2  # each wave: one more selected post per account, then `sync --queue`
# Mastodon's 300 requests per token per 5 minutes, narrowed so the busiest accounts meet it in
# the run: the workers must learn it from the headers and wait, never be refused.
MASTODON_LIMIT = (20, 10)
REDIS_URL = os.environ.get("CROSSPOST_REDIS_URL", "")
POSTGRES_URL = os.environ.get("CROSSPOST_POSTGRES_URL", "")

USER_CONFIG = """
[accounts.sky]
platform = "bluesky"
handle = "{handle}"
service = "{pds}"

[accounts.masto]
platform = "mastodon"
handle = "{member}@127.0.0.1"
service = "{mastodon}"

[[sync]]
name = "to-masto"
from = "sky"
to = "masto"
include_tags = ["{tag}"]

[[sync]]
name = "to-sky"
from = "masto"
to = "sky"
include_tags = ["{tag}"]
"""


def _need(what: str, present: bool, require: str) -> None:
    if present:
        return
    if os.environ.get(require):
        pytest.fail(f"{require} is set but {what}")
    pytest.skip(what)


@pytest.fixture
def servers_present() -> None:
    _need(
        "the local PDS is not installed (.ci/setup-pds.sh)",
        pds_installed(),
        "CROSSPOST_REQUIRE_PDS",
    )
    _need(
        "CROSSPOST_REDIS_URL is not set (.ci/setup-redis.sh)",
        bool(REDIS_URL),
        "CROSSPOST_REQUIRE_REDIS",
    )
    _need(
        "CROSSPOST_POSTGRES_URL is not set (.ci/setup-postgres.sh)",
        bool(POSTGRES_URL),
        "CROSSPOST_REQUIRE_POSTGRES",
    )


@contextmanager
def fresh_database() -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards."""
    import psycopg

    name = f"crosspost_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_redis() -> str:
    """A Redis database of its own (db 7), emptied."""
    import redis

    url = REDIS_URL.rsplit("/", 1)[0] + "/7" if REDIS_URL.count("/") >= 3 else REDIS_URL + "/7"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@dataclass
class World:
    root: Path
    community: Path
    mastodon: str
    pds: CountingProxy
    masto: CountingProxy
    members: list[tuple[str, PdsAccount]]


class Worker:
    def __init__(self, world: World, name: str) -> None:
        self.log = world.root / f"{name}.log"
        env = cli_env(world.root, {})
        env["CROSSPOST_LOCK_LEASE"] = "3"  # a killed worker's job is taken over within seconds
        args = ["worker", "--community", str(world.community), "--workers", "2"]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crosspost", *args, "--poll", "0.5", "--sweep-every", "1"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def busy(self) -> bool:
        """Whether one of its jobs holds its lock now (by its log)."""
        held: set[str] = set()
        for line in self.log.read_text().splitlines() if self.log.exists() else ():
            if match := re.search(r"job start (.+?) at ", line):
                held.add(match.group(1))
            elif match := re.search(r"job end (.+?) at ", line):
                held.discard(match.group(1))
        return bool(held)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        with self.log.open("a") as log:
            log.write(f"killed at {time.time():.6f}\n")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def queue_all(world: World) -> None:
    done = run_cli("sync", "--queue", "--community", str(world.community))
    assert done.code == 0, done.out + done.err


def mirrored(texts: list[str], wanted: str) -> int:
    return sum(1 for text in texts if re.search(re.escape(wanted) + r"(?!\d)", text))


@pytest.fixture
def world(servers_present: None, tmp_path: Path) -> Iterator[World]:
    queue_url = fresh_redis()
    with (
        fresh_database() as ledger_url,
        rate_limited_pds(tmp_path / "pds") as pds,
        mastodon_process(
            tmp_path / "media", MEMBERS, tmp_path / "mastodon.log", MASTODON_LIMIT
        ) as mastodon,
        counting_proxy(pds.url) as proxy,
        counting_proxy(mastodon) as masto_proxy,
    ):
        members = make_members(pds.url, MEMBERS)
        done = run_cli("community", "init", str(tmp_path / "community"))
        assert done.code == 0, done.err
        path = tmp_path / "community" / "community.toml"
        with path.open("a") as file:
            file.write(f'queue = "{queue_url}"\nledger = "{ledger_url}"\n')
        from crosspost.community import load_community

        community = load_community(path)
        for member, account in members:
            (community.users_dir / f"{member}.toml").write_text(
                USER_CONFIG.format(
                    handle=account.handle,
                    pds=proxy.url,
                    member=member,
                    mastodon=masto_proxy.url,
                    tag=TAG,
                )
            )
            config = community.load(member)
            secrets = community.secrets(member)
            secrets.save(config.account("sky"), {"app_password": account.password})
            secrets.save(config.account("masto"), {"access_token": f"{member}_token"})
        yield World(tmp_path, path, mastodon, proxy, masto_proxy, members)


def add_wave(world: World, wave: int) -> None:
    """One more selected post (number `wave`) on every account; on the first wave also one no
    rule selects (number WAVES)."""
    posts = [(wave, True)] + ([(WAVES, False)] if wave == 0 else [])

    def one(item: tuple[str, PdsAccount]) -> None:
        member, account = item
        seed_sky(account, member, posts)
        seed_masto(world.mastodon, f"{member}_token", member, posts)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, world.members))


def missing(world: World) -> list[str]:
    """The selected posts not yet on their member's other account."""
    absent: list[str] = []
    for member, account in world.members:
        masto = masto_texts(world.mastodon, f"{member}_token")
        sky = sky_texts(account)
        absent += [
            sky_text(member, n) for n in range(WAVES) if not mirrored(masto, sky_text(member, n))
        ]
        absent += [
            masto_text(member, n) for n in range(WAVES) if not mirrored(sky, masto_text(member, n))
        ]
    return absent


def test_a_community_of_100_on_3_killed_workers_posts_each_once(world: World) -> None:
    rng = random.Random(SEED)
    runs = itertools.count()
    add_wave(world, 0)
    queue_all(world)
    workers = [Worker(world, f"w{next(runs)}") for _ in range(WORKERS)]
    kills = busy_kills = 0
    started = time.monotonic()
    try:
        for kill in range(KILLS):
            if kill == KILLS // 2:  # posts keep arriving; the timer queues again
                for wave in range(1, WAVES):
                    add_wave(world, wave)
                queue_all(world)
            time.sleep(rng.uniform(0.2, 1.2))
            busy = [n for n, w in enumerate(workers) if w.busy()]
            victim = rng.choice(busy) if busy else rng.randrange(len(workers))
            busy_kills += bool(busy)
            workers[victim].kill()
            kills += 1
            workers[victim] = Worker(world, f"w{next(runs)}")
        queue_all(world)  # the timer: whatever a kill left between queue and lock runs now
        arrived = wait_until(
            lambda: not missing(world), float(os.environ.get("SCALE_WAIT", "600")), every=5
        )
        assert arrived, f"not every post arrived: {missing(world)[:20]}"
        queue_all(world)  # and once more with nothing new: nothing more is posted
        time.sleep(5)
    finally:
        for worker in workers:
            worker.stop()
    took = time.monotonic() - started

    twice: list[str] = []
    unselected = looped = 0
    for member, account in world.members:
        masto = masto_texts(world.mastodon, f"{member}_token")
        sky = sky_texts(account)
        for n in range(WAVES):
            if mirrored(masto, sky_text(member, n)) != 1:
                twice.append(f"{sky_text(member, n)} x{mirrored(masto, sky_text(member, n))}")
            if mirrored(sky, masto_text(member, n)) != 1:
                twice.append(f"{masto_text(member, n)} x{mirrored(sky, masto_text(member, n))}")
        unselected += mirrored(masto, sky_text(member, WAVES)) + mirrored(
            sky, masto_text(member, WAVES)
        )
        # A mirror never comes back: each account holds each of its own posts once.
        looped += sum(mirrored(sky, sky_text(member, n)) - 1 for n in range(WAVES + 1))
        looped += sum(mirrored(masto, masto_text(member, n)) - 1 for n in range(WAVES + 1))
    assert not twice, twice[:20]
    assert unselected == 0
    assert looped == 0

    logs = sorted(world.root.glob("w*.log"))
    overlaps = [
        (key, a, b)
        for key, spans in lock_intervals(logs).items()
        for a, b in itertools.combinations(sorted(spans), 2)
        if a[1] > b[0] and a[2] != b[2]
    ]
    assert not overlaps, overlaps[:5]

    statuses = world.pds.statuses()
    most = world.pds.most_in_window(300)
    figures = {
        "members": MEMBERS,
        "rules": 2 * MEMBERS,
        "kills": kills,
        "kills_while_a_job_ran": busy_kills,
        "mirrors": 2 * WAVES * MEMBERS,
        "seconds": round(took, 1),
        "pds_requests": sum(statuses.values()),
        "pds_statuses": dict(statuses),
        "pds_most_in_5_min": most,
        "pds_most_per_account_in_5_min": max(
            world.pds.most_in_window(300, key) for key in world.pds.by_key()
        ),
    }
    masto_statuses = world.masto.statuses()
    masto_most = max(world.masto.most_in_window(300, key) for key in world.masto.by_key())
    figures |= {
        "mastodon_requests": sum(masto_statuses.values()),
        "mastodon_statuses": dict(masto_statuses),
        "mastodon_most_per_account_in_5_min": masto_most,
        "mastodon_most_in_a_window": world.masto.most_in_fixed_windows(MASTODON_LIMIT[1], "/api/"),
    }
    (world.root / "figures.json").write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))
    assert statuses[429] == 0, figures  # no budget was ever exceeded at the PDS
    assert most <= 3000  # the PDS's own limit per address
    assert masto_statuses[429] == 0, figures
    # Mastodon counts its API (/api/...) per token and per address, in fixed windows.
    window_most, whose = world.masto.most_in_fixed_windows(MASTODON_LIMIT[1], "/api/")
    assert window_most <= MASTODON_LIMIT[0] + 1, (whose, window_most)
