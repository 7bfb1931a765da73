"""`crosspost import`: real Bluesky repo CARs (read in place) and a Mastodon archive built here."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crosspost.account_data import Collection, Entry
from crosspost.backup.account_files import load_collection, load_profile, save_collection
from crosspost.backup.importer import import_export
from crosspost.backup.store import BackupStore
from crosspost.backup.verify import verify_backup
from crosspost.errors import DataError
from crosspost.exports.detect import detect_export
from crosspost.model import Platform
from crosspost.platforms.bluesky.car import read_car
from tests.cli_helpers import run_cli
from tests.fixtures import fixture_path
from tests.test_mastodon_archive import (
    AVATAR,
    BUILDS,
    HEADER,
    LIKED,
    MEDIA,
    PNG,
    _folder,
    _members,
    _tar,
    _zip,
)

NOW = datetime(2026, 1, 2, tzinfo=UTC)
FAKERMAKER = "bluesky-indigo/testing/testdata/fakermaker.repo.car"
SMALL = (
    "bluesky-indigo/testing/testdata/"
    "bafyreieovfuizojpw3zresz7sx3nk4trm2by23pt5rxbey3jme4uo5ogiu.car"
)


@pytest.mark.parametrize("relative", [FAKERMAKER, SMALL])
def test_a_repo_car_imports_every_post_once(relative: str, tmp_path: Path) -> None:
    car = fixture_path(relative)
    assert detect_export(car).kind == "bluesky-car"
    expected = list(read_car(car))
    result = import_export(car, BackupStore(tmp_path))
    assert result.new == len(expected) > 0
    assert result.platform == "bluesky"
    assert result.account.startswith("did:")
    backup = BackupStore(tmp_path).account(Platform.BLUESKY, result.account)
    assert sorted(backup.iter_post_ids()) == sorted(p.ref.id for p in expected)
    assert backup.read_manifest()["source"] == "bluesky-car"
    again = import_export(car, BackupStore(tmp_path))
    assert (again.new, again.kept) == (0, len(expected))
    assert verify_backup(tmp_path).ok


@BUILDS
def test_a_mastodon_archive_imports_posts_and_media(build: Any, tmp_path: Path) -> None:
    archive = build(tmp_path / "archive")
    assert detect_export(archive).kind == "mastodon-archive"
    result = import_export(archive, BackupStore(tmp_path / "out"))
    assert result.account == "me@example.social"
    assert result.new == 7  # 4 posts and 3 boosts, each its own file
    assert result.media_stored == 3  # the image, the avatar, the header
    assert result.media_absent == 1  # the archive lacks the video the post names
    backup = BackupStore(tmp_path / "out").account(Platform.MASTODON, "me@example.social")
    assert sorted(backup.iter_post_ids()) == ["1", "2", "3", "4", "5", "8", "9"]
    post = backup.load_post("2")
    assert post is not None
    image = post.media[0]
    assert image.local_path is not None
    assert MEDIA not in image.local_path  # the archive's own path never reaches the backup
    assert (tmp_path / "out" / image.local_path).read_bytes() == PNG
    assert post.media[1].local_path is None
    assert not list((tmp_path / "out").glob(".import-spool-*"))  # the spool is gone
    report = verify_backup(tmp_path / "out")
    assert report.ok, report.problems


@BUILDS
def test_profile_and_collections_are_saved_and_merged(build: Any, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "out")
    backup = store.account(Platform.MASTODON, "me@example.social")
    earlier = Entry(id="https://old.host/users/x/statuses/1", subject=None)
    save_collection(backup, Collection.LIKES, [earlier], NOW, complete=True)
    result = import_export(build(tmp_path / "archive"), store, now=lambda: NOW)
    assert result.profile == "new"
    assert result.collections == {"reposts": 3, "likes": 2, "bookmarks": 1}
    assert result.collections_new == {"reposts": 3, "likes": 2, "bookmarks": 1}
    likes = load_collection(backup, Collection.LIKES)
    assert [e.id for e in likes] == [*LIKED[::-1], earlier.id]  # merged, the archive's first
    reposts = load_collection(backup, Collection.REPOSTS)
    assert [e.subject.id for e in reposts if e.subject] == ["2", "78", "77"]
    profile = load_profile(backup)
    assert profile is not None
    assert profile.display_name == "Me Myself"
    assert profile.avatar is not None
    assert profile.avatar.local_path is not None
    assert (tmp_path / "out" / profile.avatar.local_path).read_bytes() == AVATAR
    assert profile.banner is not None
    assert profile.banner.local_path is not None
    assert profile.banner.local_path.endswith(".jpg")
    assert (tmp_path / "out" / profile.banner.local_path).read_bytes() == HEADER
    counts = result.skipped_counts
    assert counts["media files named but absent from the archive"] == 1
    assert "1 outbox items that are not activities (item 10)" in result.skipped
    again = import_export(build(tmp_path / "archive"), store, now=lambda: NOW)
    assert (again.new, again.kept, again.profile) == (0, 7, "unchanged")
    assert again.collections_new == {"reposts": 0, "likes": 0, "bookmarks": 0}
    assert len(load_collection(backup, Collection.LIKES)) == 3
    document = again.to_json()
    assert document["profile"] == "unchanged"
    assert document["collections"]["likes"] == 2
    assert document["skipped_counts"] == again.skipped_counts
    assert verify_backup(tmp_path / "out").ok


def test_a_changed_profile_is_updated(tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "out")
    import_export(_zip(tmp_path / "a.zip"), store)
    folder = _folder(tmp_path / "unpacked")
    actor = json.loads((folder / "actor.json").read_text())
    (folder / "actor.json").write_text(json.dumps({**actor, "name": "New Name"}))
    assert import_export(folder, store).profile == "updated"


def test_an_unpacked_archive_cannot_read_outside_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    note = {
        "id": "https://example.social/users/me/statuses/9",
        "type": "Note",
        "published": "2024-05-01T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "content": "<p>x</p>",
        "attachment": [{"type": "Document", "mediaType": "image/png", "url": "/../secret.png"}],
    }
    outbox = {"orderedItems": [{"type": "Create", "object": note}]}
    (folder / "outbox.json").write_text(json.dumps(outbox))
    (folder / "actor.json").write_text(
        json.dumps({"id": "https://example.social/users/me", "preferredUsername": "me"})
    )
    result = import_export(folder, BackupStore(tmp_path / "out"))
    assert result.new == 1
    assert result.media_stored == 0
    assert result.media_absent == 1
    assert not list((tmp_path / "out").rglob("*.png"))


def test_unknown_and_tumblr_files_are_refused_clearly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello")
    with pytest.raises(DataError, match="not an export"):
        detect_export(junk)
    tumblr = tmp_path / "tumblr.zip"
    with zipfile.ZipFile(tumblr, "w") as archive:
        archive.writestr("posts/html/1.html", "<p>hi</p>")
    assert detect_export(tumblr).kind == "tumblr-export"
    with pytest.raises(DataError, match="rename the file after the blog"):
        import_export(tumblr, BackupStore(tmp_path / "out"))


def test_the_import_command(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "archive.zip")
    result = run_cli("import", str(archive), "--dir", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert "imported mastodon-archive archive.zip into" in result.out
    assert "posts: 7 new, 0 already in the backup (kept)" in result.out
    missing = run_cli("import", str(tmp_path / "nope.car"), "--dir", str(tmp_path / "out"))
    assert missing.code == 8  # not there is not malformed (7)
    assert "no such file" in missing.err


def test_a_tar_gz_is_detected_from_its_first_member(tmp_path: Path) -> None:
    whole = _tar(tmp_path / "a.tar.gz").read_bytes()
    # Cut after the first member (the media file, as Mastodon writes it first): detection
    # must not need the rest, so it must not read through a gigabytes-large archive.
    head = tmp_path / "head.tar.gz"
    head.write_bytes(gzip.compress(gzip.decompress(whole)[:2048]))
    assert detect_export(head).kind == "mastodon-archive"


def test_media_no_post_names_are_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        members = {"media_attachments/files/stray.png": PNG + b"stray", **_members()}
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    result = import_export(path, BackupStore(tmp_path / "out"))
    assert result.media_stored == 3
    stored = sorted(p.read_bytes() for p in (tmp_path / "out").rglob("media/*/*"))
    assert stored == sorted([PNG, AVATAR, HEADER])
    assert not list((tmp_path / "out").glob(".import-spool-*"))


def test_a_truncated_tar_gz_is_one_clear_error(tmp_path: Path) -> None:
    whole = _tar(tmp_path / "a.tar.gz").read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="not a readable Mastodon archive"):
        import_export(cut, BackupStore(tmp_path / "out"))
    assert not list((tmp_path / "out").glob(".import-spool-*"))
