"""`crosspost --help` and `crosspost status` start without the heavy modules: no platform SDK,
no HTTP library, no image or HTML library, no viewer, no rich (plain click help) and no pydantic
(typer's coercion of text, path and flag values is done without it, see crosspost/cli/readable.py).
Read from `python -X importtime`, in a subprocess of its own (this process has them all loaded).
bench/bench_startup.py measures the times."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import PROJECT_ROOT

HEAVY = (
    "huey",
    "atproto",
    "atproto_client",
    "mastodon",
    "pytumblr",
    "requests",
    "requests_oauthlib",
    "httpx",
    "PIL",
    "nh3",
    "jinja2",
    "keyring",
    "rich",
    "pydantic",
    "markdown_it",
    "pygments",
    "crosspost.view",
    "crosspost.sync.engine",
)
CONFIG = """
[accounts.sky]
platform = "bluesky"
handle = "alice.bsky.social"

[accounts.masto]
platform = "mastodon"
handle = "alice@mastodon.social"

[[sync]]
name = "sky-to-masto"
from = "sky"
to = "masto"
"""


def imported(*arguments: str, env: dict[str, str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "crosspost", *arguments],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {row[-1].strip() for row in rows[1:]}


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    values = dict(os.environ)
    values.update(
        {
            "CROSSPOST_CONFIG": str(config),
            "CROSSPOST_STATE": str(tmp_path / "state.sqlite3"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "COLUMNS": "100",
        }
    )
    values.pop("TYPER_USE_RICH", None)
    return values


@pytest.mark.parametrize(
    "arguments", [["--help"], ["sync", "--help"], ["status"], ["status", "--json"]]
)
def test_help_and_status_import_no_heavy_module(arguments: list[str], env: dict[str, str]) -> None:
    assert heavy(imported(*arguments, env=env)) == []


def test_the_check_sees_heavy_modules_where_a_command_loads_them(env: dict[str, str]) -> None:
    """The same reading, on a command that needs more (its --to choice goes through pydantic):
    the check above can fail."""
    assert "pydantic" in heavy(imported("fit", "--to", "bluesky", "hello", env=env))


def test_help_lists_commands_without_importing_any_command_module(env: dict[str, str]) -> None:
    """`crosspost --help` is read from crosspost.cli.commands alone: no command module, no config,
    no platform registry (and so no platform's spec) is imported for it."""
    loaded = imported("--help", env=env)
    assert [m for m in loaded if m.endswith("_commands")] == []
    assert {"crosspost.config", "crosspost.platforms.registry", "crosspost.model"} & loaded == set()


def test_a_command_imports_its_own_module_only(env: dict[str, str]) -> None:
    loaded = imported("status", env=env)
    assert sorted(m for m in loaded if m.endswith("_commands")) == ["crosspost.cli.sync_commands"]


def test_the_command_table_is_the_command_tree() -> None:
    """The names, order and summaries `--help` shows from the table are those of the commands
    themselves (their docstrings' first paragraphs, as `readable` puts them on one line)."""
    import typer.main

    from crosspost.cli import app
    from crosspost.cli.commands import COMMANDS
    from crosspost.cli.readable import readable

    tree = readable(typer.main.get_command(app))
    built = {name: command.short_help for name, command in tree.commands.items()}
    assert list(built) == [entry.name for entry in COMMANDS]
    assert built == {entry.name: entry.summary for entry in COMMANDS}
