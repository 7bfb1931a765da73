"""The backup's on-disk layout: safe names, atomic writes, lossless post files."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crosspost.backup.store as store
from crosspost.backup.store import (
    BackupStore,
    atomic_write_json,
    atomic_write_many,
    json_bytes,
    safe_name,
    unsafe_name,
)
from crosspost.errors import DataError
from crosspost.model import Platform, Post, PostRef, RichText
from tests.strategies import posts


@given(st.text(min_size=1, max_size=60))
def test_safe_names_stay_in_their_folder_and_reverse(value: str) -> None:
    name = safe_name(value)
    assert "/" not in name
    assert "\\" not in name
    assert "\0" not in name
    assert name not in {".", ".."}
    assert unsafe_name(name) == value


def test_hostile_ids_cannot_escape(tmp_path: Path) -> None:
    backup = BackupStore(tmp_path).account(Platform.TUMBLR, "../../x")
    path = backup.post_path("../../../etc/passwd")
    assert path.resolve().is_relative_to(tmp_path.resolve())
    with pytest.raises(DataError):
        backup.media_path("../../etc/passwd", "png")


@given(posts())
def test_a_saved_post_loads_back_equal(post: Post) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        backup = BackupStore(Path(folder)).account(post.ref.platform, post.ref.account or "a")
        if not post.ref.id:
            return
        assert backup.save_post(post) is True
        assert backup.save_post(post) is False  # unchanged: not rewritten
        assert backup.load_post(post.ref.id) == post
        document = json.loads(backup.post_path(post.ref.id).read_text())
        assert document["raw"] == post.raw
        assert document["post"]["raw"] == {}


def test_accounts_are_found_again(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    post = Post(
        PostRef(Platform.BLUESKY, "did:plc:abc", "at://x/y/3k"),
        datetime(2024, 1, 1, tzinfo=UTC),
        RichText("hi"),
    )
    store.account(Platform.BLUESKY, "did:plc:abc").save_post(post)
    (found,) = store.accounts()
    assert (found.platform, found.account) == (Platform.BLUESKY, "did:plc:abc")
    assert list(found.iter_posts()) == [post]


def test_damaged_files_are_reported_with_their_path(tmp_path: Path) -> None:
    backup = BackupStore(tmp_path).account(Platform.MASTODON, "a@b.social")
    backup.posts_dir.mkdir(parents=True)
    (backup.posts_dir / "1.json").write_text('{"post": ')
    with pytest.raises(DataError, match=r"1\.json: cannot read it"):
        list(backup.iter_posts())


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.json"
    atomic_write_json(target, {"a": 1})
    atomic_write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_a_manifest_from_a_newer_format_is_refused(tmp_path: Path) -> None:
    backup = BackupStore(tmp_path).account(Platform.TUMBLR, "staff")
    atomic_write_json(backup.manifest_path, {"format": 99})
    with pytest.raises(DataError, match="upgrade crosspost"):
        backup.read_manifest()


def _post(number: int, text: str = "hi") -> Post:
    return Post(
        PostRef(Platform.TUMBLR, "art", f"{number}"),
        datetime(2024, 1, 1, tzinfo=UTC),
        RichText(f"{text} {number}"),
    )


def test_a_page_saved_as_one_batch_reads_back_and_keeps_what_is_unchanged(
    tmp_path: Path,
) -> None:
    backup = BackupStore(tmp_path).account(Platform.TUMBLR, "art")
    posts = [_post(n) for n in range(150)]  # more than one batch of open files
    assert backup.save_posts(posts) == [True] * 150
    assert [backup.load_post(p.ref.id) for p in posts] == posts
    assert sorted(p.name for p in backup.posts_dir.iterdir()) == sorted(
        f"{n}.json" for n in range(150)
    )  # no temporary file left
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in backup.posts_dir.iterdir())
    before = backup.post_path("3").stat().st_mtime_ns
    changed = backup.save_posts([_post(3), _post(4, "edited"), _post(150)])
    assert changed == [False, True, True]
    assert backup.post_path("3").stat().st_mtime_ns == before
    assert backup.load_post("4") == _post(4, "edited")


def test_a_batch_that_fails_leaves_no_file_half_written(tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "old.json").write_bytes(b"old\n")
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")  # its "children" cannot be created
    files = [(folder / "old.json", b"new\n"), (blocked / "x.json", b"x"), (folder / "b", b"b")]
    with pytest.raises(NotADirectoryError):
        atomic_write_many(files)
    assert (folder / "old.json").read_bytes() == b"old\n", "nothing renamed before all synced"
    assert sorted(p.name for p in folder.iterdir()) == ["old.json"], "temporary files removed"


_TEXT = st.text()
_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _floats_spelled_alike(encoded: bytes) -> bytes:
    """Spell every number with a fraction or exponent as Python's repr does."""

    def respell(match: re.Match[bytes]) -> bytes:
        token = match.group()
        if not re.search(rb"[.eE]", token):
            return token
        return repr(float(token)).encode()

    return _NUMBER.sub(respell, encoded)


@given(_JSON)
def test_post_files_are_the_bytes_the_json_module_writes(value: object) -> None:
    """orjson (when installed) writes what json.dumps(sort_keys, indent=2) writes, except how a
    float is spelled: both write the shortest digits that read back exactly, but orjson moves
    to an exponent at other sizes (0.00001 where json writes 1e-05, 1e-7 for 1e-07)."""
    standard = (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    written = json_bytes(value)
    assert json.loads(written) == json.loads(standard)
    assert _floats_spelled_alike(written) == _floats_spelled_alike(standard)
    if not _has_float(value):
        assert written == standard


def _has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(_has_float(item) for item in value)
    if isinstance(value, dict):
        return any(_has_float(item) for item in value.values())
    return False


def test_float_spellings_are_the_only_difference() -> None:
    assert json_bytes([1e-05, 6.103515625e-05, 0.1, 1e16]) in (
        b"[\n  0.00001,\n  0.00006103515625,\n  0.1,\n  1e+16\n]\n",  # orjson
        b"[\n  1e-05,\n  6.103515625e-05,\n  0.1,\n  1e+16\n]\n",  # json
    )


def test_what_orjson_refuses_is_written_by_json(monkeypatch: pytest.MonkeyPatch) -> None:
    huge = {"id": 2**70, "nested": [{"n": -(2**65)}]}
    assert json.loads(json_bytes(huge)) == huge
    monkeypatch.setattr(store, "_orjson", None)  # where orjson cannot be installed
    assert json_bytes({"b": 1, "a": "é"}) == b'{\n  "a": "\xc3\xa9",\n  "b": 1\n}\n'


def _page(tmp_path: Path, count: int = 20) -> list[tuple[Path, bytes]]:
    return [(tmp_path / "posts" / f"{n}.json", f'{{"n": {n}}}\n'.encode()) for n in range(count)]


def _record_syncs(monkeypatch: pytest.MonkeyPatch, events: list[str]) -> None:
    real_fsync, real_replace, real_one = os.fsync, os.replace, store._syncfs_one

    def fsync(descriptor: int) -> None:
        events.append("fsync")
        real_fsync(descriptor)

    def replace(source: str, target: Path) -> None:
        events.append("rename")
        real_replace(source, target)

    def syncfs(descriptor: int) -> bool:
        events.append("syncfs")
        return real_one(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(store, "_syncfs_one", syncfs)


@pytest.mark.skipif(store._syncfs() is None, reason="syncfs needs Linux 5.8 or later")
def test_a_page_of_posts_is_one_sync_then_its_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    _record_syncs(monkeypatch, events)
    atomic_write_many(_page(tmp_path))
    assert events == ["syncfs"] + ["rename"] * 20  # was an fsync per file: 20, then renames
    assert json.loads((tmp_path / "posts" / "7.json").read_text()) == {"n": 7}


@pytest.mark.skipif(store._syncfs() is None, reason="syncfs needs Linux 5.8 or later")
def test_a_commit_of_many_pages_is_still_one_sync_and_keeps_one_file_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    _record_syncs(monkeypatch, events)
    opened: list[int] = []
    real_close = os.close

    def close(descriptor: int) -> None:
        opened.append(descriptor)
        real_close(descriptor)

    monkeypatch.setattr(os, "close", close)
    atomic_write_many(_page(tmp_path, 400))  # 8 pages of 50: was a syncfs per 64 files
    assert events == ["syncfs"] + ["rename"] * 400
    assert len(opened) == 400  # each closed once; one of them only after the sync
    assert sorted(p.name for p in (tmp_path / "posts").iterdir()) == sorted(
        f"{n}.json" for n in range(400)
    )


def test_where_syncfs_is_refused_each_file_is_fsynced_before_any_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    _record_syncs(monkeypatch, events)
    monkeypatch.setattr(store, "_syncfs", lambda: lambda descriptor: -1)  # a refusing libc
    monkeypatch.setattr(ctypes, "get_errno", lambda: errno.EINVAL)
    atomic_write_many(_page(tmp_path, 5))
    assert [e for e in events if e != "syncfs"] == ["fsync"] * 5 + ["rename"] * 5
    assert sorted(p.name for p in (tmp_path / "posts").iterdir()) == [f"{n}.json" for n in range(5)]


def test_a_failed_write_back_names_no_file_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "3.json").write_bytes(b"old\n")
    monkeypatch.setattr(store, "_syncfs", lambda: lambda descriptor: -1)
    monkeypatch.setattr(ctypes, "get_errno", lambda: errno.EIO)
    with pytest.raises(OSError, match="Input/output error"):
        atomic_write_many(_page(tmp_path, 5))
    assert sorted(p.name for p in (tmp_path / "posts").iterdir()) == ["3.json"]
    assert (tmp_path / "posts" / "3.json").read_bytes() == b"old\n"
