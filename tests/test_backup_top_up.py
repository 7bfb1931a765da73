"""A resumed backup ends with one more pass over the posts made while it was interrupted; until
that pass is done the manifest does not say complete, so a kill in between leaves it to resume
rather than a "complete" backup without those posts."""

from __future__ import annotations

from pathlib import Path

import pytest

from crosspost.backup import runner
from crosspost.backup.manifest import load_manifest
from crosspost.backup.runner import BackupOptions, run_backup
from crosspost.backup.store import BackupStore, remove_temp_files
from tests.fake_platform import FakePlatform


def test_a_kill_before_the_pass_over_newer_posts_leaves_the_backup_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePlatform()
    fake.add_many(100)
    fake.fail_on[("fetch_page", 2)] = KeyboardInterrupt()  # after page 1 of 3
    with pytest.raises(KeyboardInterrupt):
        run_backup(fake, BackupStore(tmp_path), BackupOptions())
    for number in range(100, 105):  # posted while the backup was down
        fake.add(number)
    # Killed as the pass from the newest post begins (its first step clears temp files).
    calls = []

    def killed_the_second_time(folder: Path) -> None:
        calls.append(folder)
        if len(calls) == 2:
            raise KeyboardInterrupt
        remove_temp_files(folder)

    monkeypatch.setattr(runner, "remove_temp_files", killed_the_second_time)
    with pytest.raises(KeyboardInterrupt):
        run_backup(fake, BackupStore(tmp_path), BackupOptions())
    monkeypatch.undo()
    account = BackupStore(tmp_path).accounts()[0]
    manifest = load_manifest(account)
    assert not manifest.complete
    assert manifest.run is not None
    assert (manifest.run.mode, manifest.run.pages, manifest.run.cursor) == ("incremental", 0, None)
    assert not set(fake.posts) <= set(account.iter_post_ids())

    result = run_backup(fake, BackupStore(tmp_path), BackupOptions())
    assert result.complete
    assert set(fake.posts) <= set(account.iter_post_ids())
    manifest = load_manifest(account)
    assert manifest.complete
    assert manifest.run is None
