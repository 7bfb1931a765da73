"""Tumblr's blog export zip: the sample in tests/data/tumblr-export (hand-made in the layout
projects reading real exports document; no real export could be found), nested, and hostile."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from crosspost.backup.importer import import_export
from crosspost.backup.store import BackupStore
from crosspost.model import PostKind
from crosspost.platforms.tumblr import export_zip
from crosspost.platforms.tumblr.export_zip import open_export
from tests.cli_helpers import run_cli

SAMPLE = Path(__file__).parent / "data" / "tumblr-export"


def _members() -> dict[str, bytes]:
    return {
        path.relative_to(SAMPLE).as_posix(): path.read_bytes()
        for path in sorted(SAMPLE.rglob("*"))
        if path.is_file()
    }


def _zip(path: Path, members: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (members if members is not None else _members()).items():
            archive.writestr(name, data)
    return path


def test_the_sample_reads_into_posts(tmp_path: Path) -> None:
    reading = open_export(_zip(tmp_path / "export.zip"))
    assert reading.blog == "sampleblog"  # from the page linking to itself
    by_id = {post.ref.id: post for post in reading.posts}
    text = by_id["180000000001"]
    assert text.title == "Moving day"
    assert text.text.text.startswith("All my posts, finally out of the dashboard.")
    assert {span.kind.value for span in text.text.spans} >= {"bold", "italic", "link"}
    assert text.tags == ("meta", "moving")
    assert text.created_at.isoformat() == "2018-12-07T16:48:00+00:00"
    assert text.ref.url == "https://sampleblog.tumblr.com/post/180000000001"
    photo = by_id["180000000002"]
    assert photo.title == ""
    assert photo.text.text == "The harbour at dawn."
    # The file the page names, then the one named after the post the page forgot.
    assert [m.url for m in photo.media] == ["media/180000000002.png", "media/180000000002_1.png"]
    reblog = by_id["180000000003"]
    assert reblog.kind is PostKind.REBLOG_WITH_COMMENT
    assert reblog.repost_of is not None
    assert (reblog.repost_of.account, reblog.repost_of.id) == ("otherblog", "170000000009")
    assert reblog.tags == ("books",)  # its own footer's, not the reblogged post's
    assert "March 1st" not in reblog.text.text
    dates = [post.created_at for post in reading.posts]
    assert dates == sorted(dates)
    assert reading.skipped.lines() == []


def test_the_import_command_on_the_sample(tmp_path: Path) -> None:
    path = _zip(tmp_path / "sampleblog.zip")
    run = run_cli("import", str(path), "--dir", str(tmp_path / "out"))
    assert run.code == 0, run.err
    assert "imported tumblr-export sampleblog.zip into" in run.out
    assert "posts: 3 new, 0 already in the backup (kept)" in run.out
    assert "media: 2 stored" in run.out
    again = run_cli("import", str(path), "--dir", str(tmp_path / "out"))
    assert "posts: 0 new, 3 already in the backup (kept)" in again.out


def test_an_unpacked_folder_and_a_nested_posts_zip(tmp_path: Path) -> None:
    folder = open_export(SAMPLE)
    assert len(folder.posts) == 3
    members = _members()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        for name, data in members.items():
            if name.startswith("posts/"):
                archive.writestr(name.removeprefix("posts/"), data)
    outer = {name: data for name, data in members.items() if name.startswith("media/")}
    outer["posts.zip"] = inner.getvalue()
    result = import_export(_zip(tmp_path / "sampleblog.zip", outer), BackupStore(tmp_path / "o"))
    assert (result.new, result.media_stored) == (3, 2)


def test_a_file_with_no_blog_name_says_how_to_name_it(tmp_path: Path) -> None:
    members = _members()
    page = members["posts/html/180000000001.html"].replace(b"sampleblog.tumblr", b"x.example")
    members["posts/html/180000000001.html"] = page
    line = _one_line_exit_7(_zip(tmp_path / "export.zip", members), tmp_path)
    assert "rename the file after the blog" in line


def test_a_zip_without_pages_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "blog.zip", {"posts/posts.xml": b"<tumblr/>", "media/1.png": b"x"})
    line = _one_line_exit_7(path, tmp_path)
    assert "no posts/html/<id>.html" in line
    assert "posts.xml" in line


def _one_line_exit_7(path: Path, tmp_path: Path) -> str:
    out = tmp_path / "out"
    run = run_cli("import", str(path), "--dir", str(out))
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert run.code == 7, run
    assert len(lines) == 1, run.err
    assert "Traceback" not in run.err
    assert not list(out.rglob("*.json")), "nothing imported from a refused export"
    return lines[0]


def _with_member(tmp_path: Path, info: zipfile.ZipInfo, data: bytes) -> Path:
    path = _zip(tmp_path / "sampleblog.zip")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(info, data)
    return path


@pytest.mark.parametrize("name", ["../escape.png", "media/../../escape.png", "/etc/escape.png"])
def test_a_member_named_outside_the_export(tmp_path: Path, name: str) -> None:
    path = _with_member(tmp_path, zipfile.ZipInfo(name), b"x")
    line = _one_line_exit_7(path, tmp_path)
    assert "named outside the export" in line
    assert not (tmp_path / "escape.png").exists()
    assert not Path("/etc/escape.png").exists()


def test_a_symlink_member(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("media/180000000002_2.png")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    line = _one_line_exit_7(_with_member(tmp_path, info, b"/etc/passwd"), tmp_path)
    assert "symbolic link" in line


def test_a_symlink_in_an_unpacked_folder(tmp_path: Path) -> None:
    folder = tmp_path / "sampleblog"
    for name, data in _members().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "media" / "180000000002_2.png").symlink_to("/etc/passwd")
    assert "symbolic link" in _one_line_exit_7(folder, tmp_path)


def test_a_zip_bomb_member_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_zip, "MAX_MEMBER", 1 << 20)
    path = _with_member(tmp_path, zipfile.ZipInfo("media/180000000002_3.png"), bytes(2 << 20))
    line = _one_line_exit_7(path, tmp_path)
    assert "zip bomb" in line
    assert "180000000002_3.png" in line


def test_a_member_larger_than_it_declares(tmp_path: Path) -> None:
    path = _with_member(tmp_path, zipfile.ZipInfo("media/180000000002_3.png"), bytes(4096))
    data = bytearray(path.read_bytes())
    name = b"media/180000000002_3.png"
    at = 0
    while (at := data.find(name, at + 1)) > 0:  # the local header's copy, the central one's
        if data[at - 30 : at - 26] == b"PK\x03\x04":
            struct.pack_into("<I", data, at - 30 + 22, 100)  # says 100 bytes, holds 4096
        elif data[at - 46 : at - 42] == b"PK\x01\x02":
            struct.pack_into("<I", data, at - 46 + 24, 100)
    path.write_bytes(bytes(data))
    _one_line_exit_7(path, tmp_path)


def test_a_nested_zip_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_zip, "MAX_MEMBER", 1 << 20)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("html/180000000009.html", bytes(3 << 20))  # 3 MB of zeros, ~3 KB packed
    members = _members()
    members["posts.zip"] = inner.getvalue()
    line = _one_line_exit_7(_zip(tmp_path / "sampleblog.zip", members), tmp_path)
    assert "zip bomb" in line
    assert "posts.zip" in line


def test_a_non_utf8_name_flagged_utf8(tmp_path: Path) -> None:
    path = _with_member(tmp_path, zipfile.ZipInfo("media/180000000002_\u00e9.png"), b"x")
    data = bytearray(path.read_bytes())
    at = data.index("é".encode())
    data[at : at + 2] = b"\xff\xfe"  # no UTF-8, in both headers' copies of the name
    at = data.index("é".encode())
    data[at : at + 2] = b"\xff\xfe"
    path.write_bytes(bytes(data))
    assert "UTF-8" in _one_line_exit_7(path, tmp_path)
