"""BlueskyClient flows replayed offline from cassettes recorded against the real local PDS.

Record them with `pytest tests/test_bluesky_replay.py --record-mode=rewrite`: that starts a fresh
PDS on the pinned port (tests/bluesky_pds.py) and makes one account per test with a fixed handle.
Nothing here hard-codes a DID: each comes from the recorded answers. At record time
(tests/scrub.py) the Authorization header is dropped, passwords in JSON bodies become "********"
and JWTs become an unsigned fake one with a far-future `exp`, which the SDK still decodes.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from crosspost.accounts import Account
from crosspost.credentials import Secrets
from crosspost.errors import PlatformError
from crosspost.model import (
    LinkCard,
    Media,
    MediaKind,
    Platform,
    PostKind,
    PostRef,
    RichText,
    SpanKind,
)
from crosspost.platforms.base import Draft, RetryPolicy
from crosspost.platforms.bluesky.car import read_car, read_rev
from crosspost.platforms.bluesky.client import PAGE_SIZE, BlueskyClient
from crosspost.platforms.bluesky.refs import POST_COLLECTION, format_time
from crosspost.platforms.bluesky.richtext import detect_spans
from crosspost.platforms.bluesky.tid import decode_tid, tid_from_key
from tests.bluesky_pds import create_account, recording_pds
from tests.fixtures import PROJECT_ROOT
from tests.scrub import FAKE_JWT, FILTER_HEADERS, SCRUBBED, cassette_text, request_header_names

__all__ = ["recording_pds"]
CASSETTES = PROJECT_ROOT / "cassettes" / "test_bluesky_replay"
NOW = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
ORIGIN = PostRef(Platform.MASTODON, "me@example.social", "42", "https://example.social/@me/42")


def png(colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), colour).save(out, "PNG")
    return out.getvalue()


def never_sleep(seconds: float) -> None:
    raise AssertionError(f"a replay must not wait ({seconds} s)")


def load_thumb(url: str) -> bytes:
    if "missing" in url:
        raise PlatformError(f"cannot download {url}: HTTPStatusError")
    return png("orange")


def client_on(url: str, handle: str, *, snapshots: bool = True) -> BlueskyClient:
    """A fresh account (recorded too: its password comes back scrubbed) and a client for it."""
    made = create_account(url, handle)
    account = Account("alice", Platform.BLUESKY, made.handle, service=url)
    store = Secrets()
    store.save(account, {"app_password": made.password})
    return BlueskyClient(
        account,
        credentials=store,
        now=lambda: NOW,
        retry=RetryPolicy(sleep=never_sleep),
        load_media=lambda media: png(),
        load_thumb=load_thumb,
        snapshots=snapshots,
    )


@pytest.mark.vcr
def test_login_once_and_keep_the_session(recording_pds: str) -> None:
    client = client_on(recording_pds, "replay-login.test")
    client.publish(Draft(RichText("one"), "s1"))
    client.publish(Draft(RichText("two"), "s2"))
    assert client.logins == 1
    assert client.xrpc.calls["com.atproto.server.createSession"] == 1
    assert client._store.load_session(client.account)  # kept apart from the app password
    later = BlueskyClient(client.account, credentials=client._store, load_media=client._load_media)
    later.publish(Draft(RichText("three"), "s3"))
    assert later.logins == 0
    assert later.xrpc.calls["com.atproto.server.createSession"] == 0


@pytest.mark.vcr
def test_post_with_facets_image_and_alt(recording_pds: str) -> None:
    client = client_on(recording_pds, "replay-media.test")
    text = detect_spans("hello #crosspost https://example.com/a")
    media = (Media(MediaKind.IMAGE, alt="a teal rectangle"),)
    draft = Draft(text, "post:0", media=media, origin=ORIGIN, langs=("en",), key_time=NOW)
    ref = client.publish(draft)
    assert ref.id == f"at://{client.did}/{POST_COLLECTION}/{client.rkey_for(draft)}"
    micros, _ = decode_tid(client.rkey_for(draft))
    assert abs(micros / 1e6 - NOW.timestamp()) < 2  # the key sorts by when the mirror was made
    post = client.fetch_post(ref)
    assert post is not None
    assert post.text == text
    assert {span.kind for span in post.text.spans} == {SpanKind.TAG, SpanKind.LINK}
    assert post.origin == ORIGIN
    assert post.created_at == NOW
    (image,) = post.media
    assert (image.alt, image.width, image.height, image.mime) == (
        "a teal rectangle",
        12,
        8,
        "image/png",
    )
    assert client.fetch_media(image) == png()
    assert post.raw["value"]["createdAt"] == format_time(NOW)


@pytest.mark.vcr
def test_thread_and_retry_after_a_crash(recording_pds: str) -> None:
    client = client_on(recording_pds, "replay-thread.test")
    first = client.publish(Draft(RichText("1/2"), "thread:0"))
    second_draft = Draft(RichText("2/2"), "thread:1", reply_to=first, thread_root=first)
    second = client.publish(second_draft)
    # A crash between publishing and writing the ledger: the engine looks, then publishes again.
    assert client.find_published(second_draft) == second
    assert client.publish(second_draft) == second  # the PDS answers 500 on the taken key
    reply = client.fetch_post(second)
    assert reply is not None
    assert reply.kind is PostKind.REPLY
    assert reply.reply_to is not None
    assert reply.reply_to.id == first.id
    assert reply.thread_root is not None
    assert reply.thread_root.cid == first.cid
    assert [p.text.text for p in client.fetch_page().posts].count("2/2") == 1


@pytest.mark.vcr
def test_list_records_pages_and_get_repo_agree(recording_pds: str, tmp_path: Path) -> None:
    # listRecords alone (the getRepo snapshot that serves later pages is off): both agree.
    client = client_on(recording_pds, "replay-paging.test", snapshots=False)
    count = PAGE_SIZE + 5
    writes = [
        {
            "$type": "com.atproto.repo.applyWrites#create",
            "collection": POST_COLLECTION,
            "rkey": tid_from_key(f"seed:{n}"),
            "value": {"$type": POST_COLLECTION, "text": f"p{n}", "createdAt": format_time(NOW)},
        }
        for n in range(count)
    ]
    client._write("seed", "com.atproto.repo.applyWrites", {"repo": client.did, "writes": writes})
    listed: dict[str, str] = {}
    cursor, pages = None, 0
    while True:
        page = client.fetch_page(cursor)
        pages += 1
        listed.update((post.ref.id, post.text.text) for post in page.posts)
        cursor = page.cursor
        if cursor is None:
            break
    assert (len(listed), pages) == (count, 2)
    assert client.xrpc.calls["com.atproto.repo.listRecords"] == 2
    car = tmp_path / "repo.car"
    car.write_bytes(client.fetch_repo())
    assert {post.ref.id: post.text.text for post in read_car(car)} == listed


@pytest.mark.vcr
def test_delete_twice_then_gone(recording_pds: str) -> None:
    client = client_on(recording_pds, "replay-delete.test")
    ref = client.publish(Draft(RichText("short-lived"), "del:0"))
    assert client.fetch_post(ref) is not None
    client.delete(ref)
    client.delete(ref)  # already gone: not an error
    assert client.fetch_post(ref) is None
    assert client.fetch_page().posts == ()


@pytest.mark.vcr
def test_incremental_get_repo_since_a_rev(recording_pds: str, tmp_path: Path) -> None:
    client = client_on(recording_pds, "replay-since.test")
    for n in range(3):
        client.publish(Draft(RichText(f"old {n}"), f"old:{n}"))
    full = tmp_path / "full.car"
    full.write_bytes(client.fetch_repo())
    rev = read_rev(full)
    assert rev is not None
    assert len(list(read_car(full))) == 3
    new = [client.publish(Draft(RichText(f"new {n}"), f"new:{n}")) for n in range(2)]
    diff = tmp_path / "diff.car"
    diff.write_bytes(client.fetch_repo(since=rev))
    assert sorted(post.text.text for post in read_car(diff)) == ["new 0", "new 1"]
    assert {post.ref.id for post in read_car(diff)} == {ref.id for ref in new}
    assert (read_rev(diff) or "") > rev


@pytest.mark.vcr
def test_link_card_thumbnail_is_uploaded(recording_pds: str) -> None:
    client = client_on(recording_pds, "replay-card.test")
    card = LinkCard("https://example.com/a", "A page", "About it", "https://example.com/t.png")
    ref = client.publish(Draft(RichText("look"), "card:0", link_card=card))
    post = client.fetch_post(ref)
    assert post is not None
    assert post.link_card is not None
    assert (post.link_card.url, post.link_card.title) == ("https://example.com/a", "A page")
    thumb = post.link_card.thumb_url
    assert thumb is not None
    assert "com.atproto.sync.getBlob" in thumb
    assert client.fetch_media(Media(MediaKind.IMAGE, url=thumb)) == png("orange")
    gone = LinkCard("https://example.com/b", "B", "", "https://example.com/missing.png")
    bare = client.fetch_post(client.publish(Draft(RichText("no pic"), "card:1", link_card=gone)))
    assert bare is not None
    assert bare.link_card is not None
    assert bare.link_card.thumb_url is None  # the card stays, without its picture


# --- the cassettes themselves ----------------------------------------------------------------

_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
_APP_PASSWORD = re.compile(r"\b[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}\b")
_PASSWORD_FIELD = re.compile(r'"password"\s*:\s*"([^"]*)"')


def test_cassettes_hold_no_secret() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) == 7, "record the cassettes first (see the module docstring)"
    for path in files:
        text = cassette_text(path)  # `!!binary` bodies and headers decoded
        assert "createSession" in text or "createAccount" in text
        assert "user-agent" in request_header_names(path)
        assert not request_header_names(path) & set(FILTER_HEADERS), path.name
        assert set(_JWT.findall(text)) <= {FAKE_JWT}, path.name
        assert not _APP_PASSWORD.search(text), path.name
        passwords = _PASSWORD_FIELD.findall(text)
        assert passwords, path.name  # createAccount sent one, createAppPassword answered one
        assert set(passwords) == {SCRUBBED}, path.name
