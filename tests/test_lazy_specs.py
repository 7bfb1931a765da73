"""Looking a platform's spec up imports its names, limits and text rules, not its entry points:
no SDK, no client, no converter, no export reader, no marker, not even the client interface
(crosspost.platforms.base) or the account-data model. `crosspost status` and every command's
start reads the specs (the config names each account's platform)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crosspost.model import Platform
from crosspost.platforms.registry import spec

NOT_AT_LOOKUP = (
    "atproto",
    "mastodon",
    "pytumblr",
    "requests",
    "requests_oauthlib",
    "httpx",
    "crosspost.account_data",
    "crosspost.platforms.base",
    "crosspost.platforms.export",
    "crosspost.platforms.bridging",
    "crosspost.platforms.retry",
)
ENTRY_MODULES = ("client", "read", "write", "export", "marker", "bridges", "portable")


def loaded_after_lookup() -> list[str]:
    code = (
        "import json, sys; from crosspost.platforms.registry import specs; specs(); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules: list[str] = json.loads(done.stdout)
    return modules


def test_a_spec_lookup_loads_no_entry_point_module() -> None:
    modules = loaded_after_lookup()
    heavy = [m for m in modules if any(m == h or m.startswith(f"{h}.") for h in NOT_AT_LOOKUP)]
    entry = [
        m
        for m in modules
        if m.startswith("crosspost.platforms.") and m.rpartition(".")[2] in ENTRY_MODULES
    ]
    assert (heavy, entry) == ([], [])


def test_the_check_sees_a_module_an_entry_point_loads() -> None:
    code = (
        "import sys; from crosspost.platforms.registry import specs; from crosspost.model import "
        "Platform; s = {x.platform: x for x in specs()}; "
        "s[Platform.BLUESKY].marker_key({}); print('crosspost.platforms.bluesky.marker' in "
        "sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("platform", "module", "name"),
    [
        (Platform.BLUESKY, "crosspost.platforms.bluesky.export", "CAR_EXPORT"),
        (Platform.MASTODON, "crosspost.platforms.mastodon.export", "ARCHIVE_EXPORT"),
    ],
)
def test_the_spec_export_format_is_the_readers_own(
    platform: Platform, module: str, name: str
) -> None:
    """The spec names the export its platform's export module defines, with the same kind,
    label and hint, and answers the same on the same file heads and member names."""
    import importlib

    own = getattr(importlib.import_module(module), name)
    (named,) = spec(platform).exports
    assert (named.kind, named.label, named.names_hint) == (own.kind, own.label, own.names_hint)
    assert (named.matches_head is None, named.matches_names is None) == (
        own.matches_head is None,
        own.matches_names is None,
    )
    heads = [b"", b"\x3a\xa2eroots\x81\xd8\x2a", b"PK\x03\x04", b"\x1f\x8b\x08"]
    names = [[], ["outbox.json"], ["archive/outbox.json"], ["media_attachments/files/1.png"], ["x"]]
    if own.matches_head is not None and named.matches_head is not None:
        assert [named.matches_head(h) for h in heads] == [own.matches_head(h) for h in heads]
    if own.matches_names is not None and named.matches_names is not None:
        assert [named.matches_names(n) for n in names] == [own.matches_names(n) for n in names]
