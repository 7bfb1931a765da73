"""Damaged and hostile Mastodon archives: one line naming the file and what is wrong (exit 7),
never a traceback, a hang or a MemoryError; a bad post is skipped and counted, the rest kept."""

from __future__ import annotations

import json
import os
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest

from crosspost.backup.importer import UNSTORABLE, import_export
from crosspost.backup.store import BackupStore
from crosspost.errors import DataError
from crosspost.platforms.mastodon import archive_files
from tests.cli_helpers import run_cli
from tests.test_mastodon_archive import ACTOR_JSON, MEDIA, PNG, _create, _members, _note, _tar, _zip


def _one_line_exit_7(path: Path, tmp_path: Path) -> str:
    run = run_cli("import", str(path), "--dir", str(tmp_path / "out"))
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert run.code == 7, run
    assert len(lines) == 1, run.err
    assert path.name in lines[0]
    assert "Traceback" not in run.err
    return lines[0]


def _zip_bytes(tmp_path: Path) -> bytes:
    return _zip(tmp_path / "good.zip").read_bytes()


def _patched(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_non_utf8_name_flagged_utf8(tmp_path: Path) -> None:
    data = bytearray(_zip_bytes(tmp_path))
    central = data.index(b"PK\x01\x02")
    flags = central + 8
    struct.pack_into("<H", data, flags, struct.unpack_from("<H", data, flags)[0] | 0x800)
    name_at = central + 46
    data[name_at] = 0xFF  # the first byte of the first name: no UTF-8
    line = _one_line_exit_7(_patched(tmp_path, "names.zip", bytes(data)), tmp_path)
    assert "name" in line


def _deflated_zip(tmp_path: Path) -> Path:
    path = tmp_path / "deflated.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in _members().items():
            archive.writestr(name, data * 50 if name == MEDIA else data)
    return path


def _set_local(data: bytearray, offset_in_header: int, fmt: str, value: int) -> None:
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:
        struct.pack_into(fmt, data, at + offset_in_header, value)
        at += 4


def _set_central(data: bytearray, offset_in_header: int, fmt: str, value: int) -> None:
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        struct.pack_into(fmt, data, at + offset_in_header, value)
        at += 4


def test_an_encrypted_member(tmp_path: Path) -> None:
    data = bytearray(_deflated_zip(tmp_path).read_bytes())
    _set_local(data, 6, "<H", 0x1)
    _set_central(data, 8, "<H", 0x1)
    line = _one_line_exit_7(_patched(tmp_path, "locked.zip", bytes(data)), tmp_path)
    assert "encrypted" in line


def test_an_unknown_compression_method(tmp_path: Path) -> None:
    data = bytearray(_deflated_zip(tmp_path).read_bytes())
    _set_local(data, 8, "<H", 99)
    _set_central(data, 10, "<H", 99)
    line = _one_line_exit_7(_patched(tmp_path, "method.zip", bytes(data)), tmp_path)
    assert "compression" in line


def test_a_bad_crc(tmp_path: Path) -> None:
    data = bytearray(_deflated_zip(tmp_path).read_bytes())
    _set_local(data, 14, "<I", 0x12345678)
    _set_central(data, 16, "<I", 0x12345678)
    _one_line_exit_7(_patched(tmp_path, "crc.zip", bytes(data)), tmp_path)


def test_a_corrupt_deflate_stream(tmp_path: Path) -> None:
    data = bytearray(_deflated_zip(tmp_path).read_bytes())
    start = data.index(b"PK\x03\x04")
    name_length, extra_length = struct.unpack_from("<HH", data, start + 26)
    body = start + 30 + name_length + extra_length
    data[body : body + 8] = b"\xff" * 8
    _one_line_exit_7(_patched(tmp_path, "deflate.zip", bytes(data)), tmp_path)


def test_a_truncated_tar_gz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _tar(tmp_path / "a.tar.gz").read_bytes()
    cut = _patched(tmp_path, "cut.tar.gz", whole[: len(whole) * 2 // 3])
    line = _one_line_exit_7(cut, tmp_path)
    assert "Aborted" not in line
    monkeypatch.setenv("CROSSPOST_DEBUG", "1")
    with pytest.raises(DataError):  # in debug the error itself, never an EOFError
        import_export(cut, BackupStore(tmp_path / "debug"))


def test_a_corrupt_gzip_is_not_a_success(tmp_path: Path) -> None:
    whole = bytearray(_tar(tmp_path / "a.tar.gz").read_bytes())
    whole[-8] ^= 0xFF  # the CRC-32 of the gzip trailer
    _one_line_exit_7(_patched(tmp_path, "crc.tar.gz", bytes(whole)), tmp_path)


def test_a_member_larger_than_it_says_is_refused(tmp_path: Path) -> None:
    # The size a zip's central directory declares is checked against what is read.
    zipped = bytearray(_zip(tmp_path / "z.zip").read_bytes())
    at = zipped.index(b"PK\x01\x02")
    struct.pack_into("<I", zipped, at + 24, 4)  # uncompressed size of the first member: 4
    with pytest.raises(DataError):
        import_export(_patched(tmp_path, "short.zip", bytes(zipped)), BackupStore(tmp_path / "o"))


def test_a_zip_bomb_member_is_left_out_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_files, "MAX_MEMBER", 1 << 20)
    path = tmp_path / "bomb.zip"
    members = _members()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, PNG + bytes(8 << 20) if name == MEDIA else data)
    assert path.stat().st_size < 200_000
    result = import_export(path, BackupStore(tmp_path / "out"))
    assert result.new == 7
    assert any("larger than" in line for line in result.skipped), result.skipped


def _archive_of(tmp_path: Path, items: list[Any], name: str = "a.zip") -> Path:
    path = tmp_path / name
    outbox = {"type": "OrderedCollection", "orderedItems": items}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("outbox.json", json.dumps(outbox))
        archive.writestr("actor.json", json.dumps(ACTOR_JSON))
    return path


def test_an_over_long_id_is_skipped_and_counted(tmp_path: Path) -> None:
    items = [_create(_note(1)), _create(_note(2, id="é" * 3000)), _create(_note(3))]
    result = import_export(_archive_of(tmp_path, items), BackupStore(tmp_path / "out"))
    assert result.new == 2
    assert result.skipped_counts[UNSTORABLE] == 1, result.skipped


def test_an_outbox_nested_5000_deep_is_one_bad_post(tmp_path: Path) -> None:
    deep: Any = "x"
    text = json.dumps(deep)
    text = "[" * 5000 + text + "]" * 5000
    path = tmp_path / "deep.zip"
    good = json.dumps(_create(_note(1)))
    outbox = '{"type": "OrderedCollection", "orderedItems": [' + good + ", " + text + "]}"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("outbox.json", outbox)
        archive.writestr("actor.json", json.dumps(ACTOR_JSON))
    result = import_export(path, BackupStore(tmp_path / "out"))
    assert result.new == 1
    assert result.skipped_counts["outbox items nested too deep (left out)"] == 1


def test_an_outbox_item_over_the_cap_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_files, "MAX_ITEM", 10_000)
    items = [_create(_note(1)), _create(_note(2, content="x" * 20_000)), _create(_note(3))]
    result = import_export(_archive_of(tmp_path, items), BackupStore(tmp_path / "out"))
    assert result.new == 2
    assert any("larger than" in line for line in result.skipped), result.skipped


def test_an_unusable_archive_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("outbox.json", "not json")
        archive.writestr("media_attachments/files/1/a.png", PNG)
    line = _one_line_exit_7(path, tmp_path)
    assert "outbox.json" in line
    assert not (tmp_path / "out" / "mastodon").exists()
    assert not list((tmp_path / "out").glob(".import-spool-*"))


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "archive.tar.gz"
    os.mkfifo(fifo)
    line = _one_line_exit_7(fifo, tmp_path)
    assert "regular file" in line
