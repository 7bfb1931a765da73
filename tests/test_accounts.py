"""The one account parser, tested on the official atproto handle/DID syntax vectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from crosspost.errors import AccountSpecError, ConfigError
from crosspost.identifiers import is_did, is_handle
from crosspost.model import Platform
from crosspost.platforms.registry import parse_account_spec
from tests.fixtures import fixture_path

SYNTAX = "atproto-interop-tests/syntax"


def vectors(name: str) -> list[str]:
    """One value per line; '#' lines are comments. Lines are not stripped: spaces matter."""
    path: Path = fixture_path(f"{SYNTAX}/{name}")
    lines = path.read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line and not line.startswith("#")]


def test_every_valid_handle_parses_as_a_bluesky_account() -> None:
    values = vectors("handle_syntax_valid.txt")
    assert len(values) > 40
    for value in values:
        assert is_handle(value), value
        account = parse_account_spec(f"bluesky:{value}")
        assert account.platform is Platform.BLUESKY
        assert account.identity == value.lower()


def test_every_invalid_handle_is_refused_with_a_clear_error() -> None:
    values = vectors("handle_syntax_invalid.txt")
    assert len(values) > 30
    for value in values:
        assert not is_handle(value), value
        if value.startswith("did:") and is_did(value):
            continue  # a valid DID spelled where a handle was expected is still an identity
        with pytest.raises(AccountSpecError, match="not a valid"):
            parse_account_spec(f"bluesky:{value}")


def test_every_valid_did_parses() -> None:
    values = vectors("did_syntax_valid.txt")
    assert len(values) > 15
    for value in values:
        assert is_did(value), value
        assert parse_account_spec(f"bluesky:{value}").identity == value


def test_every_invalid_did_is_refused() -> None:
    values = vectors("did_syntax_invalid.txt")
    assert len(values) > 10
    for value in values:
        assert not is_did(value), value
        if is_handle(value):
            continue  # e.g. "did.method.val": not a DID, but a well-formed handle
        with pytest.raises(AccountSpecError):
            parse_account_spec(f"bluesky:{value}")


def test_at_identifier_vectors() -> None:
    for value in vectors("atidentifier_syntax_valid.txt"):
        parse_account_spec(f"bluesky:{value}")
    for value in vectors("atidentifier_syntax_invalid.txt"):
        with pytest.raises(AccountSpecError):
            parse_account_spec(f"bluesky:{value}")


@pytest.mark.parametrize(
    ("spec", "platform", "identity"),
    [
        ("bluesky:Alice.BSKY.social", Platform.BLUESKY, "alice.bsky.social"),
        ("bluesky:@alice.bsky.social", Platform.BLUESKY, "alice.bsky.social"),
        (
            "bluesky:did:plc:7iza6de2dwap2sbkpav7c6c6",
            Platform.BLUESKY,
            "did:plc:7iza6de2dwap2sbkpav7c6c6",
        ),
        ("mastodon:alice@mastodon.social", Platform.MASTODON, "alice@mastodon.social"),
        ("mastodon:@Alice@Mastodon.Social", Platform.MASTODON, "Alice@mastodon.social"),
        ("tumblr:staff", Platform.TUMBLR, "staff"),
        ("tumblr:Staff.tumblr.com", Platform.TUMBLR, "staff"),
        ("tumblr:blog.example.com", Platform.TUMBLR, "blog.example.com"),
        ("Tumblr:staff", Platform.TUMBLR, "staff"),
    ],
)
def test_ad_hoc_accounts(spec: str, platform: Platform, identity: str) -> None:
    account = parse_account_spec(spec)
    assert (account.platform, account.identity) == (platform, identity)
    assert account.name == f"{platform.value}:{identity}"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("alice", "PLATFORM:IDENTITY"),
        ("bluesky:", "PLATFORM:IDENTITY"),
        ("myspace:tom", "unknown platform 'myspace'"),
        ("mastodon:alice", "expected user@server"),
        ("mastodon:alice@", "expected user@server"),
        ("mastodon:al ice@mastodon.social", "expected user@server"),
        ("tumblr:-staff", "not a Tumblr blog"),
        ("tumblr:" + "a" * 33, "not a Tumblr blog"),
        ("bluesky:alice", "not a valid Bluesky handle"),
    ],
)
def test_bad_ad_hoc_accounts(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_account_spec(spec)


def test_secret_env_name_is_derived_from_the_account_name() -> None:
    assert parse_account_spec("bluesky:alice.bsky.social").secret_env == (
        "CROSSPOST_SECRET_BLUESKY_ALICE_BSKY_SOCIAL"
    )
