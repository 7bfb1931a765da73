"""`crosspost verify`: corrupted media, broken JSON, dangling and escaping references."""

from __future__ import annotations

import json
from pathlib import Path

from crosspost.backup.runner import BackupOptions, run_backup
from crosspost.backup.store import BackupStore
from crosspost.backup.verify import verify_backup
from tests.cli_helpers import run_cli
from tests.fake_platform import FakePlatform


def make_backup(root: Path) -> FakePlatform:
    fake = FakePlatform()
    fake.add_many(12, media_every=4)
    run_backup(fake, BackupStore(root), BackupOptions())
    return fake


def posts_dir(root: Path) -> Path:
    return next(root.rglob("posts"))


def test_a_sound_backup_has_no_problems(tmp_path: Path) -> None:
    make_backup(tmp_path)
    report = verify_backup(tmp_path)
    assert report.ok
    assert (report.accounts, report.posts, report.media_files) == (1, 12, 3)
    result = run_cli("verify", str(tmp_path))
    assert result.code == 0
    assert "no problems found" in result.out


def test_corrupt_media_is_found(tmp_path: Path) -> None:
    make_backup(tmp_path)
    media = next(tmp_path.rglob("*.png"))
    media.write_bytes(media.read_bytes()[:-3])
    report = verify_backup(tmp_path)
    assert any("corrupt" in p for p in report.problems)
    assert any("bytes, the post says" in p for p in report.problems)


def test_broken_json_and_wrong_names_are_found(tmp_path: Path) -> None:
    make_backup(tmp_path)
    folder = posts_dir(tmp_path)
    (folder / "000001.json").write_text('{"post": {"schema": 1, ')
    (folder / "000002.json").rename(folder / "999999.json")
    report = verify_backup(tmp_path)
    assert any("000001.json: cannot read it" in p for p in report.problems)
    assert any("not the one it is named for" in p for p in report.problems)
    result = run_cli("verify", str(tmp_path))
    assert result.code == 7
    assert "problem(s) found" in result.err


def test_missing_and_escaping_media_references_are_found(tmp_path: Path) -> None:
    make_backup(tmp_path)
    folder = posts_dir(tmp_path)
    document = json.loads((folder / "000000.json").read_text())
    document["post"]["media"][0]["local_path"] = "../../../etc/passwd"
    (folder / "000000.json").write_text(json.dumps(document))
    next(tmp_path.rglob("*.png")).unlink()
    report = verify_backup(tmp_path)
    assert any("leaves the backup" in p for p in report.problems)
    assert any("is missing" in p for p in report.problems)


def test_leftovers_and_unreferenced_files_are_notes(tmp_path: Path) -> None:
    make_backup(tmp_path)
    (posts_dir(tmp_path) / ".wabc.tmp").write_text("half")
    report = verify_backup(tmp_path)
    assert report.ok
    assert any("interrupted write" in n for n in report.notes)


def test_an_empty_folder_is_a_problem(tmp_path: Path) -> None:
    assert not verify_backup(tmp_path).ok
