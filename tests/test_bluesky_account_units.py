"""The Bluesky account without a server: profile and collections from real repo exports, the
getRepo snapshot's pages, and the App View's collections over a mock transport (answers in the
lexicons' shapes, checked against the SDK's models of them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from atproto_client import models

from crosspost.account_data import Collection, Entry
from crosspost.accounts import Account
from crosspost.errors import PlatformError
from crosspost.model import Platform
from crosspost.platforms.bluesky.car import load_car, read_records
from crosspost.platforms.bluesky.client import BlueskyClient
from crosspost.platforms.bluesky.export import NOT_IN_EXPORT, read_export
from crosspost.platforms.bluesky.identity import Identity
from crosspost.platforms.bluesky.snapshot import RepoSnapshot
from crosspost.platforms.bluesky.tid import is_tid
from tests.fixtures import fixture_path
from tests.scrub import FAKE_JWT

TESTDATA = "bluesky-indigo/testing/testdata/"
FAKERMAKER = TESTDATA + "fakermaker.repo.car"
GREENGROUND = TESTDATA + "greenground.repo.car"
SMALL = TESTDATA + "bafyreieovfuizojpw3zresz7sx3nk4trm2by23pt5rxbey3jme4uo5ogiu.car"
ME = "did:plc:me"
PDS = "https://pds.example"
AVATAR_CID = "bafkreifvtrxbhp7otxrhzf3kctp2ev5sbvjaf3megsrocyt5yf4nbverkm"
IMAGE_CID = "bafkreibegjvmolkg6rzbumlt6lypvh5ngf7wsrxh5taus62fi5rblj5lvy"


# --- repo exports --------------------------------------------------------------------------------


def test_fakermaker_export_has_profile_likes_reposts_follows() -> None:
    export = read_export(fixture_path(FAKERMAKER))
    assert len(list(export.posts)) == 26 + 15  # posts and reposts
    profile = export.profile()
    assert profile is not None
    assert (profile.id, profile.handle) == ("did:plc:dpg45vsnuir2vqqqadsn6afg", "")
    assert profile.display_name == "Herminia Schroeder"
    assert profile.bio.startswith("Celiac park pickled flexitarian")
    assert profile.avatar is not None
    assert profile.banner is not None
    assert (profile.avatar.mime, profile.avatar.size) == ("image/png", 120344)
    assert (profile.banner.mime, profile.banner.size) == ("image/jpeg", 98828)
    assert IMAGE_CID in str(profile.avatar.url)
    found = export.collections()
    counts = {kind: len(entries) for kind, entries in found.items()}
    assert counts == {Collection.LIKES: 22, Collection.REPOSTS: 15, Collection.FOLLOWING: 78}
    assert export.handle == ""  # a repo names its DID only


@pytest.mark.parametrize("kind", [Collection.LIKES, Collection.REPOSTS, Collection.FOLLOWING])
def test_export_entries_are_newest_first_and_match_the_records(kind: Collection) -> None:
    path = fixture_path(FAKERMAKER)
    entries = read_export(path).collections()[kind]
    nsid = {
        Collection.LIKES: "app.bsky.feed.like",
        Collection.REPOSTS: "app.bsky.feed.repost",
        Collection.FOLLOWING: "app.bsky.graph.follow",
    }[kind]
    records = {k.partition("/")[2]: r for k, r in read_records(path) if k.startswith(nsid + "/")}
    assert [e.id for e in entries] == sorted(records, reverse=True)
    for entry in entries:
        record = records[entry.id]
        assert entry.created_at is not None
        assert entry.created_at.isoformat()[:10] == record["createdAt"][:10]
        if kind.of_posts:
            assert entry.subject is not None
            assert entry.subject.id == record["subject"]["uri"]
            assert entry.subject.cid == record["subject"]["cid"]
            assert entry.subject.account == entry.subject.id.split("/")[2]  # the author's DID
            assert entry.post is None  # another account's post: not in this export
            assert entry.raw["unreadable"] == NOT_IN_EXPORT
        else:
            assert entry.person is not None
            assert entry.person.id == record["subject"]


def test_greenground_export_has_two_follows_and_no_profile() -> None:
    export = read_export(fixture_path(GREENGROUND))
    assert export.profile() is None
    (follows,) = export.collections().values()
    assert [e.person.id for e in follows if e.person] == [
        "did:plc:cz73r7iyiqn26upot4jtjdhk",
        "did:plc:6fktaamhhxdqb2ypum33kbkj",
    ]


def test_small_indigo_repo_has_a_profile_and_no_collections() -> None:
    export = read_export(fixture_path(SMALL))
    profile = export.profile()
    assert profile is not None
    assert profile.display_name == "Brendan Fraser"
    assert profile.id == "did:plc:z5vnbioquyhivxirw3bbljmu"
    assert export.collections() == {}


def test_entries_and_profile_round_trip_through_json() -> None:
    export = read_export(fixture_path(FAKERMAKER))
    for entries in export.collections().values():
        for entry in entries:
            assert Entry.from_json(json.loads(json.dumps(entry.to_json()))) == entry
    profile = export.profile()
    assert profile is not None
    assert type(profile).from_json(json.loads(json.dumps(profile.to_json()))) == profile


# --- the snapshot --------------------------------------------------------------------------------


def test_snapshot_pages_run_newest_first_and_continue_from_any_cursor() -> None:
    path = fixture_path(FAKERMAKER)
    snapshot = RepoSnapshot(load_car(path))
    keys = sorted(
        (
            k.partition("/")[2]
            for k, _ in read_records(path)
            if k.startswith("app.bsky.graph.follow/")
        ),
        reverse=True,
    )
    pages, cursor = [], None
    while True:
        items, cursor = snapshot.page("app.bsky.graph.follow", cursor, 30)
        pages.append([str(item["uri"]).rpartition("/")[2] for item in items])
        if cursor is None:
            break
    assert [len(p) for p in pages] == [30, 30, 18]
    assert [k for page in pages for k in page] == keys
    # A listRecords cursor (the last key of a page) continues the same way.
    assert snapshot.page("app.bsky.graph.follow", keys[9], 5)[0][0]["uri"].endswith(keys[10])
    assert snapshot.page("app.bsky.feed.like", None, 100)[1] is None
    assert snapshot.page("no.such.collection", None, 100) == ([], None)
    assert snapshot.rev is None  # a v2 commit; v3 commits name their revision
    v3 = RepoSnapshot(load_car(fixture_path(GREENGROUND)))
    assert v3.rev is not None
    assert is_tid(v3.rev)


# --- over a mock transport -----------------------------------------------------------------------

Handler = Callable[[httpx.Request], Any]


def client_with(
    answers: Mapping[str, Handler],
    *,
    signed_in: bool = True,
    pds_of: Callable[[str], str | None] | None = None,
    now: Callable[[], datetime] | None = None,
) -> tuple[BlueskyClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        nsid = request.url.path.rpartition("/")[2]
        if nsid == "com.atproto.server.createSession":
            return httpx.Response(
                200,
                json={
                    "did": ME,
                    "handle": "me.test",
                    "accessJwt": FAKE_JWT,
                    "refreshJwt": FAKE_JWT,
                },
            )
        if nsid not in answers:
            return httpx.Response(
                400,
                json={"error": "InvalidRequest", "message": f"No service configured for {nsid}"},
            )
        out = answers[nsid](request)
        if isinstance(out, httpx.Response):
            return out
        if isinstance(out, bytes):
            return httpx.Response(
                200, content=out, headers={"content-type": "application/vnd.ipld.car"}
            )
        return httpx.Response(200, json=out)

    account = Account("me", Platform.BLUESKY, ME, service=PDS)
    from crosspost.credentials import Secrets

    store = Secrets()
    if signed_in:
        store.save(account, {"app_password": "app-pass-word"})
    client = BlueskyClient(
        account,
        credentials=store,
        identity=Identity(ME, PDS),
        transport=httpx.MockTransport(handle),
        pds_of=pds_of or (lambda did: PDS),
        now=now or (lambda: datetime.now(UTC)),
    )
    return client, seen


def profile_view(did: str, handle: str) -> dict[str, Any]:
    return {
        "did": did,
        "handle": handle,
        "displayName": handle.split(".")[0].title(),
        "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar@jpeg",
    }


POST_VIEW: dict[str, Any] = {
    "$type": "app.bsky.feed.defs#postView",
    "uri": "at://did:plc:bob/app.bsky.feed.post/3kbookmarked",
    "cid": "bafyreibookmarked",
    "author": profile_view("did:plc:bob", "bob.test"),
    "record": {
        "$type": "app.bsky.feed.post",
        "text": "keep this",
        "createdAt": "2025-05-01T00:00:00Z",
    },
    "indexedAt": "2025-05-01T00:00:01Z",
}
FOLLOWERS = {
    "subject": profile_view(ME, "me.test"),
    "followers": [profile_view("did:plc:bob", "bob.test"), profile_view("did:plc:eve", "eve.test")],
    "cursor": "next-followers",
}
MUTES = {"mutes": [profile_view("did:plc:eve", "eve.test")]}
BOOKMARKS = {
    "bookmarks": [
        {
            "subject": {"uri": POST_VIEW["uri"], "cid": POST_VIEW["cid"]},
            "createdAt": "2025-06-01T00:00:00Z",
            "item": POST_VIEW,
        },
        {
            "subject": {"uri": "at://did:plc:gone/app.bsky.feed.post/3kgone", "cid": "bafyreigone"},
            "createdAt": "2025-05-31T00:00:00Z",
            "item": {
                "$type": "app.bsky.feed.defs#notFoundPost",
                "uri": "at://did:plc:gone/app.bsky.feed.post/3kgone",
                "notFound": True,
            },
        },
    ]
}


def test_app_view_answers_are_in_the_lexicon_shapes() -> None:
    models.AppBskyGraphGetFollowers.Response.model_validate(FOLLOWERS)
    models.AppBskyGraphGetMutes.Response.model_validate(MUTES)
    models.AppBskyBookmarkGetBookmarks.Response.model_validate(BOOKMARKS)


def test_followers_mutes_and_bookmarks_through_the_app_view_proxy() -> None:
    second = {
        "subject": FOLLOWERS["subject"],
        "followers": [profile_view("did:plc:zed", "zed.test")],
    }
    client, seen = client_with(
        {
            "app.bsky.graph.getFollowers": lambda r: (
                second if r.url.params.get("cursor") == "next-followers" else FOLLOWERS
            ),
            "app.bsky.graph.getMutes": lambda r: MUTES,
            "app.bsky.bookmark.getBookmarks": lambda r: BOOKMARKS,
        }
    )
    assert client.collections_unavailable() == {}
    assert set(client.collections()) == set(Collection) - {Collection.COMMENTS}  # Dreamwidth's
    first = client.fetch_collection(Collection.FOLLOWERS)
    assert [e.person.handle for e in first.entries if e.person] == ["bob.test", "eve.test"]
    assert first.cursor == "next-followers"
    rest = client.fetch_collection(Collection.FOLLOWERS, first.cursor)
    assert [e.id for e in rest.entries] == ["did:plc:zed"]
    assert rest.cursor is None
    # The probe's page served the first page: two getFollowers calls for two pages.
    assert client.xrpc.calls["app.bsky.graph.getFollowers"] == 2
    assert all("authorization" in r.headers for r in seen if "getFollowers" in r.url.path)
    (muted,) = client.fetch_collection(Collection.MUTES).entries
    assert muted.person is not None
    assert (muted.id, muted.person.display_name) == ("did:plc:eve", "Eve")
    kept, gone = client.fetch_collection(Collection.BOOKMARKS).entries
    assert kept.post is not None
    assert kept.post.text.text == "keep this"
    assert kept.subject is not None
    assert (kept.subject.id, kept.subject.account) == (POST_VIEW["uri"], "did:plc:bob")
    assert str(kept.created_at) == "2025-06-01 00:00:00+00:00"
    assert gone.post is None
    assert gone.id == "at://did:plc:gone/app.bsky.feed.post/3kgone"


def test_a_pds_without_app_view_names_the_kinds_it_cannot_read() -> None:
    client, _ = client_with({})
    reasons = client.collections_unavailable()
    assert set(reasons) == {Collection.FOLLOWERS, Collection.MUTES, Collection.BOOKMARKS}
    assert "has none to ask" in reasons[Collection.MUTES]
    with pytest.raises(PlatformError, match="cannot read bookmarks: Bluesky keeps this"):
        client.fetch_collection(Collection.BOOKMARKS)


def test_without_credentials_the_reason_says_to_log_in() -> None:
    need_login = httpx.Response(
        401, json={"error": "AuthMissing", "message": "Authentication Required"}
    )
    client, _ = client_with({"app.bsky.graph.getFollowers": lambda r: need_login}, signed_in=False)
    reasons = client.collections_unavailable()
    assert "crosspost login me" in reasons[Collection.FOLLOWERS]
    assert client.logins == 0


def records_page(collection: str, keys: list[str]) -> dict[str, Any]:
    return {
        "records": [
            {
                "uri": f"at://{ME}/{collection}/{k}",
                "cid": "bafyreix",
                "value": {"$type": collection, "text": k, "createdAt": "2025-01-01T00:00:00Z"},
            }
            for k in keys
        ],
        "cursor": keys[-1] if keys else None,
    }


def test_listing_falls_back_to_list_records_when_get_repo_fails() -> None:
    first = [f"3k{n:011d}" for n in range(300, 200, -1)]
    second = [f"3k{n:011d}" for n in range(200, 190, -1)]

    def listing(request: httpx.Request) -> dict[str, Any]:
        cursor = request.url.params.get("cursor")
        return records_page("app.bsky.feed.post", second if cursor else first)

    broken = httpx.Response(400, json={"error": "RepoTakendown", "message": "taken down"})
    client, _ = client_with(
        {"com.atproto.repo.listRecords": listing, "com.atproto.sync.getRepo": lambda r: broken}
    )
    page = client.fetch_page()
    assert len(page.posts) == 100
    assert page.cursor == first[-1]
    rest = client.fetch_page(page.cursor)
    assert [p.text.text for p in rest.posts] == second
    assert rest.cursor is None
    again = client.fetch_page(page.cursor)  # getRepo is not asked twice
    assert len(again.posts) == 10
    assert client.xrpc.calls == {
        "com.atproto.repo.listRecords": 3,
        "com.atproto.sync.getRepo": 1,
    }


def test_a_liked_post_on_another_pds_is_read_there_and_its_media_too() -> None:
    other = "https://other.example"
    liked = {"uri": "at://did:plc:bob/app.bsky.feed.post/3kliked", "cid": "bafyreiliked"}
    like = {
        "uri": f"at://{ME}/app.bsky.feed.like/3klike",
        "cid": "bafyreilike",
        "value": {
            "$type": "app.bsky.feed.like",
            "subject": liked,
            "createdAt": "2025-02-02T00:00:00Z",
        },
    }
    image = {
        "$type": "blob",
        "ref": {"$link": IMAGE_CID},
        "mimeType": "image/png",
        "size": 3,
    }
    record = {
        **liked,
        "value": {
            "$type": "app.bsky.feed.post",
            "text": "bob's",
            "createdAt": "2025-02-01T00:00:00Z",
            "embed": {"$type": "app.bsky.embed.images", "images": [{"image": image, "alt": ""}]},
        },
    }
    hosts: list[str] = []

    def get_record(request: httpx.Request) -> Any:
        hosts.append(request.url.host)
        return record

    def get_blob(request: httpx.Request) -> bytes:
        hosts.append(request.url.host)
        return b"png"

    client, _ = client_with(
        {
            "com.atproto.repo.describeRepo": lambda r: {
                "handle": "me.test",
                "collections": ["app.bsky.feed.like"],
            },
            "com.atproto.repo.listRecords": lambda r: {"records": [like]},
            "com.atproto.repo.getRecord": get_record,
            "com.atproto.sync.getBlob": get_blob,
        },
        pds_of=lambda did: other if did == "did:plc:bob" else PDS,
    )
    (entry,) = client.fetch_collection(Collection.LIKES).entries
    assert entry.post is not None
    assert entry.post.text.text == "bob's"
    (media,) = entry.post.media
    assert str(media.url).startswith(f"{other}/xrpc/com.atproto.sync.getBlob?did=did:plc:bob")
    assert client.fetch_media(media) == b"png"
    assert hosts == ["other.example", "other.example"]


def test_an_unreadable_liked_post_keeps_its_ref_and_the_reason() -> None:
    like = {
        "uri": f"at://{ME}/app.bsky.feed.like/3klike",
        "cid": "bafyreilike",
        "value": {
            "$type": "app.bsky.feed.like",
            "createdAt": "2025-02-02T00:00:00Z",
            "subject": {"uri": "at://did:plc:bob/app.bsky.feed.post/3kx", "cid": "bafyx"},
        },
    }
    down = httpx.Response(400, json={"error": "AccountTakedown", "message": "account taken down"})
    client, _ = client_with(
        {
            "com.atproto.repo.describeRepo": lambda r: {"handle": "me.test"},
            "com.atproto.repo.listRecords": lambda r: {"records": [like]},
            "com.atproto.repo.getRecord": lambda r: down,
        }
    )
    (entry,) = client.fetch_collection(Collection.LIKES).entries
    assert entry.post is None
    assert entry.subject is not None
    assert entry.subject.id == "at://did:plc:bob/app.bsky.feed.post/3kx"
    assert "AccountTakedown" in entry.raw["unreadable"]


def test_profile_handle_from_describe_repo_when_the_account_is_a_did(tmp_path: Path) -> None:
    profile = {
        "uri": f"at://{ME}/app.bsky.actor.profile/self",
        "cid": "bafyreiprofile",
        "value": {
            "$type": "app.bsky.actor.profile",
            "displayName": "Me",
            "avatar": {
                "$type": "blob",
                "ref": {"$link": AVATAR_CID},
                "mimeType": "image/jpeg",
                "size": 5,
            },
        },
    }
    client, _ = client_with(
        {
            "com.atproto.repo.getRecord": lambda r: profile,
            "com.atproto.repo.describeRepo": lambda r: {"handle": "me.test", "did": ME},
            "com.atproto.sync.getBlob": lambda r: b"jpeg!",
        }
    )
    got = client.fetch_profile()
    assert (got.id, got.handle, got.display_name, got.url) == (
        ME,
        "me.test",
        "Me",
        "https://bsky.app/profile/me.test",
    )
    assert got.avatar is not None
    assert client.fetch_media(got.avatar) == b"jpeg!"


def test_liked_posts_come_from_the_app_view_25_a_call() -> None:
    uris = [f"at://did:plc:bob/app.bsky.feed.post/3kpost{n:03d}" for n in range(30)]
    likes = [
        {
            "uri": f"at://{ME}/app.bsky.feed.like/3klike{n:03d}",
            "cid": "bafyreilike",
            "value": {
                "$type": "app.bsky.feed.like",
                "subject": {"uri": uri, "cid": "bafyreix"},
                "createdAt": "2025-02-02T00:00:00Z",
            },
        }
        for n, uri in enumerate(uris)
    ]
    asked: list[list[str]] = []

    def get_posts(request: httpx.Request) -> dict[str, Any]:
        wanted = request.url.params.get_list("uris")
        asked.append(wanted)
        shown = [u for u in wanted if u != uris[7]]  # one the App View does not show
        return {
            "posts": [
                {**POST_VIEW, "uri": u, "record": {**POST_VIEW["record"], "text": u}} for u in shown
            ]
        }

    client, _ = client_with(
        {
            "app.bsky.graph.getFollowers": lambda r: FOLLOWERS,
            "com.atproto.repo.describeRepo": lambda r: {"collections": ["app.bsky.feed.like"]},
            "com.atproto.repo.listRecords": lambda r: {"records": likes},
            "app.bsky.feed.getPosts": get_posts,
            "com.atproto.repo.getRecord": lambda r: httpx.Response(
                400, json={"error": "RecordNotFound", "message": "Could not locate record"}
            ),
        }
    )
    models.AppBskyFeedGetPosts.Response.model_validate(get_posts(httpx.Request("GET", PDS)))
    asked.clear()
    entries = client.fetch_collection(Collection.LIKES).entries
    assert [len(batch) for batch in asked] == [25, 5]
    assert [e.post.text.text if e.post else None for e in entries] == [
        None if n == 7 else u for n, u in enumerate(uris)
    ]
    assert entries[7].raw["unreadable"] == "the post is gone"
    assert client.xrpc.calls["com.atproto.repo.getRecord"] == 1  # only the one not shown


def test_a_kept_snapshot_serves_for_five_minutes_then_is_downloaded_again() -> None:
    car = fixture_path(FAKERMAKER).read_bytes()
    did = "did:plc:dpg45vsnuir2vqqqadsn6afg"
    clock = [datetime(2026, 3, 1, tzinfo=UTC)]
    first = [f"3k{n:011d}" for n in range(300, 200, -1)]
    client, _ = client_with(
        {
            "com.atproto.repo.listRecords": lambda r: records_page("app.bsky.graph.follow", first),
            "com.atproto.sync.getRepo": lambda r: car,
        },
        now=lambda: clock[0],
    )
    client.repo.did = did  # the fixture's repo stands in for this account's
    follows = client.fetch_collection(Collection.FOLLOWING, "3zzzzzzzzzzzz").entries
    assert len(follows) == 78  # all of them, from the snapshot: keys sort below the cursor
    clock[0] += timedelta(minutes=4)
    assert len(client.fetch_collection(Collection.FOLLOWING).entries) == 78  # no call
    assert client.xrpc.calls == {"com.atproto.sync.getRepo": 1}
    clock[0] += timedelta(minutes=2)
    assert len(client.fetch_collection(Collection.FOLLOWING, "3zzzzzzzzzzzz").entries) == 78
    assert client.xrpc.calls == {"com.atproto.sync.getRepo": 2}
