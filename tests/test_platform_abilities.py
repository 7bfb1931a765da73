"""Each adapter declares the optional abilities it has (platforms/base.py), and only those."""

from __future__ import annotations

import pytest

from crosspost.accounts import Account
from crosspost.model import Platform
from crosspost.platforms.base import (
    CanEdit,
    HasRepoExport,
    HasServerLimits,
    HasStableId,
    PlatformClient,
)
from crosspost.platforms.bluesky.client import BlueskyClient
from crosspost.platforms.bluesky.identity import Identity
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.platforms.tumblr.client import TumblrClient

ABILITIES: list[type] = [CanEdit, HasServerLimits, HasRepoExport, HasStableId]
DECLARED: dict[type, set[type]] = {
    BlueskyClient: {HasRepoExport, HasStableId},
    MastodonClient: {CanEdit, HasServerLimits},
    TumblrClient: set(),
}

# Checked by mypy: each adapter has the methods, with the signatures, of what it declares.
_clients: list[type[PlatformClient]] = [BlueskyClient, MastodonClient, TumblrClient]
_editors: list[type[CanEdit]] = [MastodonClient]
_server_limits: list[type[HasServerLimits]] = [MastodonClient]
_repo_exports: list[type[HasRepoExport]] = [BlueskyClient]
_stable_ids: list[type[HasStableId]] = [BlueskyClient]


@pytest.mark.parametrize("client", list(DECLARED), ids=lambda c: c.__name__)
def test_each_adapter_has_exactly_the_abilities_it_declares(client: type) -> None:
    assert {a for a in ABILITIES if issubclass(client, a)} == DECLARED[client]


def test_a_bluesky_clients_stable_id_is_its_did_not_its_handle() -> None:
    account = Account("sky", Platform.BLUESKY, "alice.test")
    client = BlueskyClient(account, identity=Identity("did:plc:abc123", "https://pds.test"))
    assert isinstance(client, HasStableId)
    assert client.stable_id() == "did:plc:abc123"
