"""Integration: BlueskyClient against a real PDS on loopback (tests/bluesky_pds.py starts it)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from crosspost.accounts import Account
from crosspost.credentials import Secrets
from crosspost.model import Media, MediaKind, Platform, PostKind, PostRef, RichText, SpanKind
from crosspost.platforms.base import Draft
from crosspost.platforms.bluesky.car import read_car
from crosspost.platforms.bluesky.client import BlueskyClient
from crosspost.platforms.bluesky.richtext import detect_spans
from tests.bluesky_pds import PdsAccount, local_pds, pds_account

__all__ = ["local_pds", "pds_account"]
ORIGIN = PostRef(Platform.MASTODON, "me@example.social", "42", "https://example.social/@me/42")


def client_for(pds_account: PdsAccount) -> BlueskyClient:
    account = Account("alice", Platform.BLUESKY, pds_account.handle, service=pds_account.url)
    store = Secrets()
    store.save(account, {"app_password": pds_account.password})
    return BlueskyClient(account, credentials=store)


def test_post_with_facets_and_origin_reads_back(pds_account: PdsAccount) -> None:
    client = client_for(pds_account)
    draft = Draft(
        detect_spans("hello #crosspost https://example.com/a"),
        "src:42->bsky:0",
        origin=ORIGIN,
        langs=("en",),
    )
    ref = client.publish(draft)
    post = client.fetch_post(ref)
    assert post is not None
    assert post.text == draft.text
    assert {s.kind for s in post.text.spans} == {SpanKind.TAG, SpanKind.LINK}
    assert post.origin == ORIGIN
    assert post.langs == ("en",)


def test_images_with_alt_are_reencoded_and_downloadable(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    raw = io.BytesIO()
    Image.effect_noise((1800, 1200), 90).convert("RGB").save(raw, "PNG")
    assert len(raw.getvalue()) > 2_000_000
    path = tmp_path / "big.png"
    path.write_bytes(raw.getvalue())
    client = client_for(pds_account)
    media = (Media(MediaKind.IMAGE, alt="noise, big", local_path=str(path)),)
    ref = client.publish(Draft(RichText("pic"), "img", media=media))
    post = client.fetch_post(ref)
    assert post is not None
    (image,) = post.media
    assert (image.alt, image.width, image.height) == ("noise, big", 1800, 1200)
    assert image.size is not None
    assert image.size <= 2_000_000
    assert len(client.fetch_media(image)) == image.size


def test_thread_and_retry_after_a_crash(pds_account: PdsAccount) -> None:
    client = client_for(pds_account)
    first = client.publish(Draft(RichText("1/2"), "thread:0"))
    second_draft = Draft(RichText("2/2"), "thread:1", reply_to=first, thread_root=first)
    second = client.publish(second_draft)
    # crash between publish and ledger write: the engine asks, then publishes again
    assert client.find_published(second_draft) == second
    again = client.publish(second_draft)
    assert again == second
    page = client.fetch_page()
    assert [p.text.text for p in page.posts].count("2/2") == 1
    reply = client.fetch_post(second)
    assert reply is not None
    assert reply.kind is PostKind.REPLY
    assert reply.reply_to is not None
    assert reply.reply_to.id == first.id
    assert reply.thread_root is not None
    assert reply.thread_root.cid == first.cid


def test_list_records_and_get_repo_agree_then_delete(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    client = client_for(pds_account)
    refs = [client.publish(Draft(RichText(f"post {n}"), f"n{n}")) for n in range(5)]
    listed = {p.ref.id: p.text for p in client.fetch_page().posts}
    car = tmp_path / "repo.car"
    car.write_bytes(client.fetch_repo())
    exported = {p.ref.id: p.text for p in read_car(car)}
    assert listed == exported
    assert len(listed) == 5
    client.delete(refs[0])
    client.delete(refs[0])  # already gone: not an error
    assert client.fetch_post(refs[0]) is None
    assert client.logins == 1


def test_session_is_kept_and_reused(pds_account: PdsAccount) -> None:
    client = client_for(pds_account)
    client.publish(Draft(RichText("one"), "s1"))
    store = client._store
    assert store.load_session(client.account)  # kept apart from the app password
    saved = store.load(client.account)
    assert saved is not None
    assert not saved.get("session")
    later = BlueskyClient(client.account, credentials=store)
    later.publish(Draft(RichText("two"), "s2"))
    assert later.logins == 0
    assert later.xrpc.calls["com.atproto.server.createSession"] == 0


@pytest.mark.parametrize("count", [150])
def test_reading_costs_two_calls_however_many_pages(pds_account: PdsAccount, count: int) -> None:
    client = client_for(pds_account)
    for n in range(count):
        client.publish(Draft(RichText(f"p{n}"), f"many{n}"))
    plain = BlueskyClient(client.account, snapshots=False)  # listRecords only
    for reader in (client, plain):
        before = reader.xrpc.calls.copy()
        seen, cursor = 0, None
        while True:
            page = reader.fetch_page(cursor)
            seen += len(page.posts)
            cursor = page.cursor
            if cursor is None:
                break
        assert seen == count
        reader.xrpc.calls.subtract(before)
    # The first page from listRecords, the rest from one getRepo snapshot.
    assert +client.xrpc.calls == {"com.atproto.repo.listRecords": 1, "com.atproto.sync.getRepo": 1}
    assert +plain.xrpc.calls == {"com.atproto.repo.listRecords": 2}


def test_sync_mirrors_list_above_migrated_posts(pds_account: PdsAccount) -> None:
    client = client_for(pds_account)
    source_date = datetime(2026, 1, 1, tzinfo=UTC)
    mirror = client.publish(Draft(RichText("mirror"), "kt:0", key_time=source_date))
    migrated = Draft(
        RichText("from 2012"),
        "kt:1",
        created_at=datetime(2012, 5, 6, tzinfo=UTC),
        key_time=source_date + timedelta(minutes=1),
    )
    ref = client.publish(migrated)
    newest = client.fetch_page().posts
    # listRecords answers newest key first: the migrated post sits at its kept date, the
    # mirror of a recent source above it (where an incremental backup looks).
    assert [post.text.text for post in newest] == ["mirror", "from 2012"]
    assert (newest[0].ref, newest[1].ref) == (mirror, ref)
    assert newest[1].created_at == datetime(2012, 5, 6, tzinfo=UTC)
