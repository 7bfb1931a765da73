"""`crosspost sync` end to end from the loopback Tumblr server to the real local Bluesky PDS.

The CLI entry point (tests/cli_helpers.run_cli) with the state in a temporary file; the mirrors
are read back from the PDS itself (com.atproto.repo.listRecords), not through crosspost.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crosspost.state import Ledger
from tests.bluesky_pds import PdsAccount, local_pds, pds_account
from tests.cli_helpers import run_cli
from tests.fake_platform import SimulatedCrash
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

__all__ = ["local_pds", "pds_account"]

ACCOUNTS = """
[accounts.art]
platform = "tumblr"
blog = "art"
service = "{tumblr}"

[accounts.sky]
platform = "bluesky"
handle = "{handle}"
service = "{pds}"
"""
RULE = """
[[sync]]
name = "art-to-sky"
from = "art"
to = "sky"
include_tags = ["crosspost"]
"""
TWO_WAY = """
[[sync]]
name = "there"
from = "art"
to = "sky"

[[sync]]
name = "back"
from = "sky"
to = "art"
"""
LONG = " ".join(f"word{n}" for n in range(120))  # about 800 characters: 3 Bluesky posts


@pytest.fixture
def tumblr() -> Iterator[TumblrServer]:
    with running() as live:
        yield live


def configure(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tumblr: TumblrServer,
    account: PdsAccount,
    rules: str = RULE,
) -> Path:
    config = tmp_path / "config.toml"
    text = ACCOUNTS.format(tumblr=tumblr.url, handle=account.handle, pds=account.url)
    config.write_text(text + rules)
    monkeypatch.setenv("CROSSPOST_SECRET_ART", ":".join((*CONSUMER, *USER)))
    monkeypatch.setenv("CROSSPOST_SECRET_SKY", account.password)
    monkeypatch.setenv("CROSSPOST_STATE", str(tmp_path / "state.sqlite3"))
    return config


def records(account: PdsAccount) -> list[dict[str, Any]]:
    """The account's posts as the PDS stores them, oldest first."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    with httpx.Client(base_url=f"{account.url}/xrpc", timeout=30) as http:
        while True:
            params: dict[str, str | int] = {
                "repo": account.did,
                "collection": "app.bsky.feed.post",
                "limit": 100,
            }
            if cursor:
                params["cursor"] = cursor
            answer = http.get("com.atproto.repo.listRecords", params=params)
            answer.raise_for_status()
            body = answer.json()
            found += body["records"]
            cursor = body.get("cursor")
            if not cursor or not body["records"]:
                break
    return sorted(found, key=lambda r: r["value"]["createdAt"])


def seed(tumblr: TumblrServer) -> None:
    blocks = [{"type": "text", "text": "Hello from Tumblr"}]
    tumblr.state.add("art", {"timestamp": 1700000000, "content": blocks, "tags": ["crosspost"]})
    long = [{"type": "text", "text": LONG}]
    tumblr.state.add("art", {"timestamp": 1700000100, "content": long, "tags": ["crosspost"]})
    diary = [{"type": "text", "text": "Only on Tumblr"}]
    tumblr.state.add("art", {"timestamp": 1700000200, "content": diary, "tags": ["diary"]})


def check_mirrors(account: PdsAccount) -> None:
    """One short post and one thread of 3, each record once, the thread linked in order."""
    found = records(account)
    texts = [r["value"]["text"] for r in found]
    assert texts[0] == "Hello from Tumblr"
    assert len(found) == 4, texts
    assert len(set(texts)) == 4
    thread = found[1:]
    assert "reply" not in thread[0]["value"]
    for previous, record in itertools.pairwise(thread):
        assert record["value"]["reply"]["parent"]["uri"] == previous["uri"]
        assert record["value"]["reply"]["root"]["uri"] == thread[0]["uri"]
    assert all("dev.crosspost.origin" in r["value"] for r in found)


def test_sync_mirrors_to_the_pds_once_and_a_rerun_posts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tumblr: TumblrServer, pds_account: PdsAccount
) -> None:
    config = configure(tmp_path, monkeypatch, tumblr, pds_account)
    seed(tumblr)
    first = run_cli("sync", "--config", str(config))
    assert first.code == 0, first.err
    assert "art-to-sky: 3 read, 2 selected, 4 published, 0 failed" in first.out
    check_mirrors(pds_account)
    again = run_cli("sync", "--config", str(config))
    assert again.code == 0, again.err
    assert "0 published" in again.out
    check_mirrors(pds_account)


def test_a_crash_between_publish_and_ledger_write_then_a_rerun_posts_no_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tumblr: TumblrServer, pds_account: PdsAccount
) -> None:
    config = configure(tmp_path, monkeypatch, tumblr, pds_account)
    seed(tumblr)
    recorded = Ledger.record_published
    calls = []

    def crash_on_the_third(self: Ledger, *args: Any, **kwargs: Any) -> None:
        calls.append(args)
        if len(calls) == 3:  # the thread's second post is on the PDS, not in the ledger
            raise SimulatedCrash("killed between publish and ledger write")
        recorded(self, *args, **kwargs)

    monkeypatch.setattr(Ledger, "record_published", crash_on_the_third)
    with pytest.raises(SimulatedCrash):
        run_cli("sync", "--config", str(config))
    assert len(records(pds_account)) == 3
    monkeypatch.setattr(Ledger, "record_published", recorded)
    rerun = run_cli("sync", "--config", str(config))
    assert rerun.code == 0, rerun.err
    assert "1 published, 1 found already published" in rerun.out
    check_mirrors(pds_account)


def test_a_two_way_rule_does_not_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tumblr: TumblrServer, pds_account: PdsAccount
) -> None:
    config = configure(tmp_path, monkeypatch, tumblr, pds_account, TWO_WAY)
    blocks = [{"type": "text", "text": "Written on Tumblr"}]
    tumblr.state.add("art", {"timestamp": 1700000000, "content": blocks})
    _post_by_hand(pds_account, "Written on Bluesky")
    counts = []
    for _ in range(4):
        result = run_cli("sync", "--config", str(config))
        assert result.code == 0, result.err
        counts.append((len(tumblr.state.posts["art"]), len(records(pds_account))))
    assert counts == [(2, 2)] * 4
    assert "Written on Bluesky" in str(tumblr.state.posts["art"])
    assert "Written on Tumblr" in [r["value"]["text"] for r in records(pds_account)]


def _post_by_hand(account: PdsAccount, text: str) -> None:
    with httpx.Client(base_url=f"{account.url}/xrpc", timeout=30) as http:
        session = http.post(
            "com.atproto.server.createSession",
            json={"identifier": account.handle, "password": account.password},
        )
        session.raise_for_status()
        auth = {"Authorization": f"Bearer {session.json()['accessJwt']}"}
        made = http.post(
            "com.atproto.repo.createRecord",
            headers=auth,
            json={
                "repo": account.did,
                "collection": "app.bsky.feed.post",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": text,
                    "createdAt": "2024-03-01T12:00:00.000Z",
                },
            },
        )
        made.raise_for_status()


@pytest.mark.parametrize("how", ["deleted", "emptied", "garbled"])
def test_a_lost_emptied_or_garbled_ledger_posts_nothing_twice_on_bluesky(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tumblr: TumblrServer,
    pds_account: PdsAccount,
    how: str,
) -> None:
    """A short post and a thread of 3 mirrored, then the ledger lost (or emptied, or garbled and
        rebuilt with `--rebuild-ledger` as the refusal says): the next sync posts none of the four
    records again."""
    config = configure(tmp_path, monkeypatch, tumblr, pds_account)
    seed(tumblr)
    first = run_cli("sync", "--config", str(config))
    assert first.code == 0, first.out + first.err
    check_mirrors(pds_account)
    state = tmp_path / "state.sqlite3"
    if how == "deleted":
        state.unlink()
    elif how == "emptied":
        state.write_bytes(b"")
    else:
        from tests.test_state import garble

        data = state.read_bytes()
        state.write_bytes(data + bytes(8192))  # room for a page of noise past the header
        garble(state)
        garbled = state.read_bytes()
        refused = run_cli("sync", "--config", str(config))
        assert refused.code == 7, refused.out + refused.err
        assert "crosspost sync --rebuild-ledger" in refused.err
        rebuilt = run_cli("sync", "--rebuild-ledger", "--config", str(config))  # as it says
        assert rebuilt.code == 0, rebuilt.out + rebuilt.err
        (kept,) = tmp_path.glob("state.sqlite3.damaged-*")
        assert kept.read_bytes() == garbled, "the damaged file is kept as it was"
        assert "4 mirrors found and recorded" in rebuilt.out  # a post, a thread of 3
    again = run_cli("sync", "--config", str(config))
    assert again.code == 0, again.out + again.err
    assert "0 published" in again.out
    if how != "garbled":  # else the rebuild found them first
        assert "2 already mirrored, found by their markers" in again.out
    check_mirrors(pds_account)  # still one short post and one thread of 3: no duplicate
