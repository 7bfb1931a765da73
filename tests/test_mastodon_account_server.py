"""The extended mastodon-mock (tests/mastodon_account_server.py) held to what real Mastodon
answers: the Mastodon.py cassettes recorded from a real server, and the API docs' examples."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from mastodon import Mastodon

from tests.backup_mastodon import TOKEN, Mock
from tests.fixtures import fixture_path
from tests.mastodon_account_server import serving

CASSETTES = "mastodon-py/tests/cassettes"
# What crosspost reads from an Account (profile.py, collections.py).
ACCOUNT_KEYS = {
    "id",
    "username",
    "acct",
    "display_name",
    "note",
    "url",
    "uri",
    "avatar",
    "header",
    "fields",
    "created_at",
    "statuses_count",
    "followers_count",
    "following_count",
    "hide_collections",
    "emojis",
}
# Mastodon's Link header: `<URL?...max_id=N>; rel="next", <URL?...min_id=N>; rel="prev"`.
LINK = re.compile(
    r'^<[^>]+[?&]max_id=(\d+)[^>]*>; rel="next", <[^>]+[?&]min_id=\d+[^>]*>; rel="prev"$'
)


def recorded(cassette: str, path_part: str, index: int = 0) -> Any:
    """The `index`-th answer a cassette recorded to a request whose address has `path_part`."""
    path = fixture_path(f"{CASSETTES}/{cassette}")
    interactions = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
    found = [i for i in interactions if path_part in i["request"]["uri"]]
    return json.loads(found[index]["response"]["body"]["string"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Mock]:
    with serving(tmp_path / "media") as mock:
        yield mock


def get(mock: Mock, path: str, token: str | None = TOKEN, **params: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.get(f"{mock.base_url}{path}", params=params, headers=headers, timeout=10)
    response.raise_for_status()
    return response


def test_accounts_have_what_a_real_server_sends(server: Mock) -> None:
    real = recorded("test_verify_credentials.yaml", "verify_credentials")
    assert real.keys() >= ACCOUNT_KEYS
    ours = get(server, "/api/v1/accounts/verify_credentials").json()
    assert ours.keys() >= ACCOUNT_KEYS
    assert ours["source"].keys() >= {"note", "fields"}
    for field in ("avatar", "header"):  # a real server's stand-in for no image
        assert real[field].rsplit("/", 3)[1:] == ours[field].rsplit("/", 3)[1:]


def test_favourites_page_by_the_favourite_not_the_status(server: Mock) -> None:
    alice, bob = (
        Mastodon(access_token=t, api_base_url=server.base_url, version_check_mode="none")
        for t in (TOKEN, "bob_token")
    )
    ids = [str(bob.status_post(f"n{n}")["id"]) for n in range(3)]
    for status_id in (ids[1], ids[0], ids[2]):
        alice.status_favourite(status_id)
    first = get(server, "/api/v1/favourites", limit=2)
    assert [s["id"] for s in first.json()] == [ids[2], ids[0]]  # the latest favourite first
    match = LINK.match(first.headers["Link"])
    assert match is not None, first.headers["Link"]
    assert match.group(1) not in ids  # the favourite's own id, which no answer carries
    rest = get(server, "/api/v1/favourites", limit=2, max_id=match.group(1))
    assert [s["id"] for s in rest.json()] == [ids[1]]
    assert 'rel="next"' not in rest.headers.get("Link", "")


def test_mutes_carry_their_expiry_and_page_like_blocks(server: Mock) -> None:
    alice = Mastodon(access_token=TOKEN, api_base_url=server.base_url, version_check_mode="none")
    for name in ("bob", "carol"):
        alice.account_mute(alice.account_lookup(name)["id"], duration=60)
    first = get(server, "/api/v1/mutes", limit=1)
    (muted,) = first.json()
    assert muted["mute_expires_at"]  # the MutedAccount entity
    assert LINK.match(first.headers["Link"])


def test_edit_versions_have_a_real_servers_keys(server: Mock) -> None:
    real = recorded("test_status_edit.yaml", "/history", -1)  # after one edit
    real_keys = {key for version in real for key in version}
    alice = Mastodon(access_token=TOKEN, api_base_url=server.base_url, version_check_mode="none")
    status = alice.status_post("before")
    alice.status_update(status["id"], "after")
    ours = get(server, f"/api/v1/statuses/{status['id']}/history").json()
    assert [v["content"] for v in ours] == ["<p>before</p>", "<p>after</p>"]
    assert {key for version in ours for key in version} == real_keys


def test_a_hidden_social_graph_is_hidden_from_others_only(server: Mock) -> None:
    alice = Mastodon(access_token=TOKEN, api_base_url=server.base_url, version_check_mode="none")
    me = alice.me()["id"]
    assert get(server, f"/api/v1/accounts/{me}/following", token=None).json()
    requests.patch(
        f"{server.base_url}/api/v1/accounts/update_credentials",
        data={"hide_collections": "true"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    ).raise_for_status()
    assert get(server, f"/api/v1/accounts/{me}/following", token=None).json() == []
    assert get(server, f"/api/v1/accounts/{me}/following").json()
