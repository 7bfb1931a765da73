"""Sync across several rules and both ways, end to end on real local servers: the Tumblr-shaped
server, the real Bluesky PDS and mastodon-mock (as extended to answer like Mastodon). What landed
is read back through each target's own API, not through crosspost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mastodon import Mastodon

from tests.backup_mastodon import TOKEN, Mock, mastodon_mock
from tests.bluesky_pds import PdsAccount, local_pds, pds_account
from tests.cli_helpers import run_cli
from tests.test_sync_pds import _post_by_hand, records
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

__all__ = ["local_pds", "mastodon_mock", "pds_account"]

ACCOUNTS = """
[accounts.art]
platform = "tumblr"
blog = "art"
service = "{tumblr}"

[accounts.sky]
platform = "bluesky"
handle = "{handle}"
service = "{pds}"

[accounts.masto]
platform = "mastodon"
handle = "alice@mock.test"
service = "{masto}"
"""


@pytest.fixture
def tumblr() -> Iterator[TumblrServer]:
    with running() as live:
        yield live


def configure(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tumblr: TumblrServer,
    sky: PdsAccount,
    masto: Mock,
    rules: str,
) -> Path:
    config = tmp_path / "config.toml"
    accounts = ACCOUNTS.format(
        tumblr=tumblr.url, handle=sky.handle, pds=sky.url, masto=masto.base_url
    )
    config.write_text(accounts + rules)
    monkeypatch.setenv("CROSSPOST_SECRET_ART", ":".join((*CONSUMER, *USER)))
    monkeypatch.setenv("CROSSPOST_SECRET_SKY", sky.password)
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    monkeypatch.setenv("CROSSPOST_STATE", str(tmp_path / "state.sqlite3"))
    return config


def statuses(masto: Mock) -> list[dict[str, Any]]:
    """alice's statuses as the Mastodon server lists them."""
    api = Mastodon(access_token=TOKEN, api_base_url=masto.base_url, version_check_mode="none")
    me = api.me()
    return [dict(s) for s in api.account_statuses(me["id"], limit=40)]


def sync(config: Path) -> str:
    result = run_cli("sync", "--config", str(config))
    assert result.code == 0, result.out + result.err
    return result.out


TWO_RULES = """
[[sync]]
name = "art-to-sky"
from = "art"
to = "sky"
deletes = true
edits = true

[[sync]]
name = "art-to-masto"
from = "art"
to = "masto"
deletes = true
edits = true
"""


def test_a_delete_reaches_the_mirrors_of_every_rule_and_an_edit_the_editable_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tumblr: TumblrServer,
    pds_account: PdsAccount,
    mastodon_mock: Mock,
) -> None:
    config = configure(tmp_path, monkeypatch, tumblr, pds_account, mastodon_mock, TWO_RULES)
    keep = [{"type": "text", "text": "stays everywhere"}]
    gone = [{"type": "text", "text": "deleted later"}]
    tumblr.state.add("art", {"timestamp": 1700000000, "content": keep})
    tumblr.state.add("art", {"timestamp": 1700000100, "content": gone})
    sync(config)
    assert sorted(r["value"]["text"] for r in records(pds_account)) == [
        "deleted later",
        "stays everywhere",
    ]
    assert len(statuses(mastodon_mock)) == 2

    posts = tumblr.state.posts["art"]
    posts[:] = [p for p in posts if "deleted later" not in str(p)]
    edited = next(p for p in posts if "stays everywhere" in str(p))
    edited["content"] = [{"type": "text", "text": "stays everywhere, edited"}]
    sync(config)
    assert [r["value"]["text"] for r in records(pds_account)] == ["stays everywhere"]
    on_mastodon = statuses(mastodon_mock)
    assert len(on_mastodon) == 1  # the second rule's mirror went too
    assert "stays everywhere, edited" in on_mastodon[0]["content"]


TWO_WAY = """
[[sync]]
name = "there"
from = "sky"
to = "masto"
kinds = ["original", "reply"]

[[sync]]
name = "back"
from = "masto"
to = "sky"
kinds = ["original", "reply"]
"""


def test_a_reply_written_to_a_mirror_goes_back_as_a_reply_to_the_original(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tumblr: TumblrServer,
    pds_account: PdsAccount,
    mastodon_mock: Mock,
) -> None:
    config = configure(tmp_path, monkeypatch, tumblr, pds_account, mastodon_mock, TWO_WAY)
    _post_by_hand(pds_account, "Written on Bluesky")
    sync(config)
    (mirror,) = statuses(mastodon_mock)
    api = Mastodon(
        access_token=TOKEN, api_base_url=mastodon_mock.base_url, version_check_mode="none"
    )
    api.status_post("and a reply written on Mastodon", in_reply_to_id=mirror["id"])
    sync(config)
    sync(config)  # nothing more comes of it: no loop
    found = {r["value"]["text"]: r for r in records(pds_account)}
    assert set(found) == {"Written on Bluesky", "and a reply written on Mastodon"}
    reply = found["and a reply written on Mastodon"]["value"]["reply"]
    original = found["Written on Bluesky"]["uri"]
    assert (reply["parent"]["uri"], reply["root"]["uri"]) == (original, original)
    assert len(statuses(mastodon_mock)) == 2


TO_SKY = """
[[sync]]
name = "masto-to-sky"
from = "masto"
to = "sky"
"""


def test_what_a_mastodon_post_means_lands_on_bluesky(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tumblr: TumblrServer,
    pds_account: PdsAccount,
    mastodon_mock: Mock,
) -> None:
    """A warning, an inline hashtag, text that only looks like a mention and a poll, from
    Mastodon to the real PDS, read back as the PDS stores the record."""
    config = configure(tmp_path, monkeypatch, tumblr, pds_account, mastodon_mock, TO_SKY)
    api = Mastodon(
        access_token=TOKEN, api_base_url=mastodon_mock.base_url, version_check_mode="none"
    )
    api.status_post("I love #cats and dogs, says @carol", spoiler_text="pet talk")
    api.status_post("Tea or coffee?", poll=api.make_poll(["tea", "coffee"], expires_in=86400))
    sync(config)
    found = {r["value"]["text"].split("\n")[0]: r["value"] for r in records(pds_account)}
    warned = found["CW: pet talk"]  # the warning is seen first, not hidden in a field
    assert warned["text"].count("#cats") == 1
    features = [f for facet in warned.get("facets", []) for f in facet["features"]]
    assert not [f for f in features if f["$type"].endswith("#mention")]  # no one notified
    assert [f["tag"] for f in features if f["$type"].endswith("#tag")] == ["cats"]
    poll = next(v for k, v in found.items() if k.startswith("Tea or coffee?"))
    assert "tea" in poll["text"]
    assert "coffee" in poll["text"]
