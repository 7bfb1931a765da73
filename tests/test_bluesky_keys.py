"""Bluesky record keys come from the source post, so publishing twice cannot make two posts.

Units on the key scheme, then the real local PDS (tests/bluesky_pds.py): the same draft published
by a fresh client (a lost ledger) finds the record already there; a key held by another post is
never taken for ours; migrated posts list in the order of their kept dates.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from crosspost.accounts import Account
from crosspost.credentials import Secrets
from crosspost.errors import PlatformError
from crosspost.model import Platform, PostRef, RichText
from crosspost.platforms.base import Draft
from crosspost.platforms.bluesky.client import BlueskyClient
from crosspost.platforms.bluesky.identity import Identity
from crosspost.platforms.bluesky.marker import ORIGIN_FIELD
from crosspost.platforms.bluesky.refs import POST_COLLECTION
from crosspost.platforms.bluesky.tid import decode_tid, is_tid, tid_from_key
from tests.bluesky_pds import PdsAccount, local_pds, pds_account

__all__ = ["local_pds", "pds_account"]
SOURCE = PostRef(Platform.MASTODON, "me@example.social", "113", "https://example.social/@me/113")
SOURCE_AT = datetime(2026, 12, 3, 9, 30, 12, 345000, tzinfo=UTC)


def millis(when: datetime) -> int:
    return (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def offline_client() -> BlueskyClient:
    account = Account("a", Platform.BLUESKY, "did:plc:me", service="http://pds.invalid")
    return BlueskyClient(account, identity=Identity("did:plc:me", "http://pds.invalid"))


def mirror(key: str = "mastodon:113->bsky#0", text: str = "hello") -> Draft:
    """A sync mirror as the engine plans it: the key time is the source's own date."""
    return Draft(RichText(text), key, origin=SOURCE, key_time=SOURCE_AT)


# --- the key scheme ------------------------------------------------------------------------------


def test_a_key_is_a_tid_at_the_date_with_the_hash_in_the_clock_id() -> None:
    tid = tid_from_key("k", SOURCE_AT)
    assert is_tid(tid)
    assert len(tid) == 13
    micros, clock_id = decode_tid(tid)
    # The timestamp keeps the date to the millisecond; below it, and the clock id, the hash.
    assert micros // 1000 == millis(SOURCE_AT)
    assert 0 <= clock_id < 1024
    assert tid_from_key("k", SOURCE_AT) == tid  # the same on every run, on every machine
    assert tid_from_key("k#1", SOURCE_AT) != tid  # the chunks of one thread


def test_the_kept_date_wins_over_the_key_time() -> None:
    client = offline_client()
    kept = datetime(2014, 5, 6, 7, 8, 9, tzinfo=UTC)
    draft = Draft(RichText("x"), "k", created_at=kept, key_time=SOURCE_AT)
    micros, _ = decode_tid(client.rkey_for(draft))
    assert micros // 1000 == millis(kept)
    micros, _ = decode_tid(client.rkey_for(mirror()))
    assert micros // 1000 == millis(SOURCE_AT)


def test_kept_dates_a_second_apart_sort_in_date_order() -> None:
    """Tumblr dates are whole seconds: keys one second apart must not swap."""
    client = offline_client()
    start = datetime(2013, 1, 1, tzinfo=UTC)
    drafts = [
        Draft(RichText(str(n)), f"tumblr:{n}->bsky#0", created_at=start + timedelta(seconds=n))
        for n in range(300)
    ]
    keys = [client.rkey_for(draft) for draft in drafts]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


# --- on the real PDS -----------------------------------------------------------------------------


def fresh_client(pds_account: PdsAccount) -> BlueskyClient:
    """A client as a run with no ledger and no kept session opens it."""
    account = Account("alice", Platform.BLUESKY, pds_account.handle, service=pds_account.url)
    store = Secrets()
    store.save(account, {"app_password": pds_account.password})
    return BlueskyClient(account, credentials=store)


def listed(client: BlueskyClient) -> list[str]:
    return [post.ref.id for post in client.fetch_page().posts]


def test_the_same_draft_from_a_fresh_client_is_one_record(pds_account: PdsAccount) -> None:
    first = fresh_client(pds_account).publish(mirror())
    again_client = fresh_client(pds_account)
    again = again_client.publish(mirror())
    assert again == first
    assert listed(again_client) == [first.id]
    # A thread's second chunk is a record of its own.
    second = again_client.publish(mirror("mastodon:113->bsky#1", "part two"))
    assert second != first
    assert sorted(listed(again_client)) == sorted([first.id, second.id])


def test_a_key_held_by_another_post_is_not_taken_for_ours(pds_account: PdsAccount) -> None:
    client = fresh_client(pds_account)
    draft = mirror()
    squatter = {
        "$type": POST_COLLECTION,
        "text": "someone else",
        "createdAt": "2026-12-03T09:30:12.000Z",
        ORIGIN_FIELD: {"platform": "mastodon", "account": "x", "id": "1", "key": "other#0"},
    }
    body = {
        "repo": client.did,
        "collection": POST_COLLECTION,
        "rkey": client.rkey_for(draft),
        "record": squatter,
    }
    client._write("seed", "com.atproto.repo.createRecord", body)
    with pytest.raises(PlatformError, match="already holds another post"):
        client.publish(draft)


def test_migrated_posts_list_in_kept_date_order(pds_account: PdsAccount) -> None:
    client = fresh_client(pds_account)
    start = datetime(2015, 3, 1, 12, tzinfo=UTC)
    made = datetime.now(UTC)
    drafts = [
        Draft(
            RichText(f"old {n}"),
            f"tumblr:{n}->bsky#0",
            created_at=start + timedelta(seconds=n),
            key_time=made + timedelta(seconds=random.random()),  # first intents, any order
        )
        for n in range(8)
    ]
    for draft in random.sample(drafts, len(drafts)):
        client.publish(draft)
    texts = [post.text.text for post in client.fetch_page().posts]
    assert texts == [f"old {n}" for n in reversed(range(8))]  # newest key first


def test_the_pds_refuses_a_second_create_at_a_taken_key(pds_account: PdsAccount) -> None:
    """The PDS itself refuses a second create at a taken key (the fact the client relies on)."""
    client = fresh_client(pds_account)
    ref = client.publish(mirror())
    session = httpx.post(
        f"{pds_account.url}/xrpc/com.atproto.server.createSession",
        json={"identifier": pds_account.handle, "password": pds_account.password},
    ).json()
    body = {
        "repo": client.did,
        "collection": POST_COLLECTION,
        "rkey": ref.id.rpartition("/")[2],
        "record": {"$type": POST_COLLECTION, "text": "dup", "createdAt": "2026-01-01T00:00:00Z"},
    }
    answer = httpx.post(
        f"{pds_account.url}/xrpc/com.atproto.repo.createRecord",
        json=body,
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
    )
    assert answer.status_code >= 400
