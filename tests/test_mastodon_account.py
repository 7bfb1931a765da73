"""The whole account through the API, end to end against mastodon-mock as extended to answer in
Mastodon's shapes (tests/mastodon_account_server.py): profile, every collection paged by its
Link header, the public reader's view, rate limits, and edit history. The scenarios replay from
cassettes in test_mastodon_account_replay."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
import requests
from mastodon import Mastodon
from PIL import Image

from crosspost.account_data import Collection, Entry
from crosspost.accounts import Account
from crosspost.errors import PlatformError, RateLimitedError
from crosspost.model import MediaKind, Platform, PostKind, PostRef
from crosspost.platforms.base import HasCollections, HasEditHistory, HasProfile, RetryPolicy
from crosspost.platforms.mastodon import collections
from crosspost.platforms.mastodon.client import MastodonClient
from tests.fake_time import FakeTime
from tests.mastodon_server import BASE_URL, IDENTITY, TOKEN, MockMastodon, mastodon_server

__all__ = ["mastodon_server"]

HOST = IDENTITY.partition("@")[2]  # a handle names the host without the port

# Checked by mypy: the client has these abilities' methods, with their signatures.
_profiles: list[type[HasProfile]] = [MastodonClient]
_collections: list[type[HasCollections]] = [MastodonClient]
_histories: list[type[HasEditHistory]] = [MastodonClient]


def api(token: str) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=BASE_URL, version_check_mode="none")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def client(time: FakeTime, token: str | None = TOKEN) -> MastodonClient:
    account = Account("masto", Platform.MASTODON, IDENTITY, service=BASE_URL)
    return MastodonClient(account, token, retry=RetryPolicy(sleep=time.sleep, clock=time.clock))


@dataclass
class World:
    """What alice did, in order: the ids to expect back."""

    bob_statuses: list[str]
    favourited: list[str]  # in the order alice favourited them
    bookmarked: list[str]
    boosted: list[str]


def make_world() -> World:
    alice, bob, carol = api(TOKEN), api("bob_token"), api("carol_token")
    bob_statuses = [str(bob.status_post(f"bob says {n}")["id"]) for n in range(5)]
    carol_status = str(carol.status_post("carol, unlisted", visibility="unlisted")["id"])
    # Favourited out of status order: Mastodon lists the latest favourite first.
    favourited = [bob_statuses[3], bob_statuses[0], carol_status, bob_statuses[4], bob_statuses[1]]
    for status_id in favourited:
        alice.status_favourite(status_id)
    bookmarked = [bob_statuses[2], bob_statuses[0]]
    for status_id in bookmarked:
        alice.status_bookmark(status_id)
    alice.status_post("alice's own words")
    boosted = [bob_statuses[1], bob_statuses[3]]
    for status_id in boosted:
        alice.status_reblog(status_id)
        alice.status_post("and more of her own")
    bob_id, carol_id = (str(api(t).me()["id"]) for t in ("bob_token", "carol_token"))
    bob.account_follow(alice.me()["id"])
    alice.account_mute(carol_id, duration=3600)
    friends = alice.list_create("Friends")
    alice.list_accounts_add(friends["id"], [bob_id])
    update_profile(
        {
            "note": "Writes <b>things</b>",
            "fields_attributes[0][name]": "Home",
            "fields_attributes[0][value]": "https://alice.example",
            "fields_attributes[1][name]": "Pronouns",
            "fields_attributes[1][value]": "she/her",
        },
        avatar=png(),
    )
    return World(bob_statuses, favourited, bookmarked, boosted)


def update_profile(form: dict[str, str], avatar: bytes | None = None) -> None:
    """PATCH update_credentials with a fixed file name (Mastodon.py names an upload at random,
    which a cassette could not replay)."""
    files = {"avatar": ("avatar.png", avatar, "image/png")} if avatar else None
    response = requests.patch(
        f"{BASE_URL}/api/v1/accounts/update_credentials",
        data=form,
        files=files,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    response.raise_for_status()


def read_all(reader: MastodonClient, kind: Collection) -> Iterator[Entry]:
    cursor: str | None = None
    while True:
        page = reader.fetch_collection(kind, cursor)
        yield from page.entries
        if page.cursor is None:
            return
        cursor = page.cursor


def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two entries a page, so every listing pages by its Link header."""
    for kind, listing in list(collections.LISTINGS.items()):
        if listing.limit:
            monkeypatch.setitem(collections.LISTINGS, kind, replace(listing, limit=2))
    monkeypatch.setattr(collections, "ACCOUNT_PAGE", 2)


def scenario_collections(server: MockMastodon, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world()
    small_pages(monkeypatch)
    reader = client(FakeTime())
    # Every collection of an account; a journal's comments are Dreamwidth's alone.
    assert reader.collections() == tuple(k for k in Collection if k is not Collection.COMMENTS)
    assert reader.collections_unavailable() == {}

    likes = list(read_all(reader, Collection.LIKES))
    assert [e.subject.id for e in likes if e.subject] == world.favourited[::-1]
    assert len({e.id for e in likes}) == len(likes)
    carols = next(e for e in likes if e.post and "carol" in e.post.text.text)
    assert carols.subject is not None
    assert carols.post is not None
    assert carols.subject.id == world.favourited[2]
    assert carols.subject.account == carols.post.ref.account == f"carol@{HOST}"
    assert all(e.created_at is None for e in likes)  # Mastodon does not say when

    bookmarks = list(read_all(reader, Collection.BOOKMARKS))
    assert [e.subject.id for e in bookmarks if e.subject] == world.bookmarked[::-1]

    reposts = list(read_all(reader, Collection.REPOSTS))
    assert [e.subject.id for e in reposts if e.subject] == world.boosted[::-1]
    assert all(e.created_at is not None and e.post is not None for e in reposts)
    assert all(e.id.endswith("/activity") or e.id.startswith("http") for e in reposts)
    # The posts listing is unchanged: alice's own statuses only.
    assert all(p.kind is not PostKind.REPOST for p in reader.fetch_page().posts)

    following = list(read_all(reader, Collection.FOLLOWING))
    assert [e.person.handle for e in following if e.person] == [f"bob@{HOST}"]
    followers = list(read_all(reader, Collection.FOLLOWERS))
    assert [e.person.display_name for e in followers if e.person] == ["Bob"]
    (muted,) = read_all(reader, Collection.MUTES)
    assert muted.person is not None
    assert muted.person.display_name == "Carol"
    assert muted.raw["mute_expires_at"]
    assert list(read_all(reader, Collection.BLOCKS)) == []
    (friends,) = read_all(reader, Collection.LISTS)
    assert friends.name == "Friends"
    assert [m.display_name for m in friends.members] == ["Bob"]
    for entry in following + followers + [muted]:
        assert entry.person is not None
        assert entry.id == entry.person.id
        assert entry.person.id.startswith("http")


def scenario_profile(server: MockMastodon) -> None:
    make_world()
    profile = client(FakeTime()).fetch_profile()
    assert profile.handle == IDENTITY
    assert profile.id.startswith("http")
    assert profile.display_name == "Alice"
    assert profile.bio == "Writes <b>things</b>"  # the note as typed (source.note)
    assert next((f.name, f.value) for f in profile.fields)[0] == "Home"
    assert profile.avatar is not None
    assert profile.avatar.kind is MediaKind.IMAGE
    assert profile.avatar.url
    assert profile.avatar.mime == "image/png"
    assert profile.banner is None  # Mastodon's missing.png: no header chosen
    assert profile.counts["posts"] == 5  # 3 of her own, 2 boosts
    assert profile.counts["followers"] == 1
    assert profile.counts["following"] == 1
    public = client(FakeTime(), token=None).fetch_profile()
    assert public.id == profile.id
    assert public.bio_html == profile.bio_html
    assert public.bio == "Writes things"  # no source.note: the HTML as text


def scenario_public_reader(server: MockMastodon) -> None:
    make_world()
    reader = client(FakeTime(), token=None)
    readable = {Collection.REPOSTS, Collection.FOLLOWING, Collection.FOLLOWERS}
    assert set(reader.collections()) == readable
    reasons = reader.collections_unavailable()
    assert set(reasons) == set(Collection) - readable - {Collection.COMMENTS}
    assert "crosspost login masto" in reasons[Collection.LIKES]
    with pytest.raises(PlatformError, match="crosspost login masto"):
        reader.fetch_collection(Collection.BOOKMARKS)
    assert [e.subject.id for e in read_all(reader, Collection.REPOSTS) if e.subject]
    update_profile({"hide_collections": "true"})
    hidden = client(FakeTime(), token=None)
    assert Collection.FOLLOWING in hidden.collections_unavailable()
    assert "hides whom it follows" in hidden.collections_unavailable()[Collection.FOLLOWERS]


def scenario_rate_limited(server: MockMastodon) -> None:
    make_world()
    time = FakeTime()
    reader = client(time)
    reader.account_id()
    server.fault("/api/v1/favourites", status=429, count=1, headers={"Retry-After": "30"})
    server.fault("/api/v1/favourites", status=503, count=1)
    assert len(reader.fetch_collection(Collection.LIKES).entries) == 5
    assert time.slept == [30, 2.0]
    server.fault("/api/v1/bookmarks", status=429, count=10, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError) as caught:
        reader.fetch_collection(Collection.BOOKMARKS)
    assert caught.value.retry_after == 3600
    # A token without read:mutes: Mastodon's 403, as its docs word it.
    scope = {"error": "This action is outside the authorized scopes"}
    server.fault("/api/v1/mutes", status=403, count=1, body=scope)
    with pytest.raises(PlatformError, match=r"outside the authorized scopes.*crosspost login"):
        client(FakeTime()).fetch_collection(Collection.MUTES)  # a budget the 429s left whole


def scenario_history(server: MockMastodon) -> None:
    alice = api(TOKEN)
    status = alice.status_post("first words", spoiler_text="")
    alice.status_update(status["id"], "second words")
    alice.status_update(status["id"], "third words", spoiler_text="a warning")
    reader = client(FakeTime())
    ref = PostRef(Platform.MASTODON, IDENTITY, str(status["id"]))
    versions = reader.fetch_history(ref)
    assert [v.text.text for v in versions] == ["first words", "second words", "third words"]
    assert [v.content_warning for v in versions] == ["", "", "a warning"]
    assert versions[0].edited_at is None
    assert all(v.created_at == versions[0].created_at for v in versions)
    assert versions[1].edited_at is not None
    assert versions[2].edited_at is not None
    assert versions[1].edited_at <= versions[2].edited_at
    assert all(v.ref.id == ref.id for v in versions)
    assert reader.fetch_history(PostRef(Platform.MASTODON, IDENTITY, "404404")) == []


def test_collections_page_by_their_link_headers(
    mastodon_server: MockMastodon, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario_collections(mastodon_server, monkeypatch)


def test_profile_signed_in_and_as_the_public(mastodon_server: MockMastodon) -> None:
    scenario_profile(mastodon_server)


def test_the_public_reader_is_told_what_it_cannot_read(mastodon_server: MockMastodon) -> None:
    scenario_public_reader(mastodon_server)


def test_collections_wait_out_rate_limits(mastodon_server: MockMastodon) -> None:
    scenario_rate_limited(mastodon_server)


def test_edit_history_oldest_first(mastodon_server: MockMastodon) -> None:
    scenario_history(mastodon_server)
