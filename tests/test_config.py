"""Config: every key of config.example.toml reads, and every bad config is one clear line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crosspost.config import FitModeName, LinkBack, load_config
from crosspost.errors import ConfigError, ExitCode
from crosspost.model import Platform, PostKind
from tests.cli_helpers import run_cli
from tests.fixtures import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "config.example.toml"

GOOD = """
[accounts.art]
platform = "tumblr"
blog = "myart"

[accounts.sky]
platform = "bluesky"
handle = "alice.bsky.social"
service = "http://localhost:2583/"

[[sync]]
name = "r"
from = "art"
to = "sky"
include_tags = ["crosspost"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_is_valid_and_documents_every_account_kind() -> None:
    config = load_config(EXAMPLE)
    assert {a.platform for a in config.accounts.values()} == set(Platform)
    rule = config.rule("art-everywhere")
    assert rule.targets == ("sky", "masto")
    assert rule.since == datetime(2024, 1, 1, tzinfo=UTC)
    assert rule.options_for("sky").link_back is LinkBack.ALWAYS
    assert rule.options_for("masto").link_back is LinkBack.TRUNCATED
    assert rule.kinds == (PostKind.ORIGINAL,)


def test_service_is_normalised_and_accounts_resolve(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.accounts["sky"].service == "http://localhost:2583"
    assert config.account("sky").identity == "alice.bsky.social"
    assert config.account("mastodon:bob@example.social").platform is Platform.MASTODON
    assert config.rules[0].options.mode is FitModeName.THREAD
    with pytest.raises(ConfigError, match="no account named 'nope'"):
        config.account("nope")


def test_config_location_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSPOST_CONFIG", str(write(tmp_path, GOOD)))
    assert set(load_config().accounts) == {"art", "sky"}


def test_missing_default_config_is_empty_unless_required() -> None:
    assert load_config(required=False).accounts == {}
    with pytest.raises(ConfigError, match="no such config file"):
        load_config()


BAD = [
    ("syntax", "[accounts.sky\nplatform = 1", "not valid TOML"),
    (
        "unknown platform",
        '[accounts.sky]\nplatform = "blusky"\nhandle = "a.b.c"',
        "accounts.sky.platform: unknown platform 'blusky'",
    ),
    ("missing key", '[accounts.sky]\nplatform = "bluesky"', "accounts.sky.handle: missing"),
    (
        "wrong identity key",
        '[accounts.t]\nplatform = "tumblr"\nhandle = "x"',
        "accounts.t.blog: missing",
    ),
    (
        "bad handle",
        '[accounts.sky]\nplatform = "bluesky"\nhandle = "alice"',
        "accounts.sky.handle: 'alice' is not a valid Bluesky handle",
    ),
    (
        "bad service",
        '[accounts.sky]\nplatform = "bluesky"\nhandle = "a.test"\nservice = "ftp://x"',
        "accounts.sky.service: service 'ftp://x' is not an http(s) URL",
    ),
    (
        "secret in file",
        '[accounts.sky]\nplatform = "bluesky"\nhandle = "a.test"\napp_password = "abcd-efgh"',
        "accounts.sky.app_password: secrets never go in the config file",
    ),
    ("secret at top", 'mastodon_token = "x"', "mastodon_token: secrets never go in the config"),
    (
        "unknown key",
        '[accounts.sky]\nplatform = "bluesky"\nhandle = "a.test"\nhandel = "b.test"',
        "accounts.sky.handel: unknown key",
    ),
    (
        "rule names unknown account",
        GOOD.replace('to = "sky"', 'to = ["sky", "masto"]'),
        "sync[0].to: names an unknown account 'masto'",
    ),
    ("rule without from", GOOD.replace('from = "art"', ""), "sync[0].from: missing"),
    (
        "rule onto itself",
        GOOD.replace('to = "sky"', 'to = ["sky", "art"]'),
        "would mirror 'art' onto itself",
    ),
    (
        "bad mode",
        GOOD + 'mode = "haiku"\n',
        "sync[0].mode: 'haiku' is not one of: thread, truncate",
    ),
    ("bad kind", GOOD + 'kinds = ["boost"]\n', "sync[0].kinds: 'boost' is not one of"),
    ("wrong type", GOOD + "numbering = 3\n", "sync[0].numbering: must be true or false"),
    ("bad since", GOOD + 'since = "last year"\n', "sync[0].since: must be a date"),
    (
        "override of a non-target",
        GOOD + "[sync.targets.art]\nmode = 'truncate'\n",
        "sync[0].targets.art: overrides a target that is not in 'to'",
    ),
    (
        "unknown key in override",
        GOOD + "[sync.targets.sky]\nmood = 'truncate'\n",
        "sync[0].targets.sky.mood: unknown key",
    ),
    ("duplicate rule", GOOD + GOOD[GOOD.index("[[sync]]") :], "two rules are named 'r'"),
    ("accounts not a table", 'accounts = "x"', "accounts: must be a table"),
    (
        "bad account name",
        '[accounts."my sky"]\nplatform="bluesky"\nhandle="a.test"',
        "accounts.my sky",
    ),
]


@pytest.mark.parametrize(("text", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_is_one_clear_line_and_a_non_zero_exit(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    result = run_cli("config", "check", "--config", str(path))
    assert result.code == ExitCode.CONFIG
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"error: {path}: ")
    assert message in lines[0]
    assert "Traceback" not in result.err


def test_missing_config_file_names_the_file_and_what_to_do(tmp_path: Path) -> None:
    result = run_cli("config", "check", "--config", str(tmp_path / "nope.toml"))
    assert result.code == ExitCode.CONFIG
    assert "nope.toml: no such config file; copy config.example.toml" in result.err


def test_unreadable_bytes_are_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe garbage")
    result = run_cli("config", "check", "--config", str(path))
    assert result.code == ExitCode.CONFIG
    assert "cannot read the file" in result.err
