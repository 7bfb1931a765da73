"""migrate: a whole account or a backup, oldest first, dates kept, resumable across caps."""

from __future__ import annotations

from pathlib import Path

from crosspost.backup.store import BackupStore
from crosspost.model import Platform
from crosspost.sync import MigrateOptions, SyncEngine, migrate
from tests.sync_fakes import ACCOUNTS, Faults, World, make_config


def engine(world: World) -> SyncEngine:
    return SyncEngine(make_config(), world.store, world.client, clock=world.network.clock)


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
