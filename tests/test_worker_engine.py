"""SyncEngine.run_target, as a queued job runs it: one target of a rule and nothing else, so the
jobs of a rule's other targets, running at the same time in other workers, never publish the
same entry twice."""

from __future__ import annotations

from dataclasses import replace

from crosspost.config import SyncRule
from crosspost.sync import SyncEngine
from crosspost.sync.report import RuleReport
from tests.fake_platform import Faults, World, make_config

RULE = SyncRule(name="xp", source="art", targets=("masto", "sky"), include_tags=("crosspost",))
FOLLOWING = replace(RULE, edits=True, deletes=True)


def run_target(world: World, target: str, rule: SyncRule = RULE) -> RuleReport:
    engine = SyncEngine(make_config(rule), world.store, world.client, clock=world.network.clock)
    return engine.run_target(rule, target)


def test_a_job_publishes_only_to_its_own_target() -> None:
    world = World()
    for n in range(2):
        world.add("art", f"post {n}", tags=("crosspost",), minutes=n)
    world.network.faults["masto"] = Faults(server_error={1, 2})
    first = run_target(world, "masto")
    assert len(first.failed) == 2  # both masto entries wait for their retry
    world.network.clock.now += 3600  # past the backoff: they are due again
    tries = world.network.calls["masto:publish"]
    sky = run_target(world, "sky")
    # The sky job leaves masto's due entries to the masto job (before, it published them too,
    # while the masto job, in another worker, did the same).
    assert world.network.calls["masto:publish"] == tries
    assert world.network.of("masto") == []
    assert sky.published == 2
    assert len(world.network.of("sky")) == 2
    again = run_target(world, "masto")
    assert again.published == 2
    assert len(world.network.of("masto")) == 2
    assert len(world.network.of("sky")) == 2


def test_a_job_reads_with_its_own_cursor_and_the_rules_follows_the_least_advanced() -> None:
    world = World()
    world.add("art", "old", tags=("crosspost",))
    run_target(world, "masto")
    run_target(world, "sky")
    rule_cursor = world.store.cursor("xp")
    world.add("art", "new", tags=("crosspost",), minutes=5)
    run_target(world, "masto")  # sky has not read "new" yet: the rule's cursor waits for it
    assert world.store.cursor("xp") == rule_cursor
    assert [p.text.text for p in world.network.of("masto")] == ["old", "new"]
    run_target(world, "sky")
    assert world.store.cursor("xp") != rule_cursor
    assert [p.text.text for p in world.network.of("sky")] == ["old", "new"]


def test_each_targets_job_follows_edits_and_deletes_whichever_runs_first() -> None:
    world = World()
    keep = world.add("art", "first version", tags=("crosspost",))
    gone = world.add("art", "to be deleted", tags=("crosspost",), minutes=1)
    for target in ("masto", "sky"):
        run_target(world, target, FOLLOWING)
    posts = world.network.posts["art"]
    posts[keep.ref.id] = keep.with_changes(text=keep.text.__class__("second version"))
    del posts[gone.ref.id]
    sky = run_target(world, "sky", FOLLOWING)  # sky cannot edit in place; it deletes
    assert sky.deleted == 1
    assert [p.text.text for p in world.network.of("sky")] == ["first version"]
    # The sky job went first: the masto job still sees the edit and the delete (before, the
    # sky job recorded both as followed, for every target of the rule).
    masto = run_target(world, "masto", FOLLOWING)
    assert (masto.edited, masto.deleted) == (1, 1)
    assert [p.text.text for p in world.network.of("masto")] == ["second version"]
    again = [run_target(world, t, FOLLOWING) for t in ("masto", "sky")]
    assert [(r.edited, r.deleted) for r in again] == [(0, 0), (0, 0)]
    assert world.store.load_source(gone.ref.key, "xp") is None  # forgotten once both followed
