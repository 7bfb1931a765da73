"""Cross-network fidelity of the sync engine (issue 14): every rule's mirrors follow edits and
deletes, a rebuilt ledger finishes incomplete threads, caps keep a migration in order and say
what is left, status counts posts, two-way replies, and migrations from a backup."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from crosspost.backup.store import BackupStore
from crosspost.config import SyncRule
from crosspost.model import Media, MediaKind, Platform, PostKind, RichText
from crosspost.state import Ledger
from crosspost.sync import MigrateOptions, RuleReport, SyncEngine, migrate, rebuild_ledger
from tests.fake_platform import ACCOUNTS, Faults, World, make_config

THREAD3 = " ".join(f"word{n}" for n in range(150))  # three chunks on Mastodon


def engine(world: World, *rules: SyncRule) -> SyncEngine:
    return SyncEngine(make_config(*rules), world.store, world.client, clock=world.network.clock)


def test_edits_and_deletes_reach_the_mirrors_of_every_rule() -> None:
    world = World()
    options = {"source": "art", "edits": True, "deletes": True}
    to_sky = SyncRule(name="to-sky", targets=("sky",), **options)  # type: ignore[arg-type]
    to_masto = SyncRule(name="to-masto", targets=("masto",), **options)  # type: ignore[arg-type]
    keep = world.add("art", "first version")
    gone = world.add("art", "to be deleted", minutes=1)
    engine(world, to_sky, to_masto).run()
    assert len(world.network.of("masto")) == len(world.network.of("sky")) == 2
    posts = world.network.posts["art"]
    posts[keep.ref.id] = keep.with_changes(text=RichText("second version"))
    del posts[gone.ref.id]
    report = engine(world, to_sky, to_masto).run()
    sky, masto = report.rules
    assert (sky.deleted, masto.deleted) == (1, 1)
    assert masto.edited == 1
    assert [p.text.text for p in world.network.of("masto")] == ["second version"]
    assert [p.text.text for p in world.network.of("sky")] == ["first version"]  # cannot edit
    assert world.store.load_source(gone.ref.key) is None
    again = engine(world, to_sky, to_masto).run()
    assert (again.published, sum(r.edited for r in again.rules)) == (0, 0)


def test_a_rebuilt_ledger_finishes_a_thread_whose_second_chunk_was_refused() -> None:
    world = World()
    rule = SyncRule(name="t", source="art", targets=("masto",))
    world.add("art", THREAD3)
    faults = world.network.faults.setdefault("masto", Faults())
    faults.fail_when = lambda draft: "refused" if draft.text.text.endswith("(2/3)") else None
    engine(world, rule).run()
    assert len(world.network.of("masto")) == 1
    world.state = Ledger(":memory:", clock=world.network.clock)  # the ledger is lost
    rebuild_ledger(engine(world, rule).context, rule, RuleReport("t"))
    faults.fail_when = lambda draft: None
    world.network.clock.now += 3600
    report = engine(world, rule).run()
    assert report.published == 2
    chunks = world.network.of("masto")
    assert [c.text.text[-5:] for c in chunks] == ["(1/3)", "(2/3)", "(3/3)"]
    assert chunks[1].reply_to == chunks[0].ref
    assert chunks[2].reply_to == chunks[1].ref
    assert chunks[2].thread_root == chunks[0].ref
    assert engine(world, rule).run().published == 0


def test_a_post_a_cap_refused_goes_first_when_the_cap_lifts() -> None:
    world = World()
    for n in range(5):
        world.add("masto", f"toot {n}", minutes=n)
    world.network.faults["art"] = Faults(cap=2)  # Tumblr 8023 after two posts
    first = migrate(engine(world), "masto", "art")
    assert first.published == 2
    assert first.resume_at == world.network.clock() + 86400
    assert first.summary() == (
        "migrate:masto->art: 5 read, 5 selected, 2 published, 0 failed, "
        "3 left: run again after 2024-03-02T12:00+00:00"
    )
    world.network.faults["art"].cap = None  # a new day on the server's side, not on ours
    world.network.clock.now += 3600
    early = migrate(engine(world), "masto", "art")
    assert early.published == 0  # nothing later goes before the post the cap stopped
    assert early.resume_at == first.resume_at
    assert "3 left" in early.summary()
    world.network.clock.now = (first.resume_at or 0) + 1
    last = migrate(engine(world), "masto", "art")
    assert last.published == 3
    assert last.resume_at is None
    assert [p.text.text for p in world.network.of("art")] == [f"toot {n}" for n in range(5)]
    assert "left" not in last.summary()


def test_status_counts_posts_and_says_what_waits_until_when_and_why() -> None:
    world = World()
    rule = SyncRule(name="t", source="art", targets=("masto",))
    world.add("art", THREAD3)
    world.add("art", "short one", minutes=1)
    world.network.faults["masto"] = Faults(server_error={2})  # the thread's second chunk
    engine(world, rule).run()
    now = world.network.clock()
    status = world.store.status("t", "masto", now)
    assert (status.published, status.due, status.waiting_posts) == (1, 0, 1)
    (waiting,) = status.waiting
    assert (waiting.until, waiting.why) == (now + 300, "backoff after a failure")
    assert [(key, why) for key, why, _ in status.failed] == [
        (world.network.of("art")[0].ref.key, "503 Service Unavailable")
    ]
    assert world.store.status("t", "masto", now + 301).due == 1
    world.add("masto", "toot 1")
    world.add("masto", "toot 2", minutes=1)
    world.network.faults["sky"] = Faults(cap=1)
    migrate(engine(world), "masto", "sky")
    capped = world.store.status("migrate:masto->sky", "sky", now)
    assert (capped.published, capped.due, capped.waiting_posts, capped.failed) == (1, 0, 1, ())
    assert capped.waiting[0].why == "sky: daily posting cap reached"
    assert capped.waiting[0].until == now + 86400
    assert ("migrate:masto->sky", ("sky",)) in world.store.rules()


def test_a_reply_to_a_mirror_goes_back_as_a_reply_to_the_original() -> None:
    world = World()
    replies = (PostKind.ORIGINAL, PostKind.REPLY)
    there = SyncRule(name="there", source="masto", targets=("sky",), kinds=replies)
    back = SyncRule(name="back", source="sky", targets=("masto",), kinds=replies)
    original = world.add("masto", "from mastodon")
    engine(world, there, back).run()
    (mirror,) = world.network.of("sky")
    world.add("sky", "an answer written on bluesky", reply_to=mirror, minutes=5)
    report = engine(world, there, back).run()
    assert report.published == 1
    assert not any("not mirrored" in reason for r in report.rules for reason in r.skipped)
    answer = world.network.of("masto")[-1]
    assert answer.text.text == "an answer written on bluesky"
    assert answer.reply_to == original.ref
    assert answer.thread_root == original.ref
    for _ in range(3):
        assert engine(world, there, back).run().published == 0


def test_migrate_from_a_backup_uploads_the_backups_file(tmp_path: Path) -> None:
    world = World()
    data = b"\x89PNG\r\n\x1a\n" + b"kept in the backup"
    sha = hashlib.sha256(data).hexdigest()
    folder = BackupStore(tmp_path).account(Platform.BLUESKY, ACCOUNTS["sky"].identity)
    stored = folder.media_path(sha, "png")
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(data)
    image = Media(
        MediaKind.IMAGE,
        url="https://cdn.gone.example/img.png",  # the original is gone
        mime="image/png",
        sha256=sha,
        local_path=folder.media_relative(sha, "png"),
    )
    post = world.add("sky", "skeet with a picture")
    folder.save_post(dataclasses.replace(post, media=(image,)))
    world.network.posts.clear()
    world.client(ACCOUNTS["masto"]).reads_media = True
    report = migrate(engine(world), "sky", "masto", MigrateOptions(from_backup=tmp_path))
    assert report.failed == []
    assert report.published == 1
    assert world.clients["masto"].uploaded == [data]


def test_the_date_line_of_a_migrated_thread_is_in_its_first_post() -> None:
    world = World()
    world.add("art", THREAD3)
    report = migrate(engine(world), "art", "masto")
    chunks = [c.text.text for c in world.network.of("masto")]
    assert report.published == len(chunks) >= 2
    line = "Originally posted on Tumblr on 2024-03-01."
    assert chunks[0].startswith(line)
    assert all(line not in chunk for chunk in chunks[1:])
