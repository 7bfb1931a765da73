"""`crosspost backup` of a Bluesky account on the real local PDS, through the CLI: posts with
images, a one-call incremental rerun, `--full` marking a deleted post, `verify` clean."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import crosspost.clients
from crosspost.accounts import Account
from crosspost.backup.runner import BackupOptions, run_backup
from crosspost.backup.store import BackupStore
from crosspost.credentials import Secrets
from crosspost.model import Media, MediaKind, Platform, PostRef, RichText
from crosspost.platforms.base import Draft, PlatformClient
from crosspost.platforms.bluesky.client import BlueskyClient
from tests.backup_world import png
from tests.bluesky_pds import PdsAccount, local_pds, pds_account
from tests.bluesky_seed import fill
from tests.cli_helpers import run_cli

__all__ = ["local_pds", "pds_account"]
POSTS, WITH_IMAGES = 7, 3


def writer(pds_account: PdsAccount) -> BlueskyClient:
    account = Account("sky", Platform.BLUESKY, pds_account.handle, service=pds_account.url)
    store = Secrets()
    store.save(account, {"app_password": pds_account.password})
    return BlueskyClient(account, credentials=store)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[PlatformClient]:
    """The clients the CLI opens, kept so a test can count the calls they made."""
    clients: list[PlatformClient] = []
    real = crosspost.clients.open_client

    def keep(*args: Any, **kwargs: Any) -> PlatformClient:
        clients.append(real(*args, **kwargs))
        return clients[-1]

    monkeypatch.setattr(crosspost.clients, "open_client", keep)
    return clients


def list_calls(client: PlatformClient) -> int:
    assert isinstance(client, BlueskyClient)
    return client.xrpc.calls["com.atproto.repo.listRecords"]


def test_bluesky_backup_on_the_local_pds(
    pds_account: PdsAccount, tmp_path: Path, opened: list[PlatformClient]
) -> None:
    client = writer(pds_account)
    refs: list[PostRef] = []
    for number in range(POSTS):
        media: tuple[Media, ...] = ()
        if number < WITH_IMAGES:
            path = tmp_path / f"image{number}.png"
            path.write_bytes(png(number + 1))
            media = (Media(MediaKind.IMAGE, alt=f"picture {number}", local_path=str(path)),)
        refs.append(
            client.publish(Draft(RichText(f"backup me {number}"), f"b{number}", media=media))
        )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.sky]\nplatform = "bluesky"\nhandle = "{pds_account.handle}"\n'
        f'service = "{pds_account.url}"\n'
    )
    out = tmp_path / "out"
    args = ("backup", "sky", "-c", str(config), "-d", str(out), "--json", "-q")

    first = run_cli(*args)
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    assert (summary["new"], summary["media_downloaded"], summary["media_missing"]) == (
        POSTS,
        WITH_IMAGES,
        0,
    )
    folder = out / "bluesky" / pds_account.handle  # named by the handle; the DID is inside
    assert json.loads((folder / "manifest.json").read_text())["stable_id"] == pds_account.did
    posts = sorted((folder / "posts").glob("*.json"))
    assert len(posts) == POSTS
    stored = [m for p in posts for m in json.loads(p.read_text())["post"]["media"]]
    assert len(stored) == WITH_IMAGES
    for item in stored:  # the blob's CID named these bytes; the file is named by their hash
        data = (out / item["local_path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item["sha256"]
        assert item["local_path"].endswith(".png") or item["local_path"].endswith(".jpg")

    again = run_cli(*args)
    assert again.code == 0, again.err
    assert json.loads(again.out)["new"] == 0
    assert list_calls(opened[-1]) == 1  # nothing new: one listRecords call, nothing else listed

    client.delete(refs[4])
    full = run_cli(*args, "--full")
    assert full.code == 0, full.err
    summary = json.loads(full.out)
    assert (summary["deleted"], summary["unchanged"]) == (1, POSTS - 1)
    marked = [
        json.loads(p.read_text())["post"]
        for p in posts
        if json.loads(p.read_text())["post"]["deleted"]
    ]
    assert [m["text"]["text"] for m in marked] == ["backup me 4"]  # kept, marked deleted

    checked = run_cli("verify", str(out), "--json")
    report = json.loads(checked.out)
    assert checked.code == 0, report
    assert (report["posts"], report["media_files"], report["problems"]) == (POSTS, WITH_IMAGES, [])


POSTS_MANY, IMAGES_MANY = 1000, 50
LIST_RECORDS, GET_REPO = "com.atproto.repo.listRecords", "com.atproto.sync.getRepo"
GET_BLOB = "com.atproto.sync.getBlob"


def backup_calls(
    pds_account: PdsAccount, root: Path, *, snapshots: bool, posts_only: bool = True
) -> dict[str, int]:
    account = Account("sky", Platform.BLUESKY, pds_account.handle, service=pds_account.url)
    client = BlueskyClient(account, snapshots=snapshots)
    options = BackupOptions(parts=frozenset({"posts"}) if posts_only else None)
    result = run_backup(client, BackupStore(root), options)
    assert result.complete
    return {nsid.rpartition(".")[2]: count for nsid, count in client.xrpc.calls.items()}


def test_backup_call_counts_with_and_without_the_repo_snapshot(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    """A full backup of 1,000 posts and 50 images: one listRecords and one getRepo (eleven
    listRecords without the snapshot); an incremental one with nothing new: one listRecords."""
    fill(pds_account, POSTS_MANY, IMAGES_MANY)
    after, before = tmp_path / "snapshot", tmp_path / "list"
    full_after = backup_calls(pds_account, after, snapshots=True)
    full_before = backup_calls(pds_account, before, snapshots=False)
    assert full_after == {"listRecords": 1, "getRepo": 1, "getBlob": IMAGES_MANY}
    assert full_before == {"listRecords": 11, "getBlob": IMAGES_MANY}  # the 11th: empty
    assert backup_calls(pds_account, after, snapshots=True) == {"listRecords": 1}
    assert backup_calls(pds_account, before, snapshots=False) == {"listRecords": 1}
    # The whole account: posts, profile and collections share the one snapshot.
    whole = backup_calls(pds_account, tmp_path / "whole", snapshots=True, posts_only=False)
    print("whole account, first backup:", whole)
    assert whole["getRepo"] == 1
    assert whole["listRecords"] == 1
    saved = {p.name: p.read_text() for p in (after / "bluesky").glob("*/posts/*.json")}
    listed = {p.name: p.read_text() for p in (before / "bluesky").glob("*/posts/*.json")}
    assert len(saved) == POSTS_MANY
    assert saved == listed  # the same posts, media and raw records, byte for byte

    fill(pds_account, 150, 5, first=POSTS_MANY)  # more than a page of new posts
    assert backup_calls(pds_account, after, snapshots=True) == {
        "listRecords": 1,
        "getRepo": 1,
        "getBlob": 5,
    }
    assert backup_calls(pds_account, before, snapshots=False) == {"listRecords": 3, "getBlob": 5}


def test_a_full_backup_gives_the_progress_the_repos_count_of_posts(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    from crosspost.progress import RecordingProgress

    fill(pds_account, 250, 0)
    account = Account("sky", Platform.BLUESKY, pds_account.handle, service=pds_account.url)
    progress = RecordingProgress()
    options = BackupOptions(parts=frozenset({"posts"}))
    run_backup(BlueskyClient(account), BackupStore(tmp_path), options, progress=progress)
    totals = [n for kind, task, n in progress.events if kind == "start" and task == "posts"]
    assert totals[-1] == 250  # known once the repo snapshot is at hand (the second page)
    assert progress.total_advanced("posts") == 250
