"""Flows against mastodon-mock on loopback: publish with media and Idempotency-Key, pagination,
edit, delete, 429 and 503. The same scenarios replay from cassettes in test_mastodon_replay."""

from __future__ import annotations

import io
from time import monotonic
from typing import Any

import pytest
from PIL import Image

from crosspost.accounts import Account
from crosspost.errors import PlatformError, RateLimitedError
from crosspost.model import Media, MediaKind, Platform, PostRef, RichText, Visibility
from crosspost.platforms.base import Draft, RetryPolicy
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.platforms.retry import REQUEST_TIMEOUT
from tests.backup_mastodon import TOKEN as MOCK_TOKEN
from tests.backup_mastodon import Mock, mastodon_mock
from tests.fake_time import FakeTime
from tests.mastodon_server import BASE_URL, IDENTITY, TOKEN, MockMastodon, mastodon_server

__all__ = ["mastodon_mock", "mastodon_server"]

ORIGIN = PostRef(Platform.TUMBLR, "staff", "123", "https://staff.tumblr.com/post/123/hello")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def make_client(time: FakeTime, **kwargs: Any) -> MastodonClient:
    account = Account("masto", Platform.MASTODON, IDENTITY, service=BASE_URL)
    retry = RetryPolicy(sleep=time.sleep, clock=time.clock)
    return MastodonClient(account, TOKEN, retry=retry, media_source=lambda m: png(), **kwargs)


def scenario_publish_with_media(server: MockMastodon) -> None:
    time = FakeTime()
    client = make_client(time)
    media = Media(MediaKind.IMAGE, alt="a red square", mime="image/png")
    draft = Draft(
        RichText("Hello from crosspost"),
        "ledger:staff:123:0",
        media=(media,),
        content_warning="colours",
        visibility=Visibility.UNLISTED,
        langs=("en",),
        origin=ORIGIN,
    )
    ref = client.publish(draft)
    assert client.publish(draft) == ref  # the same Idempotency-Key: the same status
    post = client.fetch_post(ref)
    assert post is not None
    assert post.text.text == "Hello from crosspost"
    assert post.origin == ORIGIN
    assert post.content_warning == "colours"
    assert post.visibility is Visibility.UNLISTED
    assert post.langs == ("en",)
    (uploaded,) = post.media
    assert uploaded.alt == "a red square"
    assert client.fetch_media(uploaded) == png()
    assert client.find_published(draft) == ref
    other = Draft(
        RichText("x"),
        "other",
        origin=PostRef(Platform.TUMBLR, "staff", "9", "https://staff.tumblr.com/post/9"),
    )
    assert client.find_published(other) is None
    assert time.slept == []


def scenario_thread_edit_delete(server: MockMastodon) -> None:
    client = make_client(FakeTime())
    first, second = client.publish_thread(
        [Draft(RichText("one"), "t:0", origin=ORIGIN), Draft(RichText("two"), "t:1", origin=ORIGIN)]
    )
    reply = client.fetch_post(second)
    assert reply is not None
    assert reply.reply_to is not None
    assert reply.reply_to.id == first.id
    assert (
        client.find_published(Draft(RichText("two"), "t:1", origin=ORIGIN, reply_to=first))
        == second
    )
    client.edit(first, Draft(RichText("one, edited"), "t:0", origin=ORIGIN))
    edited = client.fetch_post(first)
    assert edited is not None
    assert edited.edited_at is not None
    assert edited.text.text == "one, edited"
    assert client.fetch_source(first)[0].startswith("one, edited\n\nCrossposted from ")
    client.delete(second)
    client.delete(second)  # already gone: not an error
    assert client.fetch_post(second) is None


def scenario_pagination(server: MockMastodon) -> None:
    client = make_client(FakeTime())
    for number in range(45):
        client.api.status_post(f"status {number}")
    client.limiter.calls = 0
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = client.fetch_page(cursor)
        pages += 1
        seen += [p.ref.id for p in page.posts]
        if page.cursor is None:
            break
        cursor = page.cursor
    assert len(seen) == len(set(seen)) == 45
    assert seen == sorted(seen, key=int, reverse=True)
    assert pages == 3  # 40, 5, and the empty page that ends the listing
    # verify_credentials for the account id; the count as the listing goes comes from the
    # account each page's statuses carry, at no call
    assert client.calls == pages + 1


def scenario_rate_limit_and_unavailable(server: MockMastodon) -> None:
    time = FakeTime(1_714_557_600.0)  # the server's own clock would say otherwise: Retry-After wins
    client = make_client(time)
    server.fault("/api/v1/statuses", status=429, count=1, headers={"Retry-After": "60"})
    server.fault("/api/v1/statuses", status=503, count=1)
    ref = client.publish(Draft(RichText("after the storm"), "rl:0"))
    assert client.fetch_post(ref) is not None
    assert time.slept == [60, 2.0]  # Retry-After, then a back-off after the 503 (2nd try)
    server.fault("/api/v1/statuses", status=429, count=10, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError) as caught:
        client.publish(Draft(RichText("too soon"), "rl:1"))
    assert caught.value.retry_after == 3600


def test_publish_with_media_and_idempotency_key(mastodon_server: MockMastodon) -> None:
    scenario_publish_with_media(mastodon_server)


def test_thread_edit_delete(mastodon_server: MockMastodon) -> None:
    scenario_thread_edit_delete(mastodon_server)


def test_pagination_follows_the_link_header(mastodon_server: MockMastodon) -> None:
    scenario_pagination(mastodon_server)


def test_429_and_503_are_waited_out_or_reported(mastodon_server: MockMastodon) -> None:
    scenario_rate_limit_and_unavailable(mastodon_server)


def test_public_account_reads_without_a_token(mastodon_server: MockMastodon) -> None:
    author = make_client(FakeTime())
    author.api.status_post("public words")
    account = Account("masto", Platform.MASTODON, IDENTITY, service=BASE_URL)
    reader = MastodonClient(account, None, retry=RetryPolicy(sleep=FakeTime().sleep))
    page = reader.fetch_page()
    assert [post.text.text for post in page.posts] == ["public words"]
    assert reader.calls == 2  # the account lookup, then one page


def test_public_read_of_an_unknown_account_says_so(mastodon_server: MockMastodon) -> None:
    nobody = Account("x", Platform.MASTODON, "nobody@localhost.test", service=BASE_URL)
    reader = MastodonClient(nobody, None, retry=RetryPolicy(sleep=FakeTime().sleep))
    with pytest.raises(PlatformError, match="no such account"):
        reader.fetch_page()


def test_mastodon_calls_time_out_like_bluesky_calls() -> None:
    account = Account("masto", Platform.MASTODON, IDENTITY, service=BASE_URL)
    assert MastodonClient(account, TOKEN).api.request_timeout == REQUEST_TIMEOUT == 30.0


def test_a_hung_server_is_given_up_on_after_the_request_timeout(mastodon_mock: Mock) -> None:
    time = FakeTime()
    account = Account(
        "masto", Platform.MASTODON, mastodon_mock.identity, service=mastodon_mock.base_url
    )
    retry = RetryPolicy(sleep=time.sleep, clock=time.clock)
    client = MastodonClient(account, MOCK_TOKEN, retry=retry, request_timeout=0.3)
    client.account_id()
    mastodon_mock.fault({"type": "latency", "delay_ms": 2000}, path_regex="/statuses", count=4)
    started = monotonic()
    with pytest.raises(PlatformError, match="did not answer after 4 tries") as raised:
        client.fetch_page()
    assert monotonic() - started < 4 * 1.0  # four tries of 0.3 s, not four of 300 s
    host = mastodon_mock.base_url.removeprefix("http://")
    assert f"{host} did not answer" in str(raised.value)  # names the server, and what to check
    assert "`service`" in str(raised.value)
    # The four tries of the listing back off 1, 2, 4 s (on a loaded machine another call may
    # also have outlasted the 0.3 s and been retried before them).
    assert time.slept[-3:] == [1.0, 2.0, 4.0]


def test_a_server_nobody_answers_at_is_said_at_once_with_what_to_check() -> None:
    import socket

    with socket.socket() as sock:  # a port with nothing listening on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    account = Account(
        "masto", Platform.MASTODON, "alice@127.0.0.1", service=f"http://127.0.0.1:{port}"
    )
    slept: list[float] = []
    client = MastodonClient(account, "token", retry=RetryPolicy(sleep=slept.append))
    started = monotonic()
    with pytest.raises(PlatformError) as raised:
        client.fetch_page()
    assert monotonic() - started < 2
    assert slept == []  # no retries: nothing listens there
    message = str(raised.value)
    assert f"cannot reach 127.0.0.1:{port} (connection refused)" in message
    assert "`service`" in message
