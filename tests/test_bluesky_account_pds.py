"""The whole Bluesky account on the real local PDS (no App View): profile with avatar and banner,
likes, reposts, follows, blocks, lists, and listings served from one getRepo snapshot."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from crosspost.account_data import Collection, Entry
from crosspost.accounts import Account
from crosspost.credentials import Secrets
from crosspost.errors import PlatformError
from crosspost.model import Platform, Post
from crosspost.platforms.base import HasCollections, HasProfile
from crosspost.platforms.bluesky.client import BlueskyClient
from tests.backup_world import png
from tests.bluesky_pds import LocalPds, PdsAccount, create_account, local_pds, pds_account
from tests.bluesky_seed import Seeder, stamp, tid_for

__all__ = ["local_pds", "pds_account"]
POST, LIKE, REPOST = "app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.feed.repost"
FOLLOW, BLOCK = "app.bsky.graph.follow", "app.bsky.graph.block"
LIST, LISTITEM = "app.bsky.graph.list", "app.bsky.graph.listitem"
LIST_RECORDS, GET_REPO = "com.atproto.repo.listRecords", "com.atproto.sync.getRepo"


def reader(account: PdsAccount, *, signed_in: bool = True, snapshots: bool = True) -> BlueskyClient:
    acct = Account("sky", Platform.BLUESKY, account.handle, service=account.url)
    store = Secrets()
    if signed_in:
        store.save(acct, {"app_password": account.password})
    return BlueskyClient(
        acct, credentials=store, pds_of=lambda did: account.url, snapshots=snapshots
    )


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 10), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


@dataclass(frozen=True)
class World:
    alice: PdsAccount
    bob: PdsAccount
    carol: PdsAccount
    bob1: dict[str, str]
    bob3: dict[str, str]
    picture: bytes


@pytest.fixture
def seeded(local_pds: LocalPds) -> World:
    """alice likes, reposts, follows, blocks and keeps a list; bob and carol are others."""
    alice, bob, carol = (create_account(local_pds.url) for _ in range(3))
    a, b = Seeder.open(alice), Seeder.open(bob)
    picture = png(3)
    image = b.blob(picture, "image/png")
    embed = {"$type": "app.bsky.embed.images", "images": [{"image": image, "alt": "dot"}]}
    bob1 = b.create(
        POST, {"text": "bob one", "createdAt": stamp(1), "embed": embed}, tid_for("b", 1)
    )
    bob2 = b.create(POST, {"text": "bob two", "createdAt": stamp(2)}, tid_for("b", 2))
    bob3 = b.create(POST, {"text": "bob three", "createdAt": stamp(3)}, tid_for("b", 3))
    avatar, banner = a.blob(png(9), "image/png"), a.blob(jpeg(), "image/jpeg")
    a.put(
        "app.bsky.actor.profile",
        "self",
        {
            "displayName": "Alice A.",
            "description": "hello\nthere",
            "avatar": avatar,
            "banner": banner,
        },
    )
    mine = a.create(POST, {"text": "mine", "createdAt": stamp(4)}, tid_for("a", 4))
    for number, subject in enumerate((bob1, bob2, mine, bob3), start=10):
        a.create(LIKE, {"subject": subject, "createdAt": stamp(number)}, tid_for("l", number))
    for number, subject in enumerate((bob1, mine), start=20):
        a.create(REPOST, {"subject": subject, "createdAt": stamp(number)}, tid_for("r", number))
    for number, person in enumerate((bob, carol), start=30):
        a.create(FOLLOW, {"subject": person.did, "createdAt": stamp(number)}, tid_for("f", number))
    a.create(BLOCK, {"subject": carol.did, "createdAt": stamp(40)}, tid_for("k", 40))
    friends = a.create(
        LIST,
        {
            "name": "friends",
            "description": "good people",
            "purpose": "app.bsky.graph.defs#curatelist",
            "createdAt": stamp(50),
        },
        tid_for("s", 50),
    )
    for number, person in enumerate((bob, carol), start=51):
        item = {"subject": person.did, "list": friends["uri"], "createdAt": stamp(number)}
        a.create(LISTITEM, item, tid_for("i", number))
    b.delete(bob3["uri"])  # liked, then deleted by its author
    a.close()
    b.close()
    return World(alice, bob, carol, bob1, bob3, picture)


def entries(client: BlueskyClient, kind: Collection) -> list[Entry]:
    found: list[Entry] = []
    cursor = None
    while True:
        page = client.fetch_collection(kind, cursor)
        found += page.entries
        if page.cursor is None:
            return found
        cursor = page.cursor


def test_profile_reads_back_with_avatar_and_banner(seeded: World) -> None:
    alice = seeded.alice
    client = reader(alice, signed_in=False)
    assert isinstance(client, HasProfile)
    profile = client.fetch_profile()
    assert (profile.id, profile.handle) == (alice.did, alice.handle)
    assert (profile.display_name, profile.bio) == ("Alice A.", "hello\nthere")
    assert profile.avatar is not None
    assert profile.banner is not None
    assert (profile.avatar.mime, profile.banner.mime) == ("image/png", "image/jpeg")
    assert client.fetch_media(profile.avatar) == png(9)
    assert client.fetch_media(profile.banner) == jpeg()
    assert client.xrpc.calls["com.atproto.repo.getRecord"] == 1


def test_a_fresh_account_has_a_bare_profile(pds_account: PdsAccount) -> None:
    profile = reader(pds_account).fetch_profile()
    assert (profile.id, profile.handle, profile.display_name) == (
        pds_account.did,
        pds_account.handle,
        "",
    )
    assert profile.avatar is None
    assert profile.banner is None


def test_every_collection_reads_back(seeded: World) -> None:
    alice, bob, carol = seeded.alice, seeded.bob, seeded.carol
    client = reader(alice)
    assert isinstance(client, HasCollections)
    assert client.collections() == (
        Collection.LIKES,
        Collection.REPOSTS,
        Collection.FOLLOWING,
        Collection.BLOCKS,
        Collection.LISTS,
    )
    unavailable = client.collections_unavailable()
    assert set(unavailable) == {Collection.FOLLOWERS, Collection.MUTES, Collection.BOOKMARKS}
    assert all("App View" in reason for reason in unavailable.values())
    with pytest.raises(PlatformError, match="cannot read followers"):
        client.fetch_collection(Collection.FOLLOWERS)

    likes = entries(client, Collection.LIKES)
    dates = [e.created_at for e in likes if e.created_at is not None]
    assert len(dates) == 4
    assert dates == sorted(dates, reverse=True)
    texts = [e.post.text.text if isinstance(e.post, Post) else None for e in likes]
    assert texts == [None, "mine", "bob two", "bob one"]  # newest first; bob three is gone
    assert likes[0].raw["unreadable"] == "the post is gone"
    assert likes[0].subject is not None
    assert likes[0].subject.id == seeded.bob3["uri"]
    liked = likes[3]
    assert liked.subject is not None
    assert liked.post is not None
    assert (liked.subject.id, liked.subject.account) == (seeded.bob1["uri"], bob.did)
    assert liked.post.ref.account == bob.did
    (image,) = liked.post.media
    assert client.fetch_media(image) == seeded.picture

    reposts = entries(client, Collection.REPOSTS)
    assert [e.post.text.text for e in reposts if e.post] == ["mine", "bob one"]
    assert reposts[0].subject is not None
    assert reposts[0].subject.account == alice.did

    following = entries(client, Collection.FOLLOWING)
    assert [e.person.id for e in following if e.person] == [carol.did, bob.did]
    blocks = entries(client, Collection.BLOCKS)
    assert [e.person.id for e in blocks if e.person] == [carol.did]
    (friends,) = entries(client, Collection.LISTS)
    assert (friends.name, friends.description) == ("friends", "good people")
    assert {m.id for m in friends.members} == {bob.did, carol.did}
    assert all(e.id and e.created_at for e in (*likes, *reposts, *following, *blocks, friends))


def test_without_credentials_the_app_view_kinds_say_why(pds_account: PdsAccount) -> None:
    client = reader(pds_account, signed_in=False)
    reasons = client.collections_unavailable()
    assert set(reasons) == {Collection.FOLLOWERS, Collection.MUTES, Collection.BOOKMARKS}
    assert client.logins == 0
    # A second ask costs nothing: the answer is kept.
    calls = client.xrpc.total_calls
    assert client.collections()
    assert client.xrpc.total_calls == calls


def test_empty_collections_cost_no_call(pds_account: PdsAccount) -> None:
    client = reader(pds_account, signed_in=False)
    for kind in (Collection.LIKES, Collection.FOLLOWING, Collection.LISTS):
        assert client.fetch_collection(kind).entries == []
    assert client.xrpc.calls["com.atproto.repo.listRecords"] == 0
    assert client.xrpc.calls["com.atproto.repo.describeRepo"] == 1


def test_snapshot_listing_matches_list_records(pds_account: PdsAccount) -> None:
    seeder = Seeder.open(pds_account)
    posts = [{"text": f"post {n}", "createdAt": stamp(n)} for n in range(250)]
    seeder.create_many(POST, posts, "p")
    seeder.create_many(
        LIKE,
        [
            {
                "subject": {
                    "uri": f"at://{pds_account.did}/{POST}/x",
                    "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
                },
                "createdAt": stamp(n),
            }
            for n in range(130)
        ],
        "l",
    )
    seeder.close()

    def listing(client: BlueskyClient) -> list[Post]:
        found, cursor = [], None
        while True:
            page = client.fetch_page(cursor)
            found += list(page.posts)
            if page.cursor is None:
                return found
            cursor = page.cursor

    snapshot = reader(pds_account, signed_in=False)
    plain = reader(pds_account, signed_in=False, snapshots=False)
    from_snapshot, from_list = listing(snapshot), listing(plain)
    assert len(from_snapshot) == 250
    assert from_snapshot == from_list
    assert [p.text.text for p in from_snapshot[:2]] == ["post 249", "post 248"]
    assert snapshot.xrpc.calls == {LIST_RECORDS: 1, GET_REPO: 1}
    assert plain.xrpc.calls == {LIST_RECORDS: 3}
    # The snapshot serves the collections too, with no further call.
    likes = entries(snapshot, Collection.LIKES)
    assert [e.id for e in likes] == [e.id for e in entries(plain, Collection.LIKES)]
    assert len(likes) == 130
    # and one probe of the App View, which this PDS has not: the liked posts come from the repo.
    assert snapshot.xrpc.calls == {LIST_RECORDS: 1, GET_REPO: 1, "app.bsky.graph.getFollowers": 1}


def test_crosspost_backup_keeps_the_whole_bluesky_account(
    seeded: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a user runs it: `crosspost backup` of the seeded account on the real PDS, then what is
    on disk: the profile with both pictures, every collection, the liked post's image."""
    from tests.cli_helpers import run_cli

    alice = seeded.alice
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.sky]\nplatform = "bluesky"\nhandle = "{alice.handle}"\n'
        f'service = "{alice.url}"\n'
    )
    monkeypatch.setenv("CROSSPOST_SECRET_SKY", alice.password)
    out = tmp_path / "out"
    first = run_cli("backup", "sky", "-c", str(config), "-d", str(out), "--json", "-q")
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    kept = {kind: counts["entries"] for kind, counts in summary["collections"].items()}
    assert kept == {"likes": 4, "reposts": 2, "following": 2, "blocks": 1, "lists": 1}
    assert set(summary["unavailable"]) == {"followers", "mutes", "bookmarks"}  # no App View here
    folder = out / "bluesky" / alice.handle
    profile = json.loads((folder / "profile.json").read_text())["profile"]
    assert (profile["handle"], profile["id"], profile["display_name"]) == (
        alice.handle,
        alice.did,
        "Alice A.",
    )
    for picture in (profile["avatar"], profile["banner"]):
        assert (out / picture["local_path"]).is_file()
    likes = json.loads((folder / "collections" / "likes.json").read_text())["entries"]
    stored = [m for e in likes if e.get("post") for m in e["post"]["media"] if m["local_path"]]
    assert [(out / m["local_path"]).read_bytes() for m in stored] == [seeded.picture]
    dids = (folder / "collections" / "following_dids.txt").read_text().split()
    assert dids == [seeded.carol.did, seeded.bob.did]  # newest first, as followed
    text = run_cli("backup", "sky", "-c", str(config), "-d", str(out))
    assert "  likes: 4 kept, 0 new" in text.out
    assert "  followers: not backed up: " in text.out
    checked = run_cli("verify", alice.handle, "-d", str(out), "--json")
    assert checked.code == 0, checked.out


def test_the_viewer_names_the_pds_account_by_handle_with_its_avatar(
    seeded: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backup of the real PDS account, rendered and opened in Chromium: the owner by
    handle and avatar on the index and the profile page, no DID shown as words for her."""
    from tests.browser import start_chromium
    from tests.cli_helpers import run_cli

    alice = seeded.alice
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.sky]\nplatform = "bluesky"\nhandle = "{alice.handle}"\n'
        f'service = "{alice.url}"\n'
    )
    monkeypatch.setenv("CROSSPOST_SECRET_SKY", alice.password)
    out = tmp_path / "out"
    assert run_cli("backup", "sky", "-c", str(config), "-d", str(out), "-q").code == 0
    shown = run_cli("view", "sky", "-c", str(config), "-d", str(out), "-q")
    assert shown.code == 0, shown.err
    from selenium.webdriver.common.by import By

    driver = start_chromium()
    try:
        driver.get((out / "site" / "index.html").as_uri())
        owner = driver.find_element(By.CSS_SELECTOR, "article.post > header a.who")
        assert owner.text == f"@{alice.handle}"
        avatar = driver.find_element(By.CSS_SELECTOR, "article.post > header img.avatar")
        assert driver.execute_script("return arguments[0].naturalWidth", avatar) > 0
        main = driver.find_element(By.TAG_NAME, "main").text
        assert alice.did not in main
        driver.find_element(By.LINK_TEXT, "Accounts").click()
        driver.find_element(By.LINK_TEXT, f"@{alice.handle}").click()
        assert driver.find_element(By.TAG_NAME, "h1").text == "Alice A."
        banner = driver.find_element(By.CSS_SELECTOR, "img.banner")
        assert driver.execute_script("return arguments[0].naturalWidth", banner) == 30
    finally:
        driver.quit()


def test_an_unknown_handle_on_a_pds_is_named_with_what_to_check(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    from tests.cli_helpers import run_cli

    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.sky]\nplatform = "bluesky"\nhandle = "nobody-here.test"\n'
        f'service = "{pds_account.url}"\n'
    )
    result = run_cli("backup", "sky", "-c", str(config), "-d", str(tmp_path / "out"))
    assert result.code != 0
    (line,) = result.err.strip().splitlines()
    assert f"{pds_account.url} does not know the handle nobody-here.test" in line
    assert "`service`" in line
