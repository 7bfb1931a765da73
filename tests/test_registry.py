"""Every platform has a complete registry entry, and the entries answer as the platforms do."""

from __future__ import annotations

import importlib
from dataclasses import fields

import pytest

from crosspost.errors import AccountSpecError
from crosspost.model import Platform
from crosspost.platforms.registry import mention_platform, parse_account_spec, profile_url, spec
from crosspost.platforms.spec import PlatformSpec

# Fields a platform may leave at their defaults: not every platform has these.
OPTIONAL = {"reserve_marker", "marker_key", "exports", "login"}


@pytest.mark.parametrize("platform", list(Platform), ids=str)
def test_every_platform_has_a_complete_spec(platform: Platform) -> None:
    entry = spec(platform)
    assert entry.platform is platform
    assert entry.limits.platform is platform
    assert entry.limits.text.name == entry.display_name
    for field in fields(PlatformSpec):
        if field.name == "caps" and platform is Platform.DREAMWIDTH:
            # Dreamwidth's posting rate (`rateallowed-post`) is a site setting not published in
            # its source; the client reports fault 405 when the site refuses.
            assert entry.caps == ()
        elif field.name not in OPTIONAL:
            assert getattr(entry, field.name) not in (None, "", ()), field.name
    rules = entry.credentials
    assert set(rules.required) <= set(rules.write) | set(rules.optional)
    assert set(rules.write) <= set(rules.prompts), "login prompts for every write field"
    example = entry.identity_example
    assert entry.normalize_identity(example) == example
    assert parse_account_spec(f"{platform.value}:{example}").platform is platform


@pytest.mark.parametrize("platform", list(Platform), ids=str)
def test_every_platform_folder_has_the_named_modules(platform: Platform) -> None:
    """`read.py: to_post`, `write.py: from_draft`, `marker.py`, `client.py`: the same names in
    every folder, so a reader finds them where they expect."""
    base = f"crosspost.platforms.{platform.value}"
    assert callable(importlib.import_module(f"{base}.read").to_post)
    assert callable(importlib.import_module(f"{base}.write").from_draft)
    importlib.import_module(f"{base}.marker")
    importlib.import_module(f"{base}.client")


def test_a_spec_lookup_loads_no_sdk() -> None:
    """Start-up stays quick: the registry names entry points, it does not import clients."""
    import subprocess
    import sys

    code = (
        "import sys; from crosspost.platforms.registry import specs; specs(); "
        "print(sorted(m for m in ('atproto', 'mastodon', 'requests_oauthlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("value", "owner"),
    [
        ("did:plc:ewvi7nxzyoun6zhxrhs64oiz", Platform.BLUESKY),
        ("https://staff.tumblr.com/", Platform.TUMBLR),
        ("https://www.tumblr.com/staff", Platform.TUMBLR),
        ("https://mastodon.social/@Gargron", Platform.MASTODON),
        ("https://pleroma.example/users/alice", Platform.MASTODON),
    ],
)
def test_mentions_are_claimed_by_their_network(value: str, owner: Platform) -> None:
    assert mention_platform(value) is owner
    is_local = spec(owner).limits.text.mention_is_local
    assert is_local is not None
    assert is_local(value)


def test_a_bluesky_mention_links_to_its_profile() -> None:
    assert profile_url("did:plc:abc") == "https://bsky.app/profile/did:plc:abc"
    assert profile_url("https://mastodon.social/@Gargron") == "https://mastodon.social/@Gargron"


def test_an_unknown_platform_is_a_clear_error() -> None:
    with pytest.raises(AccountSpecError, match="unknown platform 'myspace'"):
        parse_account_spec("myspace:tom")
