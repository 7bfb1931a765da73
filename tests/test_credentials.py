"""Credentials: keyring first-class, environment fallback, and secrets never shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from crosspost.accounts import Account
from crosspost.credentials import Secrets, Source
from crosspost.errors import CredentialsError, ExitCode, KeyringUnavailableError
from crosspost.platforms.registry import parse_account_spec
from tests.cli_helpers import run_cli
from tests.memory_keyring import MemoryKeyring

SKY = parse_account_spec("bluesky:alice.bsky.social")
MASTO = parse_account_spec("mastodon:alice@mastodon.social")
TUMBLR = parse_account_spec("tumblr:staff")
SECRET = "hunter2-abcd-efgh-ijkl"

CONFIG = """
[accounts.sky]
platform = "bluesky"
handle = "alice.bsky.social"

[accounts.art]
platform = "tumblr"
blog = "staff"
"""


def test_save_load_delete_round_trip(memory_keyring: MemoryKeyring) -> None:
    store = Secrets()
    assert store.load(SKY) is None
    store.save(SKY, {"app_password": SECRET})
    loaded = store.load(SKY)
    assert loaded is not None
    assert loaded["app_password"] == SECRET
    assert loaded.source is Source.KEYRING
    assert store.delete(SKY) is True
    assert store.delete(SKY) is False
    assert memory_keyring.entries == {}


def test_repr_never_shows_the_secret() -> None:
    store = Secrets(environ={SKY.secret_env: SECRET})
    loaded = store.require(SKY)
    assert SECRET not in repr(loaded)
    assert SECRET not in str(loaded)
    assert "app_password" in repr(loaded)


def test_environment_wins_and_accepts_every_documented_format() -> None:
    env = {
        SKY.secret_env: SECRET,
        MASTO.secret_env: json.dumps({"access_token": "tok"}),
        TUMBLR.secret_env: "ck:cs:ot:os",
    }
    store = Secrets(environ=env)
    assert store.require(SKY)["app_password"] == SECRET
    assert store.require(MASTO)["access_token"] == "tok"
    tumblr = store.require(TUMBLR)
    assert (tumblr["consumer_key"], tumblr["oauth_token_secret"]) == ("ck", "os")
    assert store.status(SKY).source is Source.ENV


@pytest.mark.parametrize(
    ("account", "value", "message"),
    [
        (TUMBLR, "only:three:parts", "consumer_key:consumer_secret"),
        (MASTO, '{"acces_token": "x"}', "unknown fields acces_token; missing access_token"),
        (SKY, "{not json " + SECRET, "is not valid JSON"),
    ],
)
def test_malformed_environment_secret_is_explained_without_echoing_it(
    account: Account, value: str, message: str
) -> None:
    store = Secrets(environ={account.secret_env: value})
    with pytest.raises(CredentialsError, match=message) as caught:
        store.require(account)
    assert SECRET not in str(caught.value)


def test_missing_credentials_say_how_to_add_them() -> None:
    with pytest.raises(
        CredentialsError, match=re.escape("crosspost login bluesky:alice.bsky.social")
    ):
        Secrets(environ={}).require(SKY)


def test_no_keyring_backend_names_the_environment_fallback() -> None:
    # keyring leaves KeyringBackend.__init__ unannotated.
    store = Secrets(backend=fail.Keyring(), environ={})  # type: ignore[no-untyped-call]
    assert store.load(SKY) is None
    assert "no OS keyring" in store.status(SKY).describe()
    assert SKY.secret_env in store.status(SKY).describe()
    with pytest.raises(KeyringUnavailableError, match=SKY.secret_env):
        store.save(SKY, {"app_password": SECRET})
    with pytest.raises(KeyringUnavailableError):
        store.delete(SKY)


def test_save_refuses_incomplete_secrets() -> None:
    with pytest.raises(CredentialsError, match="missing consumer_key"):
        Secrets().save(TUMBLR, {"consumer_secret": "b"})


def test_a_tumblr_api_key_alone_reads_but_cannot_publish() -> None:
    from crosspost.clients import open_client

    store = Secrets(environ={TUMBLR.secret_env: "just-the-consumer-key"})
    credentials = store.require(TUMBLR)
    assert credentials["consumer_key"] == "just-the-consumer-key"
    assert credentials.missing_for_writing(TUMBLR.platform) == [
        "consumer_secret",
        "oauth_token",
        "oauth_token_secret",
    ]
    assert open_client(TUMBLR, store=store).account is TUMBLR
    with pytest.raises(CredentialsError, match="publishing to tumblr:staff needs consumer_secret"):
        open_client(TUMBLR, store=store, for_writing=True)


# --- through the command line ---------------------------------------------------------------------


def test_login_stores_and_logout_forgets(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    result = run_cli("login", "sky", "--config", str(config), "--stdin", stdin=SECRET + "\n")
    assert result.code == 0, result.err
    assert "stored credentials for sky" in result.out
    assert SECRET not in result.out + result.err
    assert json.loads(next(iter(memory_keyring.entries.values()))) == {"app_password": SECRET}

    listed = run_cli("accounts", "--config", str(config))
    assert "credentials: keyring" in listed.out
    assert SECRET not in listed.out

    assert "removed" in run_cli("logout", "sky", "--config", str(config)).out
    assert "credentials: missing" in run_cli("accounts", "--config", str(config)).out


@pytest.mark.filterwarnings("ignore::getpass.GetPassWarning")
def test_login_prompts_for_every_tumblr_field(memory_keyring: MemoryKeyring) -> None:
    result = run_cli("login", "tumblr:staff", "--manual", stdin="ck\ncs\not\nos\n")
    assert result.code == 0, result.err
    stored = json.loads(memory_keyring.entries[("crosspost", "tumblr:staff")])
    assert stored == {
        "consumer_key": "ck",
        "consumer_secret": "cs",
        "oauth_token": "ot",
        "oauth_token_secret": "os",
    }
    assert "ck" not in result.out.replace("consumer key", "")


def test_login_without_a_keyring_says_what_to_do() -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # unannotated __init__
    result = run_cli("login", "bluesky:alice.bsky.social", "--stdin", stdin=SECRET)
    assert result.code == ExitCode.CREDENTIALS
    assert "no OS keyring" in result.err
    assert "CROSSPOST_SECRET_BLUESKY_ALICE_BSKY_SOCIAL" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_config_check_shows_presence_never_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("CROSSPOST_SECRET_SKY", SECRET)
    result = run_cli("config", "check", "--config", str(config))
    assert result.code == 0, result.err
    assert "sky" in result.out
    assert "credentials: environment" in result.out
    assert "credentials: missing (run `crosspost login art` or set CROSSPOST_SECRET_ART)" in (
        result.out
    )
    assert SECRET not in result.out


@pytest.mark.filterwarnings("ignore::getpass.GetPassWarning")
def test_tumblr_login_runs_the_oauth1_dance(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    from tests.tumblr_server import CONSUMER, USER, running

    with running() as server:
        config = tmp_path / "c.toml"
        config.write_text(
            f'[accounts.art]\nplatform = "tumblr"\nblog = "art"\nservice = "{server.url}"\n'
        )
        answers = f"{CONSUMER[0]}\n{CONSUMER[1]}\nthe-verifier\n"
        result = run_cli("login", "art", "--config", str(config), stdin=answers)
    assert result.code == 0, result.err
    assert "/oauth/authorize?oauth_token=" in result.out
    stored = json.loads(memory_keyring.entries[("crosspost", "tumblr:art")])
    assert (stored["oauth_token"], stored["oauth_token_secret"]) == USER
    assert USER[1] not in result.out
