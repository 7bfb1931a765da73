"""The sync engine on in-memory platforms: selection, threads, loops, failures, dry run."""

from __future__ import annotations

import itertools

from crosspost.config import SyncRule
from crosspost.model import Visibility
from crosspost.sync import SyncEngine
from crosspost.sync.report import SyncReport
from tests.fake_platform import Faults, World, make_config

RULE = SyncRule(
    name="xp",
    source="art",
    targets=("masto", "sky"),
    include_tags=("crosspost",),
    exclude_tags=("noxp",),
)
LONG = " ".join(f"word{n}" for n in range(300))  # about 2,400 characters: a thread of 5+


def run(world: World, *rules: SyncRule, dry_run: bool = False, **options: object) -> SyncReport:
    config = make_config(*(rules or (RULE,)))
    engine = SyncEngine(
        config, world.store, world.client, clock=world.network.clock, dry_run=dry_run
    )
    return engine.run(**options)  # type: ignore[arg-type]


def test_tagged_public_posts_are_mirrored_once() -> None:
    world = World()
    tagged = world.add("art", "hello", tags=("crosspost",))
    world.add("art", "not for elsewhere", tags=("diary",), minutes=1)
    world.add("art", "excluded", tags=("crosspost", "noxp"), minutes=2)
    report = run(world)
    assert report.published == 2
    for target in ("masto", "sky"):
        (mirror,) = world.network.of(target)
        assert mirror.origin == tagged.ref
        assert mirror.text.text == "hello"  # the selecting tag is stripped
    again = run(world)
    assert again.published == 0
    assert len(world.network.of("masto")) == 1


def test_a_second_run_with_nothing_new_reads_one_page_and_writes_nothing() -> None:
    world = World()
    for n in range(45):
        world.add("art", f"post {n}", tags=("crosspost",), minutes=n)
    run(world)
    calls = dict(world.network.calls)
    report = run(world)
    assert report.rules[0].read_calls == 1
    new_calls = {k: v - calls.get(k, 0) for k, v in world.network.calls.items()}
    assert {k: v for k, v in new_calls.items() if v} == {"art:fetch_page": 1}


def test_private_posts_are_never_mirrored_as_public() -> None:
    world = World()
    world.add("art", "secret", tags=("crosspost",), visibility=Visibility.PRIVATE)
    open_rule = SyncRule(
        name="all",
        source="art",
        targets=("masto", "sky"),
        visibility=tuple(Visibility),
    )
    run(world, open_rule)
    assert world.network.of("sky") == []  # Bluesky has only public posts: nothing sent
    (mirror,) = world.network.of("masto")
    assert mirror.visibility is Visibility.PRIVATE
    default = World()
    default.add("art", "secret", tags=("crosspost",), visibility=Visibility.FOLLOWERS)
    run(default)
    assert default.network.of("masto") == []
    assert default.network.of("sky") == []


def test_two_way_rules_never_loop() -> None:
    world = World()
    there = SyncRule(name="there", source="masto", targets=("sky",))
    back = SyncRule(name="back", source="sky", targets=("masto",))
    world.add("masto", "from mastodon")
    world.add("sky", "from bluesky", minutes=1)
    counts = []
    for _ in range(10):
        run(world, there, back)
        counts.append((len(world.network.of("masto")), len(world.network.of("sky"))))
    assert counts == [(2, 2)] * 10


def test_a_long_post_becomes_a_thread_in_order() -> None:
    world = World()
    world.add("art", LONG, tags=("crosspost",))
    rule = SyncRule(name="t", source="art", targets=("masto",), include_tags=("crosspost",))
    run(world, rule)
    chunks = world.network.of("masto")
    assert len(chunks) >= 5
    assert chunks[0].reply_to is None
    for previous, chunk in itertools.pairwise(chunks):
        assert chunk.reply_to == previous.ref
        assert chunk.thread_root == chunks[0].ref


def test_thread_chunk_3_of_5_fails_then_resumes_at_chunk_3() -> None:
    world = World()
    words = " ".join(f"word{n}" for n in range(270))
    world.add("art", words, tags=("crosspost",))
    rule = SyncRule(name="t", source="art", targets=("masto",), include_tags=("crosspost",))
    world.network.faults["masto"] = faults = Faults()
    faults.server_error = {3}
    first = run(world, rule)
    assert len(world.network.of("masto")) == 2
    assert first.failed == 1
    world.network.clock.now += 3600  # past the backoff
    run(world, rule)
    chunks = world.network.of("masto")
    assert len(chunks) == 5
    assert chunks[2].reply_to == chunks[1].ref
    assert [c.text.text[-5:] for c in chunks] == [f"({n}/5)" for n in range(1, 6)]


def test_one_bad_post_never_blocks_the_rest() -> None:
    world = World()
    world.add("art", "bad one", tags=("crosspost",))
    world.add("art", "good one", tags=("crosspost",), minutes=1)
    faults = world.network.faults.setdefault("masto", Faults())
    faults.fail_when = lambda draft: "refused" if "bad" in draft.text.text else None
    report = run(world)
    assert [p.text.text for p in world.network.of("masto")] == ["good one"]
    assert report.rules[0].failed[0][2] == "refused"
    status = world.store.summary("xp", ("masto",), world.network.clock())[0]
    assert (status.published, status.failed, status.due) == (1, 1, 0)
    world.network.clock.now += 10 * 60
    assert world.store.summary("xp", ("masto",), world.network.clock())[0].due == 1


def test_dry_run_prints_payloads_and_writes_nothing() -> None:
    world = World()
    world.add("art", "hello there", tags=("crosspost",))
    before = world.store.dump()
    report = run(world, dry_run=True)
    assert world.network.of("masto") == []
    assert world.network.of("sky") == []
    text = "\n".join(report.rules[0].dry_run)
    assert "-> masto" in text
    assert "-> sky" in text
    assert "payload 1:" in text
    assert "graphemes" in text
    assert "limits:" in text
    assert world.store.dump() == before
