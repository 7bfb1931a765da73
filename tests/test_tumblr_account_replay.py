"""The Tumblr profile and collections replayed offline from cassettes: the profile with the API
key, shared likes across a tie, and the owner's following list signed with OAuth1. Record them
(server on the pinned port) with `pytest tests/test_tumblr_account_replay.py
--record-mode=rewrite`; the Authorization header and the `api_key` parameter are dropped at
record time (tests/scrub.py)."""

from __future__ import annotations

import pytest

from crosspost.account_data import Collection
from tests.fixtures import PROJECT_ROOT
from tests.scrub import FILTER_HEADERS, cassette_text, request_header_names
from tests.test_tumblr_account_flow import add_likes, people, read_collection
from tests.test_tumblr_flow import client_for
from tests.tumblr_account_endpoints import THEME, uuid_of
from tests.tumblr_server import CONSUMER, USER, Replaying, TumblrServer, recording_server

__all__ = ["recording_server"]
Server = TumblrServer | Replaying
CASSETTES = PROJECT_ROOT / "cassettes" / "test_tumblr_account_replay"


@pytest.mark.vcr
def test_profile_with_the_api_key(recording_server: Server) -> None:
    recording_server.state.blogs["art"] = {"title": "Art things", "description": "<p>Birds</p>"}
    profile = client_for(recording_server.url, signed=False).fetch_profile()
    assert (profile.id, profile.handle, profile.bio) == (uuid_of("art"), "art", "Birds")
    assert profile.theme == THEME
    assert profile.avatar is not None
    assert profile.avatar.width == 512


@pytest.mark.vcr
def test_shared_likes_across_a_tie(recording_server: Server) -> None:
    recording_server.state.blogs["art"] = {"share_likes": True}
    add_likes(recording_server.state, 30, tie_at=20)
    client = client_for(recording_server.url, signed=False)
    likes = read_collection(client, Collection.LIKES)
    assert len(likes) == len({entry.id for entry in likes}) == 30
    assert client.http.calls == 3


@pytest.mark.vcr
def test_the_owners_following_signed(recording_server: Server) -> None:
    recording_server.state.following["art"] = people([f"f{n}" for n in range(25)])
    client = client_for(recording_server.url)
    handles = [e.person.handle for e in read_collection(client, Collection.FOLLOWING) if e.person]
    assert handles == [f"f{n}" for n in range(25)]


def test_cassettes_hold_no_oauth_header_or_key() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) == 3, "record the cassettes first (see the module docstring)"
    secrets = (CONSUMER[0], CONSUMER[1], USER[0], USER[1], "oauth_signature", "OAuth ")
    for path in files:
        text = cassette_text(path)
        assert not request_header_names(path) & set(FILTER_HEADERS), path.name
        assert "api_key" not in text, path.name
        for secret in secrets:
            assert secret not in text, (path.name, secret)
