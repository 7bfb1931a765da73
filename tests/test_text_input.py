"""`fit` and `convert` given bytes that are not UTF-8: one line naming where, exit 7."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from crosspost.cli import main
from tests.cli_helpers import Run, run_cli

BAD = b"abc \xff def"


def run_with_stdin(data: bytes, *args: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The CLI in-process (as `run_cli`), standard input holding raw bytes as a pipe gives."""
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "argv", ["crosspost", *args])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return Run(code, out.getvalue(), err.getvalue())


def test_fit_from_stdin_that_is_not_utf8_is_one_line_exit_7(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run_with_stdin(BAD, "fit", "--to", "bluesky", "-", monkeypatch=monkeypatch)
    assert result.code == 7
    assert "Traceback" not in result.err
    (line,) = result.err.strip().splitlines()
    assert line.startswith("error: standard input: not UTF-8 text")
    assert "byte 0xff at offset 4" in line


def test_convert_from_stdin_that_is_not_utf8_is_one_line_exit_7(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("convert", "--from", "mastodon", "--to", "bluesky", "-")
    result = run_with_stdin(BAD, *args, monkeypatch=monkeypatch)
    assert result.code == 7
    (line,) = result.err.strip().splitlines()
    assert line.startswith("error: standard input: not UTF-8 text")


def test_convert_of_a_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    native = tmp_path / "status.json"
    native.write_bytes(b'{"content": "' + BAD + b'"}')
    result = run_cli("convert", "--from", "mastodon", "--to", "bluesky", str(native))
    assert result.code == 7
    (line,) = result.err.strip().splitlines()
    assert line.startswith(f"error: {native}: not UTF-8 text")
    assert "byte 0xff at offset 17" in line


def test_utf8_from_stdin_still_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "a heron at dawn ✨".encode()
    result = run_with_stdin(text, "fit", "--to", "bluesky", "-", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    assert "a heron at dawn ✨" in result.out
