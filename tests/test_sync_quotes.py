"""Quotes mirrored end to end (issue 14): `crosspost sync` from mastodon-mock to the real local
Bluesky PDS and to another Mastodon account, and back from the PDS, read back through each
target's own API. A quote of a mirrored post quotes its mirror there (a strong ref with its CID
on Bluesky, the mirror's own `quoted_status_id` on Mastodon); a quote of a post with no mirror
links it in the text, with a link card on Bluesky."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from tests.backup_mastodon import HOST, TOKEN, Mock
from tests.bluesky_pds import PdsAccount, local_pds, pds_account
from tests.cli_helpers import run_cli
from tests.mastodon_account_server import serving
from tests.test_sync_pds import records

__all__ = ["local_pds", "pds_account"]

BOB_TOKEN = "bob_token"  # mastodon-mock's seeded second account
ACCOUNTS = """
[accounts.masto]
platform = "mastodon"
handle = "alice@mock.test"
service = "{mastodon}"

[accounts.bobm]
platform = "mastodon"
handle = "bob@mock.test"
service = "{mastodon}"

[accounts.sky]
platform = "bluesky"
handle = "{handle}"
service = "{pds}"
"""
TO_BOTH = """
[[sync]]
name = "out"
from = "masto"
to = ["sky", "bobm"]
include_tags = ["crosspost"]
kinds = ["original", "quote"]
"""
FROM_SKY = """
[[sync]]
name = "from-sky"
from = "sky"
to = "bobm"
kinds = ["original", "quote"]
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Mock]:
    with serving(tmp_path / "media") as mock:
        yield mock


def api(server: Mock, token: str = TOKEN) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=server.base_url, version_check_mode="none")


def configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Mock, sky: PdsAccount, rules: str
) -> Path:
    config = tmp_path / "config.toml"
    text = ACCOUNTS.format(host=HOST, mastodon=server.base_url, handle=sky.handle, pds=sky.url)
    config.write_text(text + rules)
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    monkeypatch.setenv("CROSSPOST_SECRET_BOBM", BOB_TOKEN)
    monkeypatch.setenv("CROSSPOST_SECRET_SKY", sky.password)
    monkeypatch.setenv("CROSSPOST_STATE", str(tmp_path / "state.sqlite3"))
    return config


def bobs(server: Mock) -> dict[str, dict[str, Any]]:
    """Bob's statuses by the first words of their text, as his server answers them."""
    bob = api(server, BOB_TOKEN)
    me = bob.account_verify_credentials()
    statuses = bob.account_statuses(me["id"], limit=40)
    return {_words(s["content"]): dict(s) for s in statuses}


def _words(html: str) -> str:
    return html.removeprefix("<p>").split("<", 1)[0].split(" #", 1)[0].strip()


def by_text(sky: PdsAccount) -> dict[str, dict[str, Any]]:
    """The account's records by the words before their first hashtag or link."""
    return {r["value"]["text"].split(" #")[0].split("\n")[0]: r for r in records(sky)}


def test_a_mastodon_quote_quotes_the_mirrors_and_links_what_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Mock, pds_account: PdsAccount
) -> None:
    alice, bob = api(server), api(server, BOB_TOKEN)
    first = alice.status_post("First light on the ridge #crosspost")
    alice.status_post("Still the best walk #crosspost", quoted_status_id=first["id"])
    stranger = bob.status_post("A walk of my own, not mirrored")
    alice.status_post("Bob walked it too #crosspost", quoted_status_id=stranger["id"])
    config = configure(tmp_path, monkeypatch, server, pds_account, TO_BOTH)

    run = run_cli("sync", "--config", str(config))
    assert run.code == 0, run.out + run.err

    sky = by_text(pds_account)
    quoted_mirror = sky["First light on the ridge"]
    embed = sky["Still the best walk"]["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.record"
    assert embed["record"] == {"uri": quoted_mirror["uri"], "cid": quoted_mirror["cid"]}
    linked = sky["Bob walked it too"]["value"]
    assert stranger["url"] in linked["text"] or "RE: " in linked["text"]
    links = [f["features"][0].get("uri") for f in linked.get("facets", [])]
    assert stranger["url"] in links
    assert linked["embed"]["$type"] == "app.bsky.embed.external"
    assert linked["embed"]["external"]["uri"] == stranger["url"]

    masto = bobs(server)
    mirror_of_first = masto["First light on the ridge"]
    quote = masto["Still the best walk"]["quote"]
    assert quote["state"] == "accepted"
    assert quote["quoted_status"]["id"] == mirror_of_first["id"]  # never alice's own id
    assert mirror_of_first["id"] != str(first["id"])
    unquoted = masto["Bob walked it too"]
    assert unquoted["quote"] is None
    assert stranger["url"] in unquoted["content"]

    again = run_cli("sync", "--config", str(config))
    assert again.code == 0
    assert len(records(pds_account)) == 3  # nothing mirrored twice


def create_post(sky: PdsAccount, text: str, embed: dict[str, Any] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": "2024-07-04T12:00:00.000Z",
    }
    if embed:
        record["embed"] = embed
    with httpx.Client(base_url=f"{sky.url}/xrpc", timeout=30) as http:
        login = {"identifier": sky.handle, "password": sky.password}
        session = http.post("com.atproto.server.createSession", json=login).json()
        body = {"repo": sky.did, "collection": "app.bsky.feed.post", "record": record}
        answer = http.post(
            "com.atproto.repo.createRecord",
            json=body,
            headers={"Authorization": f"Bearer {session['accessJwt']}"},
        )
        answer.raise_for_status()
        return dict(answer.json())


def test_a_bluesky_quote_quotes_the_mirror_on_mastodon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Mock, pds_account: PdsAccount
) -> None:
    quoted = create_post(pds_account, "Ridge at dawn")
    strong = {"uri": quoted["uri"], "cid": quoted["cid"]}
    create_post(
        pds_account, "Worth the early start", {"$type": "app.bsky.embed.record", "record": strong}
    )
    config = configure(tmp_path, monkeypatch, server, pds_account, FROM_SKY)

    run = run_cli("sync", "--config", str(config))
    assert run.code == 0, run.out + run.err

    masto = bobs(server)
    quote = masto["Worth the early start"]["quote"]
    assert quote is not None, masto["Worth the early start"]["content"]
    assert quote["quoted_status"]["id"] == masto["Ridge at dawn"]["id"]
