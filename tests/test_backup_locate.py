"""Commands that take a backup accept its root, one account's folder, or the account's name:
its config name, handle or DID (and a handle change does not split a backup)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from crosspost.backup.locate import choose, find_accounts
from crosspost.backup.manifest import load_manifest, save_manifest
from crosspost.backup.store import BackupStore
from crosspost.model import Platform, Post, PostRef, RichText
from tests.cli_helpers import run_cli

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def a_backup(root: Path, name: str = "alice.test", did: str = DID) -> Path:
    backup = BackupStore(root).locate(Platform.BLUESKY, name, did)
    backup.save_post(
        Post(
            PostRef(Platform.BLUESKY, did, "3k1"), datetime(2024, 5, 1, tzinfo=UTC), RichText("hi")
        )
    )
    manifest = load_manifest(backup)
    manifest.stable_id, manifest.handle, manifest.complete = did, name, True
    save_manifest(backup, manifest)
    return backup.folder


def test_a_new_folder_is_named_by_the_handle_and_found_by_the_did(tmp_path: Path) -> None:
    folder = a_backup(tmp_path)
    assert folder == tmp_path / "bluesky" / "alice.test"
    store = BackupStore(tmp_path)
    assert store.locate(Platform.BLUESKY, "alice.example.com", DID).folder == folder  # renamed
    other = store.locate(Platform.BLUESKY, "alice.test", "did:plc:someoneelse")
    assert other.folder != folder  # the handle now names another account: not mixed in


def test_a_folder_named_by_the_did_keeps_being_used(tmp_path: Path) -> None:
    old = BackupStore(tmp_path).account(Platform.BLUESKY, DID)
    old.save_post(
        Post(PostRef(Platform.BLUESKY, DID, "3k1"), datetime(2024, 5, 1, tzinfo=UTC), RichText("x"))
    )
    assert BackupStore(tmp_path).locate(Platform.BLUESKY, "alice.test", DID) == old


def test_an_account_is_found_by_handle_did_or_folder(tmp_path: Path) -> None:
    folder = a_backup(tmp_path)
    for name in ("alice.test", "@Alice.Test", DID):
        assert [b.folder for b in find_accounts(tmp_path, name)] == [folder]
    assert find_accounts(tmp_path, "bob.test") == []
    chosen = choose(folder)
    assert (chosen.root, chosen.named) == (tmp_path, True)


def test_verify_and_view_take_the_folder_backup_printed_or_a_name(tmp_path: Path) -> None:
    folder = a_backup(tmp_path / "b")
    for target in (str(folder), "alice.test", DID):
        result = run_cli("verify", target, "--dir", str(tmp_path / "b"), "--json")
        assert result.code == 0, result.err
        assert json.loads(result.out)["posts"] == 1
    config = tmp_path / "config.toml"
    config.write_text(
        f'backup_dir = "{tmp_path / "b"}"\n[accounts.sky]\nplatform = "bluesky"\n'
        'handle = "alice.test"\n'
    )
    by_config_name = run_cli("verify", "sky", "-c", str(config))
    assert by_config_name.code == 0, by_config_name.err
    assert f"in {folder}" in by_config_name.out
    shown = run_cli("view", str(folder), "--out", str(tmp_path / "site"), "-q")
    assert shown.code == 0, shown.err
    assert (tmp_path / "site" / "index.html").is_file()
    unknown = run_cli("verify", "bob.test", "--dir", str(tmp_path / "b"))
    assert unknown.code == 8  # not there is not malformed (7)
    assert "no backup of bob.test" in unknown.err
    assert "crosspost backup bob.test" in unknown.err


def test_a_car_import_fills_the_folder_of_an_api_backup_of_the_same_did(tmp_path: Path) -> None:
    from crosspost.backup.importer import import_export
    from tests.fixtures import fixture_path

    car = fixture_path("bluesky-indigo/testing/testdata/greenground.repo.car")
    did = import_export(car, BackupStore(tmp_path / "probe")).account
    folder = a_backup(tmp_path / "b", "green.example", did)  # an API backup, named by handle
    result = import_export(car, BackupStore(tmp_path / "b"))
    assert result.folder == folder
    assert [p.name for p in (tmp_path / "b" / "bluesky").iterdir()] == ["green.example"]
