"""A FIFO as the config, and input nested thousands of levels deep, end in one line."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli_helpers import run_cli


def test_a_fifo_as_the_config_is_refused_not_read_forever(tmp_path: Path) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    result = run_cli("config", "check", "--config", str(fifo))
    assert result.code == 3
    (line,) = result.err.strip().splitlines()
    assert "not a regular file" in line


def test_a_config_nested_five_thousand_deep_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    result = run_cli("config", "check", "--config", str(config))
    assert result.code == 3
    (line,) = result.err.strip().splitlines()
    assert "nested too deeply" in line or "not valid TOML" in line


def test_a_post_nested_five_thousand_deep_on_stdin_is_one_line() -> None:
    deep = '{"text": ' + "[" * 5000 + "]" * 5000 + "}"
    result = run_cli("convert", "--from", "bluesky", "--to", "mastodon", "-", stdin=deep)
    assert result.code == 7, result.err
    (line,) = result.err.strip().splitlines()
    assert "error:" in line
