"""A crash at every point of the publish loop, then a rerun: nothing posted twice, nothing
skipped. Crashes are a BaseException raised inside the state store or the platform, so nothing
after that point runs, as after a SIGKILL; the SQLite ledger keeps what was committed."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from typing import Any

import pytest

from crosspost.config import SyncRule
from crosspost.state import Ledger
from crosspost.sync import SyncEngine
from tests.fake_platform import FakeNetwork, Faults, SimulatedCrash, World, make_config

RULE = SyncRule(name="xp", source="art", targets=("masto", "sky"), include_tags=("crosspost",))
THREAD = " ".join(f"word{n}" for n in range(270))  # 5 chunks on Mastodon, more on Bluesky


class CrashingState(Ledger):
    """Dies at the `nth` call of `method`, before or after its write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan: tuple[str, str, int] | None = None
        self.counts: Counter[str] = Counter()

    def _hook(self, method: str, when: str) -> None:
        if when == "before":
            self.counts[method] += 1
        if self.plan == (method, when, self.counts[method]):
            self.plan = None
            raise SimulatedCrash(f"{when} {method} #{self.counts[method]}")

    def record_intents(self, *args: Any, **kwargs: Any) -> None:
        self._hook("record_intents", "before")
        super().record_intents(*args, **kwargs)
        self._hook("record_intents", "after")

    def record_attempt(self, *args: Any, **kwargs: Any) -> None:
        self._hook("record_attempt", "before")
        super().record_attempt(*args, **kwargs)
        self._hook("record_attempt", "after")

    def record_published(self, *args: Any, **kwargs: Any) -> None:
        self._hook("record_published", "before")
        super().record_published(*args, **kwargs)
        self._hook("record_published", "after")


def seeded_world() -> World:
    network = FakeNetwork()
    world = World(network, CrashingState(":memory:", clock=network.clock))
    world.add("art", "short one", tags=("crosspost",))
    world.add("art", "not selected", minutes=1)
    world.add("art", THREAD, tags=("crosspost",), minutes=2)
    world.add("art", "another", tags=("crosspost",), minutes=3)
    return world


def sync(world: World) -> None:
    engine = SyncEngine(make_config(RULE), world.store, world.client, clock=world.network.clock)
    with world.store.lock(alive=lambda pid: False):
        engine.run()


def settle(world: World) -> None:
    """Rerun until nothing is left to do (a crash may leave a failure waiting on its backoff)."""
    for _ in range(6):
        world.network.clock.now += 2 * 86400
        sync(world)


def expected() -> dict[str, Counter[str]]:
    clean = seeded_world()
    sync(clean)
    return mirrors(clean)


def mirrors(world: World) -> dict[str, Counter[str]]:
    return {
        target: Counter(str(p.raw["draft_key"]) for p in world.network.of(target))
        for target in RULE.targets
    }


def check_threads(world: World) -> None:
    for target in RULE.targets:
        posts = world.network.of(target)
        by_key = {str(p.raw["draft_key"]): p for p in posts}
        for key, post in by_key.items():
            source, _, chunk = key.rpartition("#")
            if int(chunk) > 0:
                assert post.reply_to == by_key[f"{source}#{int(chunk) - 1}"].ref


POINTS = [
    ("record_intents", "before"),
    ("record_intents", "after"),
    ("record_attempt", "after"),  # the attempt is recorded, nothing sent yet
    ("publish", "before"),
    ("publish", "after"),  # posted, the answer never arrives
    ("record_published", "before"),  # posted and answered, not recorded
    ("record_published", "after"),
]


@pytest.mark.parametrize(("method", "when"), POINTS)
def test_a_crash_at_every_point_then_a_rerun_posts_everything_once(method: str, when: str) -> None:
    want = expected()
    total = sum(sum(c.values()) for c in want.values())
    calls = 3 * 2 if method == "record_intents" else total
    for nth in range(1, calls + 1):
        world = seeded_world()
        if method == "publish":
            for target in RULE.targets:
                faults = world.network.faults.setdefault(target, Faults())
                getattr(faults, f"crash_{when}").add(nth)
        else:
            assert isinstance(world.store, CrashingState)
            world.store.plan = (method, when, nth)
        with contextlib.suppress(SimulatedCrash):
            sync(world)
        world.network.faults.clear()
        settle(world)
        assert mirrors(world) == want, f"crash {when} {method} #{nth}"
        check_threads(world)


def test_200_random_kills_each_followed_by_a_rerun() -> None:
    rng = random.Random(8)
    world = seeded_world()
    for n in range(20):
        world.add("art", f"later {n}", tags=("crosspost",), minutes=10 + n)
    state = world.store
    assert isinstance(state, CrashingState)
    for _ in range(200):
        method, when = rng.choice(POINTS)
        nth = rng.randint(1, 3)
        if method == "publish":
            target = rng.choice(RULE.targets)
            client = world.client(make_config().account(target))
            getattr(world.network.faults.setdefault(target, Faults()), f"crash_{when}").add(
                client.publishes + nth
            )
        else:
            state.plan = (method, when, state.counts[method] + nth)
        with contextlib.suppress(SimulatedCrash):
            sync(world)
        state.plan = None
        world.network.faults.clear()
        sync(world)  # the rerun
        text = THREAD if rng.random() < 0.2 else f"new {rng.random()}"
        world.add("art", text, tags=("crosspost",) if rng.random() < 0.8 else (), minutes=100)
    settle(world)
    selected = [p for p in world.network.of("art") if "crosspost" in p.tags]
    for target in RULE.targets:
        keys = Counter(str(p.raw["draft_key"]) for p in world.network.of(target))
        assert all(count == 1 for count in keys.values()), "posted twice"
        assert {k.rpartition("->")[0] for k in keys} == {p.ref.key for p in selected}
    check_threads(world)


def test_429_5xx_and_timeouts_never_duplicate_and_everything_arrives() -> None:
    want = expected()
    world = seeded_world()
    for target in RULE.targets:
        world.network.faults[target] = Faults(
            rate_limited={1, 5}, server_error={2, 7}, timeout_after={3, 8, 9}
        )
    for _ in range(8):
        sync(world)
        world.network.clock.now += 2 * 86400
    assert mirrors(world) == want
    check_threads(world)
