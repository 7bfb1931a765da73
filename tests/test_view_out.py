"""`view --out DIR` writes only into a folder that is empty or holds a site the viewer wrote:
it keeps a manifest of its files, and refuses any other folder with one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crosspost.errors import DataError
from crosspost.view import render_site
from crosspost.view.write import (
    MANIFEST,
    SiteWriter,
    _digest,
    _hex,
    _read_lines,
    _read_manifest,
    _sig,
)
from tests.cli_helpers import run_cli
from tests.test_view_sample import build_sample


def test_a_folder_of_someone_elses_files_is_refused_and_left_alone(tmp_path: Path) -> None:
    build_sample(tmp_path / "b")
    out = tmp_path / "www"
    out.mkdir()
    (out / "index.html").write_text("my own home page")
    with pytest.raises(DataError, match="not a site crosspost made") as raised:
        render_site(tmp_path / "b", out)
    assert "\n" not in str(raised.value)
    assert (out / "index.html").read_text() == "my own home page"
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]


def test_the_command_says_so_in_one_line(tmp_path: Path) -> None:
    build_sample(tmp_path / "b")
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "notes.txt").write_text("mine")
    result = run_cli("view", str(tmp_path / "b"), "--out", str(tmp_path / "www"), "--quiet")
    assert result.code == 7
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "not a site crosspost made" in result.err
    assert "Traceback" not in result.err


def test_an_empty_folder_and_the_viewers_own_site_are_written(tmp_path: Path) -> None:
    build_sample(tmp_path / "b")
    (tmp_path / "empty").mkdir()
    first = render_site(tmp_path / "b", tmp_path / "empty")
    assert (tmp_path / "empty" / MANIFEST).is_file()
    assert first.written
    again = render_site(tmp_path / "b", tmp_path / "empty")
    assert again.written == ()
    (tmp_path / "empty" / "notes.txt").write_text("added by hand to the site")
    render_site(tmp_path / "b", tmp_path / "empty")  # still the viewer's site


def test_a_render_that_stopped_before_its_first_manifest_can_be_run_again(
    tmp_path: Path,
) -> None:
    out = tmp_path / "site"
    writer = SiteWriter(out)  # the marker is written before any page
    writer.write("index.html", "<p>half a site</p>")
    del writer  # killed here: no finish()
    build_sample(tmp_path / "b")
    report = render_site(tmp_path / "b", out)
    assert "index.html" in report.written


def test_a_file_where_the_folder_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "site").write_text("x")
    with pytest.raises(DataError, match="not a folder"):
        SiteWriter(tmp_path / "site")


def test_the_manifest_is_the_json_it_always_was_and_saved_only_on_a_change(
    tmp_path: Path,
) -> None:
    """The manifest is written a line at a time: the same bytes as json.dumps, sorted."""
    build_sample(tmp_path / "b")
    out = tmp_path / "site"
    render_site(tmp_path / "b", out)
    manifest = out / MANIFEST
    text = manifest.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=0, sort_keys=True) + "\n"
    assert data["format"] == 1
    assert "index.html" in data["pages"]
    assert all(len(digest) == 64 for digest in data["pages"].values())
    before = manifest.stat().st_mtime_ns
    os.utime(manifest, ns=(before - 10**9, before - 10**9))
    render_site(tmp_path / "b", out)  # nothing changed: the manifest is left alone
    assert manifest.stat().st_mtime_ns == before - 10**9
    data["pages"]["old/page.html"] = "0" * 64  # a page the last render made, now gone
    (out / "old").mkdir()
    (out / "old" / "page.html").write_text("gone")
    manifest.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    again = render_site(tmp_path / "b", out)
    assert again.removed == ("old/page.html",)
    assert not (out / "old" / "page.html").exists()
    assert "old/page.html" not in json.loads(manifest.read_text(encoding="utf-8"))["pages"]


@pytest.mark.parametrize("indent", [0, 2, None])
def test_the_manifest_reads_the_same_a_line_at_a_time_or_as_any_json(
    tmp_path: Path, indent: int | None
) -> None:
    """As `_save` writes it (indent 0, sorted) the manifest is read a line at a time; written
    another way (by hand, by another tool), it is read as JSON: either way to the same hashes,
    a name with a quote or a non-ASCII letter too, and a value that is no hash as it is."""
    out = tmp_path / "site"
    writer = SiteWriter(out)
    for name in ("index.html", 'tags/"q".html', "tags/café.html", "z.html"):
        writer.write_made(name, f"<p>{name}</p>", b"\x01" * 16)
    writer.keep("media/ab/notahash.png", "notahash")
    writer.finish()
    manifest = out / MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    if indent != 0:
        manifest.write_text(json.dumps(data, indent=indent), encoding="utf-8")
    pages = _read_manifest(manifest)
    assert {name: _hex(_digest(value)) for name, value in pages.items()} == data["pages"]
    assert {name: _sig(value).hex() for name, value in pages.items() if _sig(value)} == data["sigs"]
    assert pages["media/ab/notahash.png"] == "notahash"
    assert pages["z.html"] == bytes.fromhex(data["pages"]["z.html"]) + b"\x01" * 16
    with manifest.open(encoding="utf-8") as file:
        assert (_read_lines(file) is not None) == (indent == 0)
    again = SiteWriter(out)
    assert again.keep_page("tags/café.html", b"\x01" * 16)
    assert not again.keep_page("z.html", b"\x02" * 16)
