"""The golden-file helper (tests/golden.py): a mismatch fails with a diff, an update writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import golden
from tests.golden import check_golden, golden_text

VALUE = {"text": "café ✨", "facets": [{"b": 2, "a": 1}], "n": 3}
SPELLED = """\
{
  "facets": [
    {
      "a": 1,
      "b": 2
    }
  ],
  "n": 3,
  "text": "café ✨"
}
"""


def test_a_golden_file_is_pretty_sorted_unicode_with_a_final_newline() -> None:
    assert golden_text(VALUE) == SPELLED


def test_a_match_passes(tmp_path: Path) -> None:
    path = tmp_path / "bluesky" / "post.json"
    path.parent.mkdir()
    path.write_text(SPELLED, encoding="utf-8")
    check_golden(path, VALUE, update=False)


def test_a_mismatch_fails_with_a_unified_diff(tmp_path: Path) -> None:
    path = tmp_path / "post.json"
    path.write_text(SPELLED, encoding="utf-8")
    with pytest.raises(pytest.fail.Exception) as failed:
        check_golden(path, {**VALUE, "n": 4}, update=False)
    message = str(failed.value)
    assert "--update-golden" in message
    assert f"--- {path} (expected)\n+++ actual\n" in message
    assert '-  "n": 3,\n+  "n": 4,\n' in message
    assert path.read_text(encoding="utf-8") == SPELLED  # untouched


def test_a_missing_file_fails_showing_all_of_it(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    with pytest.raises(pytest.fail.Exception, match="is missing") as failed:
        check_golden(path, VALUE, update=False)
    assert '+  "text": "café ✨"\n' in str(failed.value)
    assert not path.exists()


def test_update_writes_the_file_and_then_it_matches(tmp_path: Path) -> None:
    path = tmp_path / "mastodon" / "status.json"
    check_golden(path, VALUE, update=True)  # a new file, its folder too
    assert path.read_text(encoding="utf-8") == SPELLED
    check_golden(path, {**VALUE, "n": 4}, update=True)  # a changed one
    assert '"n": 4' in path.read_text(encoding="utf-8")
    check_golden(path, {**VALUE, "n": 4}, update=False)


def test_update_follows_the_command_line_option(
    tmp_path: Path, pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert golden._update is pytestconfig.getoption("--update-golden")
    monkeypatch.setattr(golden, "_update", True)
    check_golden(tmp_path / "post.json", VALUE)
    assert (tmp_path / "post.json").read_text(encoding="utf-8") == SPELLED


def test_a_relative_path_is_under_tests_golden() -> None:
    assert Path(__file__).resolve().parent / "golden" == golden.GOLDEN_ROOT
    with pytest.raises(pytest.fail.Exception, match=r"tests/golden/none/such\.json is missing"):
        check_golden(Path("none/such.json"), VALUE, update=False)
