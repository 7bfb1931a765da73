"""The spool of an export's media: streamed to disk on the one pass, renamed into the store."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from crosspost.backup.media import MediaCheckError
from crosspost.backup.spool import CHUNK, Spool
from crosspost.backup.store import BackupStore
from crosspost.model import Media, MediaKind, Platform

PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 100


def test_a_named_file_is_moved_into_the_store_once(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    backup = store.account(Platform.MASTODON, "me@example.social")
    with Spool(tmp_path) as spool:
        spool.put("a/1.png", io.BytesIO(PNG))
        spool.put("b/same-bytes.png", io.BytesIO(PNG))
        spool.put("a/1.png", io.BytesIO(b"a second file by the same name is ignored"))
        item = Media(MediaKind.IMAGE, url="/a/1.png", local_path="a/1.png", mime="image/x")
        first = spool.place(backup, item)
        again = spool.place(backup, item)
        twin = spool.place(backup, Media(MediaKind.IMAGE, local_path="b/same-bytes.png"))
        assert spool.place(backup, Media(MediaKind.IMAGE, local_path="absent.png")) is None
        spool.sync()
        assert spool.folder.is_dir()
    assert not spool.folder.exists()
    assert first is not None
    assert again == first
    assert twin is not None
    assert first.local_path == twin.local_path
    assert first.mime == "image/png"  # the bytes win over the claimed type
    assert first.local_path is not None
    assert first.local_path.endswith(".png")
    assert (tmp_path / first.local_path).read_bytes() == PNG
    assert len(list((backup.folder / "media").rglob("*.png"))) == 1


def test_a_file_not_what_the_item_says_is_refused(tmp_path: Path) -> None:
    backup = BackupStore(tmp_path).account(Platform.MASTODON, "me@example.social")
    with Spool(tmp_path) as spool:
        spool.put("big.bin", io.BytesIO(b"y" * (CHUNK * 2 + 3)))
        with pytest.raises(MediaCheckError, match="expected 5 bytes"):
            spool.place(backup, Media(MediaKind.IMAGE, local_path="big.bin", size=5))
        with pytest.raises(MediaCheckError, match="SHA-256"):
            spool.place(backup, Media(MediaKind.IMAGE, local_path="big.bin", sha256="0" * 64))
        assert spool.files["big.bin"].size == CHUNK * 2 + 3
