"""Rebuilding the ledger from markers, adopting hand-made cross-posts, edits and deletes, watch."""

from __future__ import annotations

import itertools

from crosspost.config import SyncRule
from crosspost.errors import PlatformError
from crosspost.state import Ledger
from crosspost.sync import RuleReport, StopSignal, SyncEngine, parse_interval, rebuild_ledger, watch
from tests.fake_platform import ACCOUNTS, FakeClock, World, make_config

RULE = SyncRule(name="xp", source="art", targets=("masto", "sky"), include_tags=("crosspost",))
THREAD = " ".join(f"word{n}" for n in range(270))


def engine(world: World, rule: SyncRule = RULE) -> SyncEngine:
    return SyncEngine(make_config(rule), world.store, world.client, clock=world.network.clock)


def test_rebuild_ledger_from_markers_gives_the_same_ledger() -> None:
    world = World()
    world.add("art", "short", tags=("crosspost",))
    world.add("art", THREAD, tags=("crosspost",), minutes=1)
    world.add("art", "untagged", minutes=2)
    engine(world).run()
    before = world.store.dump()
    assert len(before) > 7
    world.state = Ledger(":memory:", clock=world.network.clock)  # the ledger is lost
    report = RuleReport("xp")
    rebuild_ledger(engine(world).context, RULE, report)
    assert world.store.dump() == before
    again = engine(world).run()
    assert again.published == 0


def test_adopt_records_hand_made_cross_posts_instead_of_posting() -> None:
    world = World()
    world.add("art", "My new drawing is up #crosspost", tags=("crosspost",))
    world.add("masto", "My new drawing is up", minutes=5)  # posted by hand
    world.add("art", "Another one", tags=("crosspost",), minutes=10)
    report = engine(world).run(adopt=True)
    assert report.rules[0].adopted == 1
    assert [p.text.text for p in world.network.of("masto")] == [
        "My new drawing is up",
        "Another one",
    ]
    assert len(world.network.of("sky")) == 2


def test_edits_reach_mastodon_and_deletes_reach_every_target() -> None:
    world = World()
    rule = SyncRule(
        name="xp",
        source="art",
        targets=("masto", "sky"),
        include_tags=("crosspost",),
        edits=True,
        deletes=True,
    )
    keep = world.add("art", "first version", tags=("crosspost",))
    gone = world.add("art", "to be deleted", tags=("crosspost",), minutes=1)
    engine(world, rule).run()
    posts = world.network.posts["art"]
    posts[keep.ref.id] = keep.with_changes(text=keep.text.__class__("second version"))
    del posts[gone.ref.id]
    report = engine(world, rule).run().rules[0]
    assert (report.edited, report.deleted) == (1, 2)
    assert [p.text.text for p in world.network.of("masto")] == ["second version"]
    assert [p.text.text for p in world.network.of("sky")] == ["first version"]
    assert any("left as it is" in note for note in report.notes)


def test_watch_runs_until_stopped_with_jitter_and_no_real_sleep() -> None:
    clock = FakeClock()
    stop = StopSignal()
    runs: list[float] = []

    def once() -> None:
        runs.append(clock())
        if len(runs) == 3:
            stop.request()

    assert watch(once, parse_interval("10m"), stop=stop, sleep=clock.sleep, rng=lambda: 1.0) == 3
    assert [b - a for a, b in itertools.pairwise(runs)] == [660.0, 660.0]


def test_a_lost_ledger_is_reconciled_from_markers_before_posting() -> None:
    """A thread and a short post on both targets, the ledger lost, one new post since: the new
    one is posted, the others found by their markers (the thread chunk by chunk)."""
    world = World()
    world.add("art", "short", tags=("crosspost",))
    world.add("art", THREAD, tags=("crosspost",), minutes=1)
    engine(world).run()
    on = {t: len(world.network.of(t)) for t in ("masto", "sky")}
    before = world.store.dump()
    world.state = Ledger(":memory:", clock=world.network.clock)
    world.add("art", "new since", tags=("crosspost",), minutes=2)
    report = engine(world).run().rules[0]
    assert report.published == 2  # the new post, once on each target
    assert report.checked == [("masto", on["masto"], 2), ("sky", on["sky"], 2)]
    assert "4 already mirrored, found by their markers" in report.summary()
    assert {t: len(world.network.of(t)) for t in ("masto", "sky")} == {
        t: n + 1 for t, n in on.items()
    }
    assert set(before) <= set(world.store.dump())
    assert engine(world).run().rules[0].checked == []  # the ledger knows both targets now


def test_posts_a_target_could_not_take_are_read_again_not_skipped() -> None:
    """The rule's cursor stays at the oldest post an unchecked target did not get: the next run
    reads it again, and every post reaches that target (older ones too, not only the newest)."""
    world = World()
    for minute in range(3):
        world.add("art", f"post {minute}", tags=("crosspost",), minutes=minute)
    world.client(ACCOUNTS["masto"]).fail_on[("fetch_page", 1)] = PlatformError("503 upstream")
    first = engine(world).run().rules[0]
    assert world.network.of("masto") == []
    assert first.failed
    again = engine(world).run().rules[0]
    assert sorted(p.text.text for p in world.network.of("masto")) == [
        "post 0", "post 1", "post 2"
    ]  # fmt: skip
    assert len(world.network.of("sky")) == 3  # and nothing twice where it went the first time
    assert again.published == 3


def test_a_target_that_cannot_be_checked_gets_nothing_this_run() -> None:
    world = World()
    world.add("art", "short", tags=("crosspost",))
    world.client(ACCOUNTS["masto"]).fail_on[("fetch_page", 1)] = PlatformError("503 upstream")
    report = engine(world).run().rules[0]
    assert world.network.of("masto") == []
    assert len(world.network.of("sky")) == 1
    (failed,) = report.failed
    assert failed[1] == "masto"
    assert "not checked for mirrors first (503 upstream)" in failed[2]
    again = engine(world).run().rules[0]
    assert again.published == 1
    assert len(world.network.of("masto")) == 1
