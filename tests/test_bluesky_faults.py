"""Bluesky under faults, through the shared retry policy (platforms/retry.py): the real local PDS
behind a fault-injecting proxy (tests/bluesky_faults.py), time injected so nothing waits.

A 500, 502, 503 or 504 and a dropped connection are tried again like on Mastodon; an outage that
outlasts the attempts says so (never "rate limited"); a 429 waits as Retry-After or
ratelimit-reset says."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from crosspost.accounts import Account
from crosspost.credentials import Secrets
from crosspost.errors import PlatformError, RateLimitedError
from crosspost.model import Media, MediaKind, Platform, PostRef, RichText
from crosspost.platforms.base import Draft, RetryPolicy
from crosspost.platforms.bluesky.client import BlueskyClient
from tests.bluesky_faults import FaultProxy, fault_proxy
from tests.bluesky_pds import PdsAccount, local_pds, pds_account
from tests.fake_time import FakeTime

__all__ = ["local_pds", "pds_account"]
ORIGIN = PostRef(Platform.MASTODON, "me@example.social", "7", "https://example.social/@me/7")
LIST = "com.atproto.repo.listRecords"
UPLOAD = "com.atproto.repo.uploadBlob"
CREATE = "com.atproto.repo.createRecord"


@pytest.fixture
def proxy(pds_account: PdsAccount) -> Iterator[FaultProxy]:
    with fault_proxy(pds_account.url) as running:
        yield running


def client_via(proxy: FaultProxy, pds_account: PdsAccount, time: FakeTime) -> BlueskyClient:
    account = Account("alice", Platform.BLUESKY, pds_account.handle, service=proxy.url)
    store = Secrets()
    store.save(account, {"app_password": pds_account.password})
    return BlueskyClient(account, credentials=store, retry=RetryPolicy(time.sleep, time.clock))


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
def test_a_server_error_on_listing_is_tried_again(
    proxy: FaultProxy, pds_account: PdsAccount, status: str
) -> None:
    time = FakeTime()
    client = client_via(proxy, pds_account, time)
    client.publish(Draft(RichText("kept"), "f:0", origin=ORIGIN))
    proxy.add(LIST, status, times=2)
    assert [post.text.text for post in client.fetch_page().posts] == ["kept"]
    assert time.slept == [1.0, 2.0]
    assert [kind for kind, _ in proxy.fired] == [status, status]


def test_an_outage_reads_as_an_outage(proxy: FaultProxy, pds_account: PdsAccount) -> None:
    time = FakeTime()
    client = client_via(proxy, pds_account, time)
    proxy.add(LIST, "502", times=6)
    with pytest.raises(PlatformError) as caught:
        client.fetch_page()
    assert not isinstance(caught.value, RateLimitedError)
    assert str(caught.value).startswith(
        "list posts: the server answered 502 Bad Gateway 4 times; try again later"
    )
    proxy.add(LIST, "drop", times=6)
    with pytest.raises(PlatformError, match=r"the connection failed \(\w+\) 4 times"):
        client.fetch_page()


def test_a_rate_limit_waits_as_the_server_says(proxy: FaultProxy, pds_account: PdsAccount) -> None:
    time = FakeTime()
    client = client_via(proxy, pds_account, time)
    proxy.add(LIST, "429", headers={"Retry-After": "7"})
    proxy.add(LIST, "429", headers={"ratelimit-reset": str(int(time.now) + 40)})
    assert client.fetch_page().posts == ()
    assert time.slept == [7.0, pytest.approx(33.0, abs=1)]
    proxy.add(LIST, "429", times=4, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError, match=r"rate limited by .*; try again in 3600 s"):
        client.fetch_page()


def png(tmp_path: Path) -> Media:
    raw = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 130)).save(raw, "PNG")
    path = tmp_path / "pic.png"
    path.write_bytes(raw.getvalue())
    return Media(MediaKind.IMAGE, alt="teal", local_path=str(path))


def test_server_errors_on_upload_and_create_still_publish_once(
    proxy: FaultProxy, pds_account: PdsAccount, tmp_path: Path
) -> None:
    time = FakeTime()
    client = client_via(proxy, pds_account, time)
    proxy.add(UPLOAD, "500")
    proxy.add(UPLOAD, "503")
    proxy.add(CREATE, "500")  # a real server error: no record was made
    ref = client.publish(Draft(RichText("pic"), "f:1", media=(png(tmp_path),), origin=ORIGIN))
    post = client.fetch_post(ref)
    assert post is not None
    assert [media.alt for media in post.media] == ["teal"]
    assert [post.ref for post in client.fetch_page().posts] == [ref]


def test_a_lost_answer_to_a_create_is_not_a_second_post(
    proxy: FaultProxy, pds_account: PdsAccount
) -> None:
    time = FakeTime()
    client = client_via(proxy, pds_account, time)
    proxy.add(CREATE, "lost")  # the record is made, the answer never comes
    ref = client.publish(Draft(RichText("once"), "f:2", origin=ORIGIN))
    assert [post.ref for post in client.fetch_page().posts] == [ref]
    assert [kind for kind, _ in proxy.fired] == ["lost"]


def test_a_gateway_error_while_resolving_the_handle_is_tried_again(
    proxy: FaultProxy, pds_account: PdsAccount
) -> None:
    time = FakeTime()
    proxy.add("com.atproto.identity.resolveHandle", "502", times=2)
    client = client_via(proxy, pds_account, time)
    assert client.did == pds_account.did
    assert time.slept == [1.0, 2.0]
