"""The command line as a user meets it: help everywhere, version, errors as one line."""

from __future__ import annotations

import errno
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from crosspost.cli import app
from crosspost.errors import ExitCode
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
        "error: unknown platform 'myspace' (expected one of: bluesky, dreamwidth, mastodon, tumblr)"
    )


def test_debug_mode_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from crosspost.errors import ConfigError

    monkeypatch.setenv("CROSSPOST_DEBUG", "1")
    with pytest.raises(ConfigError):
        run_cli("logout", "myspace:tom")


# --- help that reads: placeholders, whole summaries, completion --------------------------------

# Type names typer prints where a person writes a placeholder: `<bool>`, `<str>`, `<path>`,
# `<list[str]>`, `<%Y-%m-%d>`, `<bluesky|mastodon|tumblr>`.
TYPE_NAME = re.compile(r"<[^<>\s]*>|list\[")


def _help(path: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "400")  # one row per option: nothing wrapped
    result = run_cli(*path, "--help")
    assert result.code == 0, result.err
    return result.out


@pytest.mark.parametrize("path", [[], *command_paths()], ids=lambda p: " ".join(p) or "(root)")
def test_help_shows_placeholders_not_type_names(
    path: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _help(path, monkeypatch)
    assert not TYPE_NAME.findall(text), f"`crosspost {' '.join(path)} -h` shows type names"
    (usage,) = [line for line in text.splitlines() if "Usage:" in line]
    assert not re.search(r"\{[a-z_]+\}", usage), usage


def test_help_placeholders_say_what_to_give(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Usage: crosspost backup [OPTIONS] ACCOUNT" in _help(["backup"], monkeypatch)
    assert "Usage: crosspost verify [OPTIONS] [BACKUP]" in _help(["verify"], monkeypatch)
    migrate = _help(["migrate"], monkeypatch)
    assert re.search(r"--since +DATE ", migrate)
    assert re.search(r"--keep-dates / --no-keep-dates +Keep", migrate)  # a flag: no placeholder
    fit = _help(["fit"], monkeypatch)
    assert re.search(r"-t, --tag TAG ", fit)
    assert re.search(r"--to +bluesky\|dreamwidth\|mastodon\|tumblr\b", fit)


def test_each_command_summary_is_whole_on_its_row(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    import typer.main

    # A row and the lines that continue it (help is at most 120 columns wide: long ones wrap).
    rows = re.split(r"\n(?=  \S)", _help([], monkeypatch))
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        first = " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())
        (row,) = [r for r in rows if re.match(rf"\W*{name} ", r)]
        assert first in " ".join(row.split()), f"{name}: the summary is cut"


def test_shell_completion_for_bash_zsh_and_fish(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "--install-completion" in _help([], monkeypatch)
    monkeypatch.setenv("_CROSSPOST_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "crosspost ba")
    monkeypatch.setenv("COMP_CWORD", "1")
    assert run_cli().out.split() == ["backup"]
    monkeypatch.setenv("_CROSSPOST_COMPLETE", "complete_zsh")
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", "crosspost fit --to ma")
    assert '"mastodon"' in run_cli().out
    monkeypatch.setenv("_CROSSPOST_COMPLETE", "complete_fish")
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", "crosspost veri")
    monkeypatch.setenv("_TYPER_COMPLETE_FISH_ACTION", "get-args")
    assert run_cli().out.startswith("verify\tCheck a backup")
    monkeypatch.setenv("_CROSSPOST_COMPLETE", "source_bash")
    assert "_crosspost_completion" in run_cli().out


def test_a_wrong_platform_lists_the_valid_ones() -> None:
    result = run_cli("fit", "--to", "bsky", "hello")
    assert result.code == 2
    assert "Value error" not in result.err
    flat = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.err).split())
    expected = "expected one of: bluesky, dreamwidth, mastodon, tumblr"
    assert f"'bsky' is not a platform; {expected}" in flat
    assert run_cli("fit", "--to", "Bluesky", "hello").code == 0


# --- exit codes, as README documents them ------------------------------------------------------


def test_the_readme_documents_every_exit_code() -> None:
    from crosspost.errors import ExitCode

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    codes = {value for name, value in vars(ExitCode).items() if name.isupper()}
    assert documented == codes


# --- errors of the machine: files and Ctrl-C ---------------------------------------------------


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_a_dir_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    export = tmp_path / "repo.car"
    export.write_bytes(b"")
    blocker = tmp_path / "backup"
    blocker.write_text("not a folder")
    result = run_cli("import", str(export), "--dir", str(blocker))
    assert result.code == ExitCode.FILES
    assert _one_line(result.err) == (
        f"error: {blocker}: a file, not a folder: give a folder for the backups (--dir)"
    )


@pytest.mark.parametrize(
    ("number", "says"),
    [
        (errno.ENOSPC, "the disk is full: free some space"),
        (errno.EROFS, "the file system is read-only: give a writable folder (--dir)"),
        (errno.EACCES, "permission denied: give a folder you can write to (--dir)"),
    ],
)
def test_disk_full_or_read_only_is_one_line_naming_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: int, says: str
) -> None:
    import crosspost.backup.importer

    def fail(*args: object) -> None:
        raise OSError(number, os.strerror(number))  # as a write() raises it: no file name

    monkeypatch.setattr(crosspost.backup.importer, "import_export", fail)
    export = tmp_path / "repo.car"
    export.write_bytes(b"")
    root = tmp_path / "b"
    result = run_cli("import", str(export), "--dir", str(root), "-q")
    assert result.code == ExitCode.FILES
    line = _one_line(result.err)
    assert line.startswith(f"error: {root}: {says}")
    assert line.endswith(
        f"then run `crosspost import {export} --dir {root} -q` again (what was saved is kept)"
    )


def test_a_site_under_proc_is_one_line(tmp_path: Path) -> None:
    from tests.test_view_sample import build_sample

    build_sample(tmp_path / "b")
    result = run_cli("view", str(tmp_path / "b"), "--out", "/proc/crosspost-site", "-q")
    assert result.code == ExitCode.FILES
    assert _one_line(result.err).startswith("error: /proc/crosspost-site")


def test_ctrl_c_says_what_was_kept_and_how_to_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crosspost.backup.importer
    import crosspost.preview

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(crosspost.backup.importer, "import_export", interrupt)
    export = tmp_path / "repo.car"
    export.write_bytes(b"")
    root = tmp_path / "b"
    result = run_cli("import", str(export), "--dir", str(root))
    assert result.code == 130
    assert _one_line(result.err) == (
        f"error: interrupted: what was imported so far is kept in {root}; run "
        f"`crosspost import {export} --dir {root}` again to go on"
    )
    monkeypatch.setattr(crosspost.preview, "describe_fit", interrupt)
    anywhere = run_cli("fit", "--to", "bluesky", "hi")
    assert anywhere.code == 130
    assert "interrupted: what was done before is kept; run `crosspost fit --to bluesky hi`" in (
        _one_line(anywhere.err)
    )


# --- a missing backup is not malformed data ----------------------------------------------------


def test_the_quick_start_view_before_any_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Quick start's second command on a fresh machine, when the first one failed."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / ".local" / "share"))
    default = tmp_path / ".local" / "share" / "crosspost" / "backup"
    for args in (["view", str(default)], ["view"], ["verify"]):
        result = run_cli(*args)
        assert result.code == ExitCode.NOT_FOUND, result.err
        assert _one_line(result.err) == (
            f"error: {default}: no backup here yet: run `crosspost backup ACCOUNT` first (if it "
            "failed, its error says why), or give the folder it printed "
            f"{'as BACKUP' if len(args) > 1 else 'with --dir'}"
        )
    missing = run_cli("import", str(tmp_path / "nope.car"))
    assert missing.code == ExitCode.NOT_FOUND
    assert "nope.car: no such file or folder" in missing.err


# --- quiet, json, and sync without rules -------------------------------------------------------


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    from tests.test_view_sample import build_sample

    build_sample(tmp_path / "b")
    for args in (["verify", str(tmp_path / "b")], ["view", str(tmp_path / "b")]):
        result = run_cli(*args, "-q")
        assert result.code == 0, result.err
        assert (result.out, result.err) == ("", "")
        assert run_cli(*args).out  # without -q, the summary


def test_view_json(tmp_path: Path) -> None:
    from tests.test_view_sample import build_sample

    build_sample(tmp_path / "b")
    result = run_cli("view", str(tmp_path / "b"), "--json", "-q")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert set(summary) == {"out", "index", "posts", "accounts", "files", "written", "unchanged",
                            "removed", "media", "bytes"}  # fmt: skip
    assert (summary["posts"], summary["accounts"], summary["unchanged"]) == (8, 3, 0)
    assert summary["index"] == (tmp_path / "b" / "site" / "index.html").as_uri()


RULES = """
[accounts.art]
platform = "tumblr"
blog = "art"

[accounts.masto]
platform = "mastodon"
handle = "alice@masto.test"

[[sync]]
name = "art-to-masto"
from = "art"
to = "masto"
"""


def test_status_json(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(RULES)
    result = run_cli("status", "-c", str(config), "--state", str(tmp_path / "s.db"), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "rules": [
            {
                "rule": "art-to-masto",
                "kind": "sync",
                "source": "art",
                "read_up_to": None,
                "targets": [
                    {
                        "target": "masto",
                        "published": 0,
                        "to_publish": 0,
                        "waiting": 0,
                        "waits": [],
                        "failed": [],
                    }
                ],
            }
        ]
    }


def test_sync_without_rules_says_where_to_add_one(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(RULES.split("[[sync]]")[0])
    result = run_cli("sync", "-c", str(config), "--state", str(tmp_path / "s.db"))
    assert result.code == 0, result.err
    assert result.out.strip() == (
        f"no sync rules in {config}: add a [[sync]] rule there (from, to, tags; "
        "config.example.toml shows one), then run `crosspost config check`"
    )


# --- accounts: headless Tumblr login, Mastodon servers on an address ---------------------------


@pytest.mark.filterwarnings("ignore::getpass.GetPassWarning")
def test_tumblr_login_without_a_keyring_prints_the_variable(tmp_path: Path) -> None:
    import keyring
    from keyring.backends import fail

    from tests.tumblr_server import CONSUMER, USER, running

    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # unannotated __init__
    with running() as server:
        config = tmp_path / "c.toml"
        config.write_text(
            f'[accounts.art]\nplatform = "tumblr"\nblog = "art"\nservice = "{server.url}"\n'
        )
        answers = f"{CONSUMER[0]}\n{CONSUMER[1]}\nthe-verifier\n"
        result = run_cli("login", "art", "--config", str(config), stdin=answers)
    assert result.code == 0, result.err
    assert "/oauth/authorize?oauth_token=" in result.out
    assert "nothing was stored" in result.out
    (line,) = [x for x in result.out.splitlines() if x.startswith("CROSSPOST_SECRET_ART=")]
    value = shlex.split(line.partition("=")[2])[0]
    fields = json.loads(value)
    assert (fields["oauth_token"], fields["oauth_token_secret"]) == USER
    assert fields["consumer_key"] == CONSUMER[0]
    from crosspost.credentials import parse_secret_text
    from crosspost.platforms.registry import parse_account_spec

    assert parse_secret_text(parse_account_spec("tumblr:art"), value) == fields


def test_mastodon_on_an_ip_and_port(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[accounts.local]\nplatform = "mastodon"\nhandle = "alice@127.0.0.1:3000"\n'
        'service = "http://127.0.0.1:3000"\n'
    )
    result = run_cli("config", "check", "-c", str(config))
    assert result.code == 0, result.err
    assert "alice@127.0.0.1:3000 via http://127.0.0.1:3000" in result.out
    assert run_cli("logout", "mastodon:alice@localhost:3000").code == 0
    assert run_cli("logout", "mastodon:alice@[::1]:3000").code == 0
    assert run_cli("logout", "mastodon:alice@bad..host").code == 3
