"""TumblrClient's profile and collections end to end against the Tumblr-shaped loopback server:
signed in (OAuth1) and with the API key alone, likes shared or not, lists only the owner sees,
short pages, ties across pages of likes, 403 and 429 answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crosspost.account_data import Collection, Entry
from crosspost.errors import DataError, PlatformError
from crosspost.platforms.base import HasCollections, HasProfile
from crosspost.platforms.tumblr.client import TumblrClient
from tests.fake_time import FakeTime
from tests.test_tumblr_flow import client_for
from tests.tumblr_account_endpoints import FORBIDDEN, THEME, uuid_of
from tests.tumblr_server import AVATAR_PNG, State, TumblrServer, running

DESCRIPTION = "<p><strong>Art</strong> and birds.</p>"


@pytest.fixture
def server() -> Iterator[TumblrServer]:
    with running() as live:
        live.state.add_posts("art", 3)
        live.state.blogs["art"] = {"title": "Art things", "description": DESCRIPTION}
        yield live


def read_collection(client: TumblrClient, kind: Collection) -> list[Entry]:
    entries: list[Entry] = []
    cursor = None
    for _ in range(200):
        page = client.fetch_collection(kind, cursor)
        entries += page.entries
        cursor = page.cursor
        if cursor is None:
            return entries
    raise AssertionError("the listing never ended")


def add_likes(state: State, count: int, tie_at: int | None = None) -> None:
    """`count` liked posts by another blog, a minute apart; from `tie_at`, three in one second."""
    for n in range(count):
        stamp = 1650000000 - n * 60
        if tie_at is not None and tie_at <= n < tie_at + 3:
            stamp = 1650000000 - tie_at * 60
        post = state.add("other", {"timestamp": 1600000000 - n, "content": []})
        post["content"] = [{"type": "text", "text": f"liked {n}"}]
        state.likes.setdefault("art", []).append({**post, "liked_timestamp": stamp})


def people(names: list[str]) -> list[dict[str, object]]:
    return [
        {"name": name, "url": f"https://{name}.tumblr.com/", "uuid": uuid_of(name), "updated": 1}
        for name in names
    ]


def test_the_client_declares_profile_and_collections(server: TumblrServer) -> None:
    client = client_for(server.url)
    assert isinstance(client, HasProfile)
    assert isinstance(client, HasCollections)


@pytest.mark.parametrize("signed", [True, False], ids=["oauth", "api-key"])
def test_profile_signed_and_with_the_api_key(server: TumblrServer, signed: bool) -> None:
    client = client_for(server.url, signed=signed)
    profile = client.fetch_profile()
    assert (profile.id, profile.handle, profile.title) == (uuid_of("art"), "art", "Art things")
    assert (profile.bio_html, profile.bio) == (DESCRIPTION, "Art and birds.")
    assert profile.url == "https://art.tumblr.com/"
    assert profile.theme == THEME
    assert profile.banner is not None
    assert profile.banner.url == THEME["header_image"]
    assert profile.avatar is not None
    assert profile.avatar.width == 512
    assert client.fetch_media(profile.avatar) == AVATAR_PNG
    assert profile.counts["posts"] == 3
    assert ("followers" in profile.counts) is signed  # the owner's eyes only
    api_calls = [is_signed for _, path, is_signed in server.state.log if path.startswith("/v2/")]
    assert api_calls == [signed]  # /info, signed or with the key; the picture is a download


def test_profile_without_avatar_sizes_uses_the_avatar_endpoint(server: TumblrServer) -> None:
    server.state.blogs["art"]["avatar"] = []
    client = client_for(server.url, signed=False)
    avatar = client.fetch_profile().avatar
    assert avatar is not None
    assert avatar.url == f"{server.url}/v2/blog/art/avatar/512"
    assert client.fetch_media(avatar) == AVATAR_PNG  # through the endpoint's redirect
    assert client.http.calls == 1  # /info once; the picture is a media download


def test_shared_likes_read_with_the_api_key_across_a_tie(server: TumblrServer) -> None:
    server.state.blogs["art"]["share_likes"] = True
    add_likes(server.state, 45, tie_at=20)  # likes 20, 21 and 22 share a second, across a page edge
    client = client_for(server.url, signed=False)
    assert client.collections() == (Collection.LIKES,)
    likes = read_collection(client, Collection.LIKES)
    assert len(likes) == len({entry.id for entry in likes}) == 45
    stamps = [entry.created_at.timestamp() for entry in likes if entry.created_at]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert likes[0].post is not None
    assert likes[0].post.text.text == "liked 0"
    assert likes[0].subject is not None
    assert likes[0].subject.account == "other"
    assert client.http.calls == 4  # /info, 21 + 20 likes (a tie read again), 7, then none
    assert all("offset=" not in path for _, path, _ in server.state.log)


def test_likes_not_shared_are_unavailable_with_the_api_key(server: TumblrServer) -> None:
    add_likes(server.state, 3)
    client = client_for(server.url, signed=False)
    assert client.collections() == ()
    reasons = client.collections_unavailable()
    assert set(reasons) == {
        Collection.LIKES,
        Collection.FOLLOWING,
        Collection.FOLLOWERS,
        Collection.BLOCKS,
    }
    assert "Share posts you like" in reasons[Collection.LIKES]
    assert "crosspost login" in reasons[Collection.FOLLOWERS]
    with pytest.raises(PlatformError, match="does not share its likes"):
        client.fetch_collection(Collection.LIKES)
    assert not any("/likes" in path for _, path, _ in server.state.log)


def test_the_owner_signed_in_reads_every_collection(server: TumblrServer) -> None:
    add_likes(server.state, 25)  # not shared: the owner reads them anyway
    server.state.following["art"] = people([f"f{n}" for n in range(30)])
    server.state.followers["art"] = people([f"r{n}" for n in range(45)])
    server.state.blocks["art"] = people([f"b{n}" for n in range(21)])
    client = client_for(server.url)
    kinds = (Collection.LIKES, Collection.FOLLOWING, Collection.FOLLOWERS, Collection.BLOCKS)
    assert client.collections() == kinds
    assert client.collections_unavailable() == {}
    assert len(read_collection(client, Collection.LIKES)) == 25
    following = read_collection(client, Collection.FOLLOWING)
    assert [entry.person.handle for entry in following if entry.person] == [
        f"f{n}" for n in range(30)
    ]
    first = following[0].person
    assert first is not None
    assert (first.id, first.url) == (uuid_of("f0"), "https://f0.tumblr.com/")
    assert len(read_collection(client, Collection.FOLLOWERS)) == 45
    assert len(read_collection(client, Collection.BLOCKS)) == 21
    assert all(signed for _, _, signed in server.state.log)


def test_short_pages_neither_repeat_nor_lose_anyone(server: TumblrServer) -> None:
    names = [f"r{n}" for n in range(50)]
    server.state.followers["art"] = people(names)
    server.state.unlisted = {"r3", "r7", "r25"}  # Tumblr drops these after cutting the page
    client = client_for(server.url)
    handles = [e.person.handle for e in read_collection(client, Collection.FOLLOWERS) if e.person]
    assert handles == [name for name in names if name not in server.state.unlisted]
    assert client.http.calls == 1 + 3  # /info, then offsets 0, 20, 40


def test_a_signed_in_reader_who_does_not_own_the_blog(server: TumblrServer) -> None:
    server.state.owned = {"someone-else"}
    server.state.blogs["art"]["share_likes"] = True
    add_likes(server.state, 2)
    client = client_for(server.url)
    assert client.collections() == (Collection.LIKES,)
    reason = client.collections_unavailable()[Collection.BLOCKS]
    assert "owner of art" in reason
    with pytest.raises(PlatformError, match="owner only"):
        client.fetch_collection(Collection.FOLLOWERS)


def test_tumblr_has_no_bookmarks_lists_or_mutes(server: TumblrServer) -> None:
    client = client_for(server.url)
    absent = {Collection.BOOKMARKS, Collection.LISTS, Collection.MUTES, Collection.REPOSTS}
    assert not absent & set(client.collections())
    assert not absent & set(client.collections_unavailable())
    with pytest.raises(DataError, match="Tumblr has no bookmarks"):
        client.fetch_collection(Collection.BOOKMARKS)


def test_a_403_says_what_happened_and_what_to_do(server: TumblrServer) -> None:
    server.state.blogs["art"]["share_likes"] = True
    client = client_for(server.url, signed=False)
    client.collections()  # /info read: the blog says it shares its likes
    forbidden = {"meta": {"status": 403, "msg": "Forbidden"}, "response": [], "errors": FORBIDDEN}
    server.state.faults.append((403, {}, forbidden))
    with pytest.raises(PlatformError) as caught:
        client.fetch_collection(Collection.LIKES)
    message = str(caught.value)
    assert "403" in message
    assert "crosspost login" in message
    assert "\n" not in message


def test_a_429_while_reading_likes_is_waited_out(server: TumblrServer) -> None:
    server.state.blogs["art"]["share_likes"] = True
    add_likes(server.state, 5)
    time = FakeTime()
    client = client_for(server.url, signed=False, time=time)
    client.collections()
    limited = {"meta": {"status": 429, "msg": "Limit Exceeded"}}
    server.state.faults.append((429, {"Retry-After": "30"}, limited))
    assert len(read_collection(client, Collection.LIKES)) == 5
    assert time.slept == [30.0]
