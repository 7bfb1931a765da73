"""The backup's last mile (issue 16): counts that mean what they say, a repair path, one run per
account at a time, no empty folder after a failed first run, and progress with a total.

Most run the real entry point (`crosspost backup`, `verify`, `repair`) on the fake platform,
whose client stands in for the one the CLI would open."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

import crosspost.clients
from crosspost.backup.lock import AccountLock, BackupLockedError
from crosspost.backup.runner import BackupOptions, run_backup
from crosspost.backup.store import AccountBackup, BackupStore
from crosspost.errors import PlatformError
from crosspost.model import Platform, RichText, Visibility
from crosspost.platforms.base import Draft, Page
from crosspost.progress import RecordingProgress
from tests.backup_mastodon import TOKEN, Mock, mastodon_mock
from tests.cli_helpers import Run, run_cli
from tests.fake_platform import FakePlatform, png
from tests.fixtures import fixture_path

__all__ = ["mastodon_mock"]
ACCOUNT = "mastodon:alice@fake.example"  # the fake platform's default account


def use(monkeypatch: pytest.MonkeyPatch, client: FakePlatform) -> None:
    """The CLI opens `client` whatever account it is given."""
    monkeypatch.setattr(crosspost.clients, "open_client", lambda account, **_: client)


def backup(out: Path, *flags: str, account: str = ACCOUNT) -> Run:
    return run_cli("backup", account, "--dir", str(out), "--json", "-q", *flags)


def summary(run: Run) -> dict[str, object]:
    assert run.code == 0, run.err
    result: dict[str, object] = json.loads(run.out)
    return result


def folder_of(out: Path) -> AccountBackup:
    return BackupStore(out).account(Platform.MASTODON, "alice@fake.example")


# --- counts --------------------------------------------------------------------------------------


def test_the_store_counts_a_change_only_when_what_the_post_says_changed(tmp_path: Path) -> None:
    client = FakePlatform()
    post = client.add(1, media=1)
    store = BackupStore(tmp_path).account(Platform.MASTODON, "alice")
    assert store.save_posts([post]) == [True]
    assert store.save_posts([post.with_changes(raw={"id": "000001", "likes": 9})]) == [False]
    stored = replace(post.media[0], local_path="x/y.png", sha256="0" * 64, size=10)
    assert store.save_posts([post.with_changes(media=(stored,))]) == [False]
    assert store.save_post(post.with_changes(media=(stored,), deleted=True)) is False
    assert store.save_posts([post.with_changes(text=RichText("edited"))]) == [True]
    assert len(store.version_files(post.ref.id)) == 1  # only the edit kept a version


def test_no_media_counts_skipped_media_as_skipped_and_the_next_run_updates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = FakePlatform()
    for number in range(30):
        client.add(number, media=1)
    use(monkeypatch, client)
    out = tmp_path / "out"
    first = summary(backup(out, "--no-media"))
    assert (first["new"], first["media_skipped"], first["media_missing"]) == (30, 30, 0)
    said = run_cli("backup", ACCOUNT, "-d", str(tmp_path / "text"), "--no-media").out
    assert "0 missing, 30 skipped (--no-media)" in said
    checked = run_cli("verify", str(out))
    assert checked.code == 0, checked.out
    assert "30 media files not downloaded on purpose (--no-media)" in checked.out
    assert "could not be downloaded" not in checked.out
    second = summary(backup(out))
    assert second["updated"] == 0, second
    assert second["unchanged"] == 30
    assert (second["media_downloaded"], second["media_missing"], second["media_skipped"]) == (
        30,
        0,
        0,
    )
    assert not (folder_of(out).folder / "versions").exists()
    assert "not downloaded" not in run_cli("verify", str(out)).out


@dataclass(eq=False)
class FakeBluesky(FakePlatform):
    did: str = ""

    def stable_id(self) -> str:
        return self.did


def test_after_a_car_import_the_backup_fetches_all_absent_media_and_updates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repo CAR holds no media: the first backup after the import fetches every file its posts
    name (not only those of the posts in the re-read window), and counts no post as updated."""
    car = fixture_path("bluesky-indigo/testing/testdata/fakermaker.repo.car")
    out = tmp_path / "out"
    imported = run_cli("import", str(car), "--dir", str(out), "-q")
    assert imported.code == 0, imported.err
    (saved,) = BackupStore(out).accounts()
    checked = run_cli("verify", str(out))
    assert checked.code == 0, checked.out
    assert "1 media file named by posts is not in the backup" in checked.out
    did = saved.stable_id()
    assert did is not None
    from crosspost.accounts import Account

    client = FakeBluesky(Account("sky", Platform.BLUESKY, did), page_size=5, did=did)
    posts = sorted(saved.iter_posts(), key=lambda p: (p.created_at, p.ref.id), reverse=True)
    with_media = [n for n, post in enumerate(posts) if post.media]
    assert with_media
    assert min(with_media) >= 5  # beyond the page an incremental run re-reads
    for post in posts:  # the platform holds what the export held: nothing changed
        client.posts[post.ref.id] = post
    use(monkeypatch, client)
    result = summary(backup(out, account=f"bluesky:{did}"))
    assert result["updated"] == 0, result
    assert result["list_calls"] == 1
    # Asked for (no fake can serve bytes whose hash is the blob's CID: this one says 404).
    assert result["media_calls"] == 1
    assert result["media_missing"] == 1
    words = " ".join(run_cli("verify", str(out)).out.split())
    assert "1 media file no longer on the server (`backup --full` asks again)" in words
    assert "not in the backup" not in words


def test_a_run_that_sees_more_than_the_last_one_lists_everything_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = FakePlatform(page_size=10, signed_in=False)
    for number in range(30):
        post = client.add(number)
        if number < 12:  # the oldest are followers-only
            client.posts[post.ref.id] = post.with_changes(visibility=Visibility.FOLLOWERS)
    use(monkeypatch, client)
    out = tmp_path / "out"
    assert summary(backup(out))["new"] == 18
    client.signed_in = True  # credentials added
    again = run_cli("backup", ACCOUNT, "--dir", str(out), "--json")
    result = summary(again)
    assert result["new"] == 12, result
    assert "can see followers-only, direct" in " ".join(again.err.split())
    assert summary(backup(out))["list_calls"] == 1  # and then incremental as before


# --- repair --------------------------------------------------------------------------------------


def test_repair_quarantines_damaged_files_and_the_next_backup_fetches_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = FakePlatform()
    for number in range(5):
        client.add(number, media=1)
    use(monkeypatch, client)
    out = tmp_path / "out"
    summary(backup(out))
    account = folder_of(out)
    image = next(p for p in (account.folder / "media").rglob("*.png") if _owner(p) == "000000")
    image.write_bytes(b"\x89PNG damaged")
    post_file = account.post_path("000002")
    post_file.write_text('{"post": {"text": ')
    assert run_cli("verify", str(out)).code == 7

    repaired = run_cli("repair", str(out))
    assert repaired.code == 0, repaired.err
    assert "quarantined 2 damaged files" in repaired.out
    quarantine = account.folder / "quarantine"
    assert (quarantine / "media" / image.name).read_bytes() == b"\x89PNG damaged"
    assert (quarantine / "posts" / post_file.name).read_text() == '{"post": {"text": '
    assert not image.exists()
    assert not post_file.exists()

    again = summary(backup(out))
    # The damaged image, and that of the damaged post (fetched again, it names no stored file).
    assert again["media_downloaded"] == 2
    assert again["restored"] == 1
    assert again["updated"] == 0
    assert image.read_bytes() == client.files[f"https://media.fake.example/{_owner(image)}/0.png"]
    assert account.load_post("000002") is not None
    checked = run_cli("verify", str(out))
    assert checked.code == 0, checked.out
    assert "no problems found" in checked.out


def _owner(image: Path) -> str:
    """The post whose image a media file holds (its name is the hash of the bytes)."""
    from hashlib import sha256

    for number in range(5):
        post_id = f"{number:06d}"
        if sha256(png(f"https://media.fake.example/{post_id}/0.png")).hexdigest() in image.name:
            return post_id
    raise AssertionError(image)


def test_a_full_backup_over_a_corrupt_post_file_quarantines_it_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = FakePlatform()
    for number in range(5):
        client.add(number)
    use(monkeypatch, client)
    out = tmp_path / "out"
    summary(backup(out))
    account = folder_of(out)
    account.post_path("000003").write_text("not json")
    result = summary(backup(out, "--full"))
    assert result["complete"] is True
    assert (account.folder / "quarantine" / "posts" / "000003.json").read_text() == "not json"
    assert account.load_post("000003") is not None
    assert run_cli("verify", str(out)).code == 0


# --- one run per account, no empty folder --------------------------------------------------------


def test_a_second_backup_of_the_same_account_is_refused_while_one_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = FakePlatform()
    client.add(1)
    use(monkeypatch, client)
    out = tmp_path / "out"
    summary(backup(out))
    folder = folder_of(out).folder
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        refused = backup(out)
        assert refused.code == 1, refused.err
        assert f"another crosspost backup of this account is running (pid {holder.pid}" in (
            refused.err
        )
        assert "resumed" not in refused.out
    finally:
        holder.kill()  # a crash: the lock goes with the process
        holder.wait()
    assert summary(backup(out))["resumed"] is False


_HOLD = """
import sys, time
from pathlib import Path
from crosspost.backup.lock import AccountLock, BackupLockedError
lock = AccountLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_the_lock_is_released_when_the_run_ends(tmp_path: Path) -> None:
    folder = tmp_path / "acct"
    with AccountLock(folder), pytest.raises(BackupLockedError, match=f"pid {os.getpid()}"):
        AccountLock(folder).acquire()
    with AccountLock(folder):
        pass


def test_a_failed_first_run_leaves_no_account_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = FakePlatform(fail_on={("fetch_page", 1): PlatformError("the server did not answer")})
    client.add(1)
    use(monkeypatch, client)
    out = tmp_path / "out"
    failed = backup(out)
    assert failed.code == 5, failed.err
    assert not folder_of(out).folder.exists()
    assert not (out / "mastodon").exists()
    assert summary(backup(out))["new"] == 1  # and the next run starts cleanly


# --- progress ------------------------------------------------------------------------------------


@dataclass(eq=False)
class CountingPlatform(FakePlatform):
    def fetch_page(self, cursor: str | None = None) -> Page:
        page = super().fetch_page(cursor)
        return replace(page, total=len(self.posts))


def test_the_posts_progress_has_the_total_the_platform_gives(tmp_path: Path) -> None:
    client = CountingPlatform(page_size=10)
    client.add_many(35)
    progress = RecordingProgress()
    run_backup(client, BackupStore(tmp_path), BackupOptions(), progress=progress)
    assert ("start", "posts", 35) in progress.events
    assert progress.total_advanced("posts") == 35


def test_mastodon_pages_carry_the_accounts_statuses_count(mastodon_mock: Mock) -> None:
    from crosspost.accounts import Account
    from crosspost.platforms.mastodon.client import MastodonClient

    account = Account(
        "m", Platform.MASTODON, mastodon_mock.identity, service=mastodon_mock.base_url
    )
    client = MastodonClient(account, TOKEN)
    for number in range(3):
        client.publish(Draft(RichText(f"status {number}"), f"k{number}"))
    reader = MastodonClient(account, TOKEN)
    assert reader.fetch_page().total == 3


@pytest.mark.parametrize(
    "damage",
    ['{"newest": "no", "counts": [1]', '{"newest": {"created_at": 5}, "counts": {"posts": "x"}}'],
    ids=["garbled", "wrong types"],
)
def test_a_damaged_manifest_is_found_by_verify_and_repaired_without_loss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """verify and backup apply one validation; the message offers the repair; repair sets the
    manifest aside and the next backup rebuilds it from the posts beside it."""
    client = FakePlatform()
    client.add_many(12)
    use(monkeypatch, client)
    out = tmp_path / "out"
    assert backup(out).code == 0
    folder = folder_of(out).folder
    (folder / "manifest.json").write_text(damage)
    checked = run_cli("verify", str(out))
    assert checked.code == 7
    assert "manifest.json" in checked.out
    refused = run_cli("backup", ACCOUNT, "--dir", str(out))
    assert refused.code == 7
    assert f"`crosspost repair {folder}`" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert run_cli("repair", str(folder)).code == 0
    assert list((folder / "quarantine").rglob("manifest.json"))
    again = summary(backup(out))
    assert (again["new"], again["unchanged"]) == (0, 12)
    assert run_cli("verify", str(out)).code == 0
