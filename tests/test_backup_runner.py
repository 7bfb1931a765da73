"""The backup engine against an in-memory platform: costs, resume, edits, deletions, media, caps."""

from __future__ import annotations

import json
import math
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crosspost.backup import runner, store
from crosspost.backup.manifest import load_manifest
from crosspost.backup.runner import BackupOptions, BackupResult, commit_pages, run_backup
from crosspost.backup.store import AccountBackup, BackupStore
from crosspost.errors import PlatformError, RateLimitedError
from crosspost.model import Media, MediaKind, Platform, Post, Visibility
from crosspost.platforms.base import Page
from crosspost.progress import RecordingProgress
from tests.fake_platform import START, FakePlatform, png

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def backup(
    fake: FakePlatform, root: Path, progress: RecordingProgress | None = None, **options: object
) -> BackupResult:
    return run_backup(
        fake,
        BackupStore(root),
        BackupOptions(**options),  # type: ignore[arg-type]
        progress=progress,
        now=lambda: NOW,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every post and media file (the manifest holds run times, so it is left out)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ("/posts/" in str(path) or "/media/" in str(path))
    }


def account(root: Path, fake: FakePlatform) -> AccountBackup:
    return BackupStore(root).account(fake.account.platform, fake.account.identity)


def saved_post(saved: AccountBackup, post_id: str) -> Post:
    post = saved.load_post(post_id)
    assert post is not None, f"post {post_id} is not in the backup"
    return post


def test_a_full_backup_costs_one_list_call_per_page(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(205, media_every=10)
    result = backup(fake, tmp_path)
    assert result.complete
    assert fake.calls["fetch_page"] == math.ceil(205 / 40)
    assert result.counts["new"] == 205
    assert result.counts["media_downloaded"] == 21
    saved = account(tmp_path, fake)
    assert len(list(saved.iter_post_ids())) == 205
    manifest = load_manifest(saved)
    assert manifest.complete
    assert manifest.run is None
    assert manifest.posts == 205
    post = saved.load_post("000000")
    assert post is not None
    assert post.media[0].local_path is not None
    stored = tmp_path / post.media[0].local_path
    assert stored.read_bytes() == png(post.media[0].url or "")
    assert stored.suffix == ".png"


def test_an_incremental_run_with_nothing_new_costs_one_call(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(500)
    backup(fake, tmp_path)
    fake.calls.clear()
    result = backup(fake, tmp_path)
    assert fake.calls == {"fetch_page": 1}
    assert result.counts["new"] == 0
    assert result.counts["list_calls"] == 1


def test_new_posts_are_picked_up_and_the_rest_is_not_reread(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(300)
    backup(fake, tmp_path)
    for number in range(300, 350):
        fake.add(number)
    fake.calls.clear()
    result = backup(fake, tmp_path)
    assert result.counts["new"] == 50
    # Two pages hold the 50 new posts; a third finishes the re-read window of one page.
    assert fake.calls["fetch_page"] == 3
    assert len(list(account(tmp_path, fake).iter_post_ids())) == 350


def test_edits_inside_the_window_are_caught(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(100)
    backup(fake, tmp_path)
    fake.revise("000098", "edited within the window")  # 1 hour before the newest
    fake.revise("000010", "edited long ago: only --full sees it")
    result = backup(fake, tmp_path)
    assert result.counts["updated"] == 1
    saved = account(tmp_path, fake)
    assert saved_post(saved, "000098").text.text == "edited within the window"
    assert saved_post(saved, "000010").text.text == "post 10"
    result = backup(fake, tmp_path, full=True)
    assert result.counts["updated"] == 1
    assert saved_post(saved, "000010").text.text.startswith("edited long ago")


def test_full_marks_deleted_posts_and_keeps_them(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(90)
    backup(fake, tmp_path)
    del fake.posts["000005"]
    del fake.posts["000050"]
    fake.calls.clear()
    result = backup(fake, tmp_path, full=True)
    assert result.counts["deleted"] == 2
    assert fake.calls["fetch_post"] == 2  # each absence confirmed before marking
    saved = account(tmp_path, fake)
    gone = saved.load_post("000005")
    assert gone is not None
    assert gone.deleted
    assert gone.text.text == "post 5"
    assert load_manifest(saved).deleted == 2
    # Back again (e.g. made public again): no longer marked.
    fake.add(5)
    backup(fake, tmp_path, full=True)
    assert saved_post(saved, "000005").deleted is False


def test_a_post_left_out_of_the_listing_but_still_there_is_not_marked(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(10)
    backup(fake, tmp_path)
    hidden = fake.posts["000003"]
    fake.order = lambda p: (p.ref.id != "000003", p.created_at)  # listed last ...
    fake.page_size = 100
    del fake.posts["000003"]
    fake.fetch_post = lambda ref: hidden if ref.id == "000003" else None  # type: ignore[method-assign]
    result = backup(fake, tmp_path, full=True)
    assert result.counts["deleted"] == 0


def test_a_public_reader_never_marks_private_posts_deleted(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(30)
    for post_id, visibility in (("000004", Visibility.FOLLOWERS), ("000007", Visibility.DIRECT)):
        fake.posts[post_id] = fake.posts[post_id].with_changes(visibility=visibility)
    backup(fake, tmp_path)  # signed in: all 30 saved
    fake.signed_in = False  # the same account read as the public: two posts look gone
    del fake.posts["000010"]  # and one public post really is gone
    progress = RecordingProgress()
    result = backup(fake, tmp_path, progress, full=True)
    assert result.counts["deleted"] == 1
    assert result.counts["not_checked"] == 2
    assert result.to_json()["not_checked"] == 2
    saved = account(tmp_path, fake)
    for post_id in ("000004", "000007"):
        kept = saved.load_post(post_id)
        assert kept is not None
        assert not kept.deleted
    assert saved_post(saved, "000010").deleted
    assert any("not checked for deletion" in note for note in progress.notes)


@pytest.mark.parametrize(
    ("call", "number"),
    [("fetch_page", 2), ("fetch_page", 4), ("fetch_media", 3), ("fetch_media", 9)],
)
def test_an_interrupted_run_resumes_to_the_same_snapshot(
    tmp_path: Path, call: str, number: int
) -> None:
    reference = FakePlatform()
    reference.add_many(170, media_every=7)
    backup(reference, tmp_path / "a")

    fake = FakePlatform()
    fake.add_many(170, media_every=7)
    fake.fail_on[(call, number)] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        backup(fake, tmp_path / "b")
    manifest = load_manifest(account(tmp_path / "b", fake))
    assert manifest.run is not None
    assert not manifest.complete
    fake.calls.clear()
    result = backup(fake, tmp_path / "b")
    assert result.resumed
    assert result.complete
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert fake.calls["fetch_page"] <= 5 - manifest.run.pages + 1  # continued, not started over
    assert not list((tmp_path / "b").rglob("*.tmp"))


def test_an_interrupted_full_run_still_marks_deletions(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(120)
    backup(fake, tmp_path)
    del fake.posts["000001"]
    fake.calls.clear()
    fake.fail_on[("fetch_page", 2)] = RuntimeError("connection dropped")
    # An error the adapter did not name becomes a PlatformError saying what failed.
    with pytest.raises(PlatformError, match="connection dropped"):
        backup(fake, tmp_path, full=True)
    result = backup(fake, tmp_path, full=True)
    assert result.resumed
    assert result.counts["deleted"] == 1
    # Posts listed before the interruption are not mistaken for deleted ones.
    saved = account(tmp_path, fake)
    assert [p for p in saved.iter_post_ids() if saved_post(saved, p).deleted] == ["000001"]


def test_a_media_failure_is_recorded_not_fatal(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(20, media_every=5)
    gone = fake.posts["000005"].media[0].url
    del fake.files[gone or ""]
    result = backup(fake, tmp_path)
    assert result.complete
    assert result.counts["media_missing"] == 1
    manifest = load_manifest(account(tmp_path, fake))
    (entry,) = manifest.missing_media["000005"]
    assert entry["gone"] is True
    assert "404" in entry["reason"]
    # Gone media are not asked for again by incremental runs (only --full asks).
    fake.calls.clear()
    backup(fake, tmp_path)
    assert fake.calls["fetch_media"] == 0


def test_truncated_media_is_refused_and_retried_later(tmp_path: Path) -> None:
    fake = FakePlatform()
    post = fake.add(1, media=1)
    url = post.media[0].url or ""
    whole = fake.files[url]
    fake.posts[post.ref.id] = post.with_changes(
        media=(Media(MediaKind.IMAGE, url=url, mime="image/png", size=len(whole)),)
    )
    fake.files[url] = whole[:10]
    result = backup(fake, tmp_path)
    assert result.counts["media_missing"] == 1
    assert not list((tmp_path).rglob("*.png"))
    fake.files[url] = whole
    result = backup(fake, tmp_path)
    assert result.counts["media_missing"] == 0
    saved = account(tmp_path, fake).load_post(post.ref.id)
    assert saved is not None
    assert saved.media[0].sha256 is not None


def test_no_media_then_media_fetches_what_was_skipped(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(30, media_every=3)
    backup(fake, tmp_path, media=False)
    assert fake.calls["fetch_media"] == 0
    assert not (account(tmp_path, fake).folder / "media").exists()
    result = backup(fake, tmp_path)
    assert result.counts["media_downloaded"] == 10
    assert result.counts["media_missing"] == 0


def test_hostile_media_urls_mimes_and_ids_stay_inside(tmp_path: Path) -> None:
    fake = FakePlatform()
    root = tmp_path / "backup"
    hostile = [
        ("../../../escape", "../../x"),
        ("/etc/passwd", "image/png/../../../../tmp/x"),
        ("a\0b", "text/html"),
    ]
    for number, (post_id, mime) in enumerate(hostile):
        url = f"file:///../../{post_id}"
        fake.files[url] = b"<html>not an image</html>"
        post = fake.add(number, post_id=post_id)
        fake.posts[post_id] = post.with_changes(media=(Media(MediaKind.IMAGE, url=url, mime=mime),))
    backup(fake, root)
    outside = [p for p in tmp_path.rglob("*") if not p.is_relative_to(root)]
    assert outside == []
    names = sorted(p.name for p in root.rglob("*") if p.parent.parent.name == "media")
    assert names
    # HTML under an image's name is stored as text: never a file a browser would run.
    assert all(n.endswith(".txt") and len(n) == 68 for n in names)
    saved = account(root, fake)
    assert sorted(saved.iter_post_ids()) == sorted(post_id for post_id, _ in hostile)


def test_a_rate_limit_stops_cleanly_and_the_same_call_resumes(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(200)
    fake.fail_on[("fetch_page", 3)] = RateLimitedError("posts: rate limited", retry_after=900)
    progress = RecordingProgress()
    result = backup(fake, tmp_path, progress)
    assert not result.complete
    assert result.stopped
    assert result.retry_after == 900
    assert any("Run the same command again" in note for note in progress.notes)
    manifest = load_manifest(account(tmp_path, fake))
    assert manifest.run is not None
    assert manifest.run.pages == 2
    assert "rate limited" in manifest.last_run["stopped"]
    result = backup(fake, tmp_path)
    assert result.complete
    assert result.resumed
    assert len(list(account(tmp_path, fake).iter_post_ids())) == 200


def test_a_rate_limit_on_media_stops_and_leaves_them_for_the_next_run(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(100, media_every=2)
    fake.fail_on[("fetch_media", 5)] = RateLimitedError("fetch media: rate limited", retry_after=60)
    result = backup(fake, tmp_path, workers=1)
    assert result.stopped is not None
    result = backup(fake, tmp_path)
    assert result.complete
    assert result.counts["media_missing"] == 0
    saved = account(tmp_path, fake)
    assert all(m.local_path for p in saved.iter_posts() for m in p.media)


def test_since_skips_older_posts_and_stops_early(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(400)
    since = START + timedelta(hours=350)
    result = backup(fake, tmp_path, since=since)
    assert result.counts["new"] == 50
    assert fake.calls["fetch_page"] == 2


def test_out_of_order_keys_are_not_mistaken_for_the_end(tmp_path: Path) -> None:
    """Bluesky lists by record key; a mirror whose key sorts among old posts is still new."""
    fake = FakePlatform(
        account=FakePlatform().account.__class__("b", Platform.BLUESKY, "alice.test"),
        page_size=10,
    )
    fake.add_many(50)
    backup(fake, tmp_path)
    # A new post (created now) whose key sorts it among posts from the first day.
    fake.add(1000, post_id="000002x", when=START + timedelta(hours=60))
    fake.order = lambda p: p.ref.id
    fake.calls.clear()
    backup(fake, tmp_path, full=False)
    # The listing is by key: the new post sits on the last page, which --full reaches.
    result = backup(fake, tmp_path, full=True)
    assert account(tmp_path, fake).has_post("000002x")
    assert result.counts["deleted"] == 0


def test_files_are_private(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(3, media_every=1)
    backup(fake, tmp_path / "b")
    for path in (tmp_path / "b").rglob("*"):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_progress_reports_posts_and_media(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(45, media_every=9)
    progress = RecordingProgress()
    backup(fake, tmp_path, progress)
    assert progress.total_advanced("posts") == 45
    assert progress.total_advanced("media") == 5


def test_the_summary_is_json(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(3)
    summary = backup(fake, tmp_path).to_json()
    assert json.loads(json.dumps(summary))["new"] == 3
    assert summary["complete"] is True


def test_commit_pages_grow_with_what_is_committed_up_to_eight() -> None:
    assert [commit_pages(n) for n in (0, 1, 2, 3, 4, 6, 9, 13, 16, 19, 100)] == [
        1, 1, 1, 1, 2, 3, 4, 6, 8, 8, 8,
    ]  # fmt: skip


def test_pages_read_while_a_commit_is_made_are_committed_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePlatform()
    fake.page_size = 10
    fake.add_many(200)
    asked: list[str | None] = []
    listed = threading.Event()
    fetch_page = fake.fetch_page

    def counting(cursor: str | None = None) -> Page:
        asked.append(cursor)
        if len(asked) >= 17:  # the pages the reader may hold ahead of the first commit
            listed.set()
        return fetch_page(cursor)

    commits: list[int] = []
    sync_folder = store.sync_folder

    def slow_first_commit(folder: Path) -> None:
        if not commits:
            listed.wait(timeout=10)  # a bound, not a pause: set as soon as the pages are read
        commits.append(len(asked))
        sync_folder(folder)

    monkeypatch.setattr(fake, "fetch_page", counting)
    monkeypatch.setattr(runner, "sync_folder", slow_first_commit)
    result = backup(fake, tmp_path)
    assert result.complete
    assert result.counts["new"] == 200
    assert len(asked) == 20
    assert len(commits) < 12  # 20 pages: 1, 1, 1, 1, 2, 3, 4, 6, then what is left
    assert load_manifest(account(tmp_path, fake)).run is None


def test_a_first_backup_looks_for_each_post_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePlatform()
    fake.add_many(120)
    compared: list[Path] = []
    change = AccountBackup._change

    def counting(path: Path, document: dict[str, object]) -> object:
        compared.append(path)
        return change(path, document)

    monkeypatch.setattr(AccountBackup, "_change", staticmethod(counting))
    assert backup(fake, tmp_path).counts["new"] == 120
    assert compared == []  # found absent when the page was prepared: not looked for again
    fake.revise(next(iter(fake.posts)), "edited")
    again = backup(fake, tmp_path, full=True)
    assert again.counts["updated"] == 1
    assert len(compared) == 120  # saved copies: compared, so an edit keeps its old version
