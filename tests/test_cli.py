"""The command line as a user meets it: help everywhere, version, errors as one line."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from crosspost.cli import app
from tests.cli_helpers import run_cli
from tests.fixtures import PROJECT_ROOT


def command_paths() -> list[list[str]]:
    import typer.main

    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            paths.append(prefix)
            return
        for name, sub in subcommands.items():
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


def test_there_are_commands() -> None:
    assert ["config", "check"] in command_paths()
    assert ["login"] in command_paths()


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_has_help(path: list[str]) -> None:
    result = run_cli(*path, "--help")
    assert result.code == 0, result.err
    assert "Usage:" in result.out
    short = run_cli(*path, "-h")
    assert short.out == result.out


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_is_in_the_readme(path: list[str]) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"\$ crosspost {re.escape(' '.join(path))}\b", readme), (
        f"README has no '$ crosspost {' '.join(path)}' example"
    )


def test_version() -> None:
    from crosspost import __version__

    assert run_cli("--version").out.strip() == f"crosspost {__version__}"


def test_python_dash_m_runs_the_same_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crosspost", "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("crosspost ")


def test_unknown_account_is_one_line() -> None:
    result = run_cli("logout", "myspace:tom")
    assert result.code == 3
    assert result.err.strip() == (
        "error: unknown platform 'myspace' (expected one of: bluesky, mastodon, tumblr)"
    )


def test_debug_mode_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from crosspost.errors import ConfigError

    monkeypatch.setenv("CROSSPOST_DEBUG", "1")
    with pytest.raises(ConfigError):
        run_cli("logout", "myspace:tom")
