"""migrate: a whole account or a backup, oldest first, dates kept, resumable across caps."""

from __future__ import annotations

from pathlib import Path

from crosspost.backup.store import BackupStore
from crosspost.config import SyncRule
from crosspost.model import Platform, PostRef
from crosspost.platforms.spec import DAY, Cap
from crosspost.state import Ledger
from crosspost.sync import MigrateOptions, RuleReport, StopSignal, SyncEngine, migrate
from crosspost.sync.caps import DEFAULT_CAPS, Caps, cap_reached
from crosspost.sync.migrate import migrate_until_done
from tests.fake_platform import ACCOUNTS, T0, Faults, World, make_config


def engine(world: World, caps: Caps = DEFAULT_CAPS) -> SyncEngine:
    return SyncEngine(
        make_config(), world.store, world.client, clock=world.network.clock, caps=caps
    )


def test_migrate_keeps_dates_and_resumes_after_a_daily_cap() -> None:
    world = World()
    sources = [world.add("masto", f"toot {n}", minutes=n) for n in range(5)]
    world.network.faults["sky"] = Faults(cap=2)
    first = migrate(engine(world), "masto", "sky")
    assert first.published == 2
    assert first.resume_at is not None
    assert first.stopped
    world.network.faults["sky"].cap = None
    world.network.clock.now = first.resume_at + 1
    second = migrate(engine(world), "masto", "sky")
    assert second.published == 3
    copies = world.network.of("sky")
    assert [p.text.text for p in copies] == [f"toot {n}" for n in range(5)]
    assert [p.created_at for p in copies] == [p.created_at for p in sources]
    assert migrate(engine(world), "masto", "sky").published == 0


def test_migrate_to_mastodon_adds_the_original_date(tmp_path: Path) -> None:
    world = World()
    post = world.add("sky", "skeet", minutes=0)
    folder = BackupStore(tmp_path).account(Platform.BLUESKY, ACCOUNTS["sky"].identity)
    folder.save_post(post)
    world.network.posts.clear()  # only the backup has it now
    report = migrate(engine(world), "sky", "masto", MigrateOptions(from_backup=tmp_path))
    assert report.published == 1
    (copy,) = world.network.of("masto")
    assert copy.text.text == "skeet\n\nOriginally posted on Bluesky on 2024-03-01."


def test_migrate_from_a_backup_kept_under_the_dids_folder_finds_it_by_handle(
    tmp_path: Path,
) -> None:
    from crosspost.backup.manifest import load_manifest, save_manifest

    world = World()
    post = world.add("sky", "skeet", minutes=0)
    folder = BackupStore(tmp_path).account(Platform.BLUESKY, "did:plc:skyaccount")
    folder.save_post(post)
    manifest = load_manifest(folder)
    manifest.stable_id, manifest.handle = "did:plc:skyaccount", ACCOUNTS["sky"].identity
    save_manifest(folder, manifest)
    world.network.posts.clear()
    report = migrate(engine(world), "sky", "masto", MigrateOptions(from_backup=tmp_path))
    assert report.published == 1


def test_migrate_dry_run_writes_nothing() -> None:
    world = World()
    world.add("masto", "toot")
    dry = SyncEngine(
        make_config(), world.store, world.client, clock=world.network.clock, dry_run=True
    )
    report = migrate(dry, "masto", "tumblr:art")
    assert world.network.of("art") == []
    assert world.store.dump() == []
    assert report.dry_run
    assert '"date": "2024-03-01T12:00:00+00:00"' in report.dry_run[0]


def test_migrate_stops_before_a_cap_the_ledger_counts_and_says_when_to_resume() -> None:
    world = World()
    for n in range(5):
        world.add("masto", f"toot {n}", minutes=n)
    caps = {Platform.TUMBLR: (Cap("posts a day", DAY, 3, per_post=1),)}
    start = world.network.clock()
    first = migrate(engine(world, caps), "masto", "art")
    assert first.published == 3
    assert first.resume_at == start + DAY  # when the first of the three leaves the window
    assert first.stopped == [
        "art: 3 posts a day reached (counted from the ledger); it takes "
        "posts again after 2024-03-02T12:00+00:00"
    ]
    assert world.network.calls["art:publish"] == 3  # stopped before the cap, not by a refusal
    world.network.clock.now += DAY - 1
    assert migrate(engine(world, caps), "masto", "art").published == 0  # still inside the window
    world.network.clock.now += 1
    second = migrate(engine(world, caps), "masto", "art")
    assert second.published == 2
    assert [p.text.text for p in world.network.of("art")] == [f"toot {n}" for n in range(5)]


def test_the_cap_counts_what_every_rule_posted_to_the_target() -> None:
    world = World()
    rule = SyncRule(name="xp", source="sky", targets=("art",))
    world.add("sky", "synced one")
    world.add("sky", "synced two", minutes=1)
    caps = {Platform.TUMBLR: (Cap("posts a day", DAY, 3, per_post=1),)}
    SyncEngine(
        make_config(rule), world.store, world.client, clock=world.network.clock, caps=caps
    ).run()
    for n in range(3):
        world.add("masto", f"toot {n}", minutes=n)
    world.network.clock.now += 600
    report = migrate(engine(world, caps), "masto", "art")
    assert report.published == 1
    assert report.resume_at == T0.timestamp() + DAY


def test_migrate_watch_waits_out_the_cap_with_the_injected_sleeper() -> None:
    world = World()
    for n in range(5):
        world.add("masto", f"toot {n}", minutes=n)
    caps = {Platform.TUMBLR: (Cap("posts a day", DAY, 2, per_post=1),)}
    passes: list[RuleReport] = []
    last = migrate_until_done(
        engine(world, caps), "masto", "art", sleep=world.network.clock.sleep, each=passes.append
    )
    assert [p.published for p in passes] == [2, 2, 1]
    assert last is passes[-1]
    assert last.resume_at is None
    assert sum(world.network.clock.slept) == 2 * DAY
    assert max(world.network.clock.slept) <= 5.0  # short steps: a stop signal ends the wait
    assert len(world.network.of("art")) == 5


def test_migrate_watch_stops_waiting_when_asked() -> None:
    world = World()
    for n in range(3):
        world.add("masto", f"toot {n}", minutes=n)
    caps = {Platform.TUMBLR: (Cap("posts a day", DAY, 1, per_post=1),)}
    stop = StopSignal()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 10:
            stop.request()  # SIGTERM while waiting

    mine = SyncEngine(
        make_config(), world.store, world.client, clock=world.network.clock, caps=caps, stop=stop
    )
    report = migrate_until_done(mine, "masto", "art", sleep=sleep)
    assert len(slept) == 10
    assert report.published == 1
    assert len(world.network.of("art")) == 1


def test_cap_reached_counts_mastodon_media_and_bluesky_points() -> None:
    store = Ledger(":memory:", clock=lambda: 10_000.0)
    ref = PostRef(Platform.MASTODON, "a@b.test", "1")
    for n in range(7):  # 28 media in the last 30 minutes
        store.record_published(f"s{n}", "masto", 0, ref, media=4, published_at=9_000.0 + n)
    mastodon = DEFAULT_CAPS[Platform.MASTODON]
    assert cap_reached(store, "masto", mastodon, 2, 10_000.0) is None
    cap, resume = cap_reached(store, "masto", mastodon, 3, 10_000.0) or (None, 0.0)
    assert cap is not None
    assert cap.what == "media uploads per 30 minutes"
    assert resume == 9_000.0 + 1800  # the first 4 leave the window then
    assert cap_reached(store, "masto", mastodon, 0, 10_000.0) is None  # text only: no media cap
    for n in range(1666):  # 4,998 write points this hour
        store.record_published(f"b{n}", "sky", 0, ref, published_at=8_000.0)
    bluesky = DEFAULT_CAPS[Platform.BLUESKY]
    reached = cap_reached(store, "sky", bluesky, 0, 10_000.0)
    assert reached is not None
    assert reached == (bluesky[0], 8_000.0 + 3600)
