"""A lost or emptied ledger before a sync: nothing is posted twice. The real CLI syncs 12 tagged
posts of a Tumblr blog to mastodon-mock and to a Tumblr blog on the Tumblr-shaped server; the
state file is deleted (or emptied to 0 bytes), Mastodon's Idempotency-Key memory is gone (every
key unknown to it, as an hour later on a real server), and the next sync finds the mirrors by
their markers before it posts anything. Counted through the servers' APIs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from crosspost.accounts import Account
from crosspost.model import Platform, Post
from crosspost.platforms.base import PlatformClient
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.sync.recover import all_posts
from tests.backup_mastodon import TOKEN, Mock, mastodon_mock
from tests.cli_helpers import run_cli
from tests.test_tumblr_flow import client_for
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

__all__ = ["mastodon_mock"]
POSTS = 12
CONFIG = """
[accounts.src]
platform = "tumblr"
blog = "src"
service = "{tumblr}"

[accounts.art]
platform = "tumblr"
blog = "art"
service = "{tumblr}"

[accounts.masto]
platform = "mastodon"
handle = "alice@localhost.test"
service = "{mastodon}"

[[sync]]
name = "out"
from = "src"
to = ["masto", "art"]
include_tags = ["crosspost"]
"""


@pytest.fixture
def tumblr() -> Iterator[TumblrServer]:
    with running() as live:
        yield live


@pytest.fixture
def setup(
    tumblr: TumblrServer, mastodon_mock: Mock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(tumblr=tumblr.url, mastodon=mastodon_mock.base_url))
    for blog in ("SRC", "ART"):
        monkeypatch.setenv(f"CROSSPOST_SECRET_{blog}", ":".join((*CONSUMER, *USER)))
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    monkeypatch.setenv("CROSSPOST_STATE", str(tmp_path / "state.sqlite3"))
    for n in range(POSTS):
        tumblr.state.add(
            "src",
            {
                "timestamp": 1700000000 + n * 60,
                "content": [{"type": "text", "text": f"lost ledger post {n}"}],
                "tags": ["crosspost"],
            },
        )
    return config


def mirrors(client: PlatformClient) -> Counter[str]:
    """How many posts of the account carry each source's marker."""
    found: list[Post] = list(all_posts(client))
    return Counter(p.origin.key for p in found if p.origin is not None)


def on_mastodon(mock: Mock) -> Counter[str]:
    account = Account("masto", Platform.MASTODON, "alice@localhost.test", mock.base_url)
    return mirrors(MastodonClient(account, TOKEN))


def on_tumblr(server: TumblrServer) -> Counter[str]:
    return mirrors(client_for(server.url))  # the blog `art`, signed: drafts and queue too


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_lost_ledger_posts_nothing_twice(
    setup: Path,
    tumblr: TumblrServer,
    mastodon_mock: Mock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    first = run_cli("sync", "--config", str(setup))
    assert first.code == 0, first.out + first.err
    assert "12 selected, 24 published, 0 failed" in first.out
    masto, art = on_mastodon(mastodon_mock), on_tumblr(tumblr)
    assert (len(masto), len(art)) == (POSTS, POSTS)
    assert set(masto.values()) == set(art.values()) == {1}

    state = tmp_path / "state.sqlite3"
    if how == "deleted":
        state.unlink()
    else:
        state.write_bytes(b"")
    # Mastodon forgets Idempotency-Keys after about an hour: every key is a new one to it.
    monkeypatch.setattr(
        "crosspost.platforms.mastodon.write.idempotency_key", lambda draft: f"k-{uuid4()}"
    )
    second = run_cli("sync", "--config", str(setup))
    assert second.code == 0, second.out + second.err
    assert "0 published" in second.out
    assert "24 already mirrored, found by their markers" in second.out
    assert on_mastodon(mastodon_mock) == masto, "a post was mirrored twice on Mastodon"
    assert on_tumblr(tumblr) == art, "a post was mirrored twice on Tumblr"

    status = run_cli("status", "--config", str(setup))
    assert "masto: 12 published, 0 to publish" in status.out
    assert "art: 12 published, 0 to publish" in status.out
    third = run_cli("sync", "--config", str(setup))
    assert "0 published" in third.out
    assert "found by their markers" not in third.out  # the ledger knows the targets again
