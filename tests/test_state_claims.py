"""Claims on pending mirrors, on both backends: one worker publishes an entry at a time; a lease
that ran out, or a claimer whose process is gone, is taken over, and the taker checks the target
before posting again. Then the engine over them: a worker killed between its intent and its
publish, and workers running a rule's targets side by side on one ledger."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crosspost.accounts import Account
from crosspost.config import Config, SyncRule
from crosspost.model import Platform, PostRef
from crosspost.state import Ledger, MirrorStatus
from crosspost.state.ledger import CLAIM_LEASE
from crosspost.sync import SyncEngine
from crosspost.sync.report import RuleReport
from tests.fake_platform import ACCOUNTS, FakeNetwork, Faults, SimulatedCrash, World, make_config
from tests.postgres import BACKENDS, Opener, ledgers

REF = PostRef(Platform.MASTODON, "a@b.test", "9", "https://b.test/@a/9")
RULE = SyncRule(name="xp", source="art", targets=("masto", "sky"), include_tags=("crosspost",))
HOST = socket.gethostname()


@pytest.fixture(params=BACKENDS)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    with ledgers(request.param, tmp_path) as open_:
        yield open_


def dead_pid() -> int:
    """The pid of a process that has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    return int(done.stdout)


def in_threads(count: int, work: Callable[[int], None]) -> None:
    """Run work(0) ... work(count - 1) side by side, started together; re-raise the first error."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        start.wait()
        try:
            work(n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# --- the claim ---------------------------------------------------------------------------------


def test_two_workers_racing_for_pending_rows_each_row_goes_to_one(opener: Opener) -> None:
    setup = opener()
    rows = 40
    for n in range(rows):
        setup.record_intents(f"src{n}", "masto", 1, "rule")
    won: dict[int, list[int]] = {0: [], 1: []}

    def claim_all(worker: int) -> None:
        with opener(clock=lambda: 100.0, worker=f"w{worker}") as store:
            for n in range(rows):
                if store.claim(f"src{n}", "masto", 0).entry is not None:
                    won[worker].append(n)

    in_threads(2, claim_all)
    assert sorted(won[0] + won[1]) == list(range(rows))  # every row once, none twice


def test_a_live_claim_keeps_others_off_until_its_lease_ends(opener: Opener) -> None:
    now = [1000.0]
    first = opener(clock=lambda: now[0], worker="elsewhere:1:1")
    second = opener(clock=lambda: now[0], worker=f"{HOST}:{os.getpid()}:2")
    first.record_intents("src", "masto", 1, "rule")
    mine = first.claim("src", "masto", 0)
    assert mine.entry is not None
    assert mine.entry.status is MirrorStatus.PENDING
    assert first.claim("src", "masto", 0).entry is not None  # its holder asks again: granted
    now[0] += 100
    held = second.claim("src", "masto", 0)
    assert (held.entry, held.until) == (None, 1000.0 + CLAIM_LEASE)
    first.record_attempt("src", "masto", 0)  # the worker is killed after this
    now[0] = 1000.0 + CLAIM_LEASE + 1
    taken = second.claim("src", "masto", 0)
    assert taken.entry is not None
    assert taken.entry.attempts == 1
    assert first.claim("src", "masto", 0).entry is None  # and holds it now


def test_a_claim_of_a_dead_process_on_this_host_is_taken_over_at_once(opener: Opener) -> None:
    gone = opener(clock=lambda: 0.0, worker=f"{HOST}:{dead_pid()}:1")
    gone.record_intents("src", "masto", 1, "rule")
    assert gone.claim("src", "masto", 0).entry is not None
    live_thread = opener(clock=lambda: 0.0, worker=f"{HOST}:{os.getpid()}:99")
    assert live_thread.claim("src", "masto", 0).entry is not None
    later = opener(clock=lambda: 0.0)  # this process is alive: its other thread keeps it
    assert later.claim("src", "masto", 0).entry is None


def test_a_claim_ends_when_the_entry_is_published_failed_held_or_released(
    opener: Opener,
) -> None:
    first = opener(clock=lambda: 0.0, worker="a:1:1")
    second = opener(clock=lambda: 0.0, worker="b:1:1")
    first.record_intents("src", "masto", 4, "rule")
    for chunk in range(4):
        assert first.claim("src", "masto", chunk).entry is not None
    first.record_failed("src", "masto", 0, "503", None)
    first.record_held("src", "masto", 1, "429")
    first.release("src", "masto", 2)
    second.release("src", "masto", 3)  # not its claim: nothing changes
    first.record_published("src", "masto", 3, REF, rule="rule", chunks=4)
    for chunk in (0, 1, 2):
        assert second.claim("src", "masto", chunk).entry is not None
    published = second.claim("src", "masto", 3).entry
    assert published is not None
    assert published.status is MirrorStatus.PUBLISHED
    first.forget("src", "masto")
    assert second.claim("src", "masto", 0).entry is None


# --- the engine over claims --------------------------------------------------------------------


def run_target(world: World, ledger: Ledger, target: str, rule: SyncRule = RULE) -> RuleReport:
    engine = SyncEngine(make_config(rule), ledger, world.client, clock=world.network.clock)
    return engine.run_target(rule, target)


def crashed_world(opener: Opener, worker: str) -> World:
    """A worker `worker` recorded its intent and its attempt, posted on masto, and was killed
    before it could record the post; its connection is gone."""
    network = FakeNetwork()
    world = World(network, Ledger(":memory:"))
    world.add("art", "one post #crosspost", tags=("crosspost",))
    network.faults["masto"] = Faults(crash_after={1})
    first = opener(clock=network.clock, worker=worker)
    with pytest.raises(SimulatedCrash):
        run_target(world, first, "masto")
    first.close()
    (entry,) = opener().all_entries()
    assert (entry.status, entry.attempts) == (MirrorStatus.PENDING, 1)
    assert len(network.of("masto")) == 1
    return world


def test_a_killed_workers_entry_is_reconciled_by_the_next_never_posted_again(
    opener: Opener,
) -> None:
    world = crashed_world(opener, f"{HOST}:{dead_pid()}:1")
    report = run_target(world, opener(clock=world.network.clock), "masto")
    assert (report.reconciled, report.published, report.failed) == (1, 0, [])
    assert len(world.network.of("masto")) == 1
    (entry,) = opener().all_entries()
    assert entry.status is MirrorStatus.PUBLISHED


def test_another_hosts_killed_worker_is_waited_for_then_reconciled(opener: Opener) -> None:
    world = crashed_world(opener, "elsewhere:4242:1")
    clock = world.network.clock
    killed_at = clock()
    waiting = run_target(world, opener(clock=clock), "masto")
    assert (waiting.published, waiting.reconciled) == (0, 0)
    assert waiting.resume_at == killed_at + CLAIM_LEASE  # a queued job runs again then
    assert any("being published by another worker" in line for line in waiting.stopped)
    assert world.network.calls["masto:publish"] == 1
    clock.now += CLAIM_LEASE + 1
    report = run_target(world, opener(clock=clock), "masto")
    assert (report.reconciled, report.published) == (1, 0)
    assert len(world.network.of("masto")) == 1


TARGETS = tuple(f"m{n}" for n in range(4))
WIDE = SyncRule(name="wide", source="art", targets=TARGETS, include_tags=("crosspost",))


def wide_world(posts: int) -> tuple[World, Config]:
    accounts = dict(ACCOUNTS)
    for name in TARGETS:
        accounts[name] = Account(name, Platform.MASTODON, f"{name}@masto.test")
    config = Config(path=None, accounts=accounts, rules=(WIDE,))
    world = World(FakeNetwork(), Ledger(":memory:"))
    for n in range(posts):
        world.add("art", f"post {n} #crosspost", tags=("crosspost",), minutes=n)
    for account in accounts.values():
        world.client(account)  # made before the threads share them
    return world, config


def mirrored(world: World, target: str) -> list[str]:
    return sorted(str(post.origin.key) for post in world.network.of(target) if post.origin)


@pytest.mark.parametrize("workers_per_target", [1, 3])
def test_workers_on_one_ledger_post_each_post_once_per_target(
    opener: Opener, workers_per_target: int
) -> None:
    """A worker thread per (target x copy), each with its own connection, all at once: with
    three per target, jobs of one key run side by side (as if their job lock failed) and the
    claims alone keep each post to one publish."""
    posts = 12
    world, config = wide_world(posts)
    opener().close()  # the ledger made before the workers start (prepare_ledger)
    jobs = [target for target in TARGETS for _ in range(workers_per_target)]

    def work(n: int) -> None:
        with opener(clock=world.network.clock) as ledger:
            engine = SyncEngine(config, ledger, world.client, clock=world.network.clock)
            engine.run_target(WIDE, jobs[n])

    in_threads(len(jobs), work)
    for _ in range(2):  # a copy that found its target held by another finishes on a later run
        world.network.clock.now += CLAIM_LEASE + 1
        in_threads(len(jobs), work)
    sources = sorted(post.ref.key for post in world.network.of("art"))
    for target in TARGETS:
        assert mirrored(world, target) == sources, target
    with opener() as ledger:
        assert ledger.left("wide") == 0
        assert len(ledger.dump()) == posts * len(TARGETS)
