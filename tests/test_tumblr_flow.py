"""TumblrClient against the Tumblr-shaped loopback server: paging, signed NPF posts with media,
the daily caps, 429 pacing, marker lookup, delete, and the OAuth1 login dance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from crosspost.accounts import Account
from crosspost.errors import CredentialsError, RateLimitedError
from crosspost.model import Media, MediaKind, Platform, PostRef, RichText
from crosspost.platforms.base import Draft, RetryPolicy
from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.http import OAuthKeys
from crosspost.platforms.tumblr.oauth import login
from tests.fake_time import FakeTime
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def server() -> Iterator[TumblrServer]:
    with running() as live:
        yield live


def client_for(
    url: str, *, signed: bool = True, time: FakeTime | None = None, **options: object
) -> TumblrClient:
    time = time or FakeTime()
    account = Account("art", Platform.TUMBLR, "art", service=url)
    keys = OAuthKeys(*CONSUMER, *(USER if signed else ("", "")))
    retry = RetryPolicy(sleep=time.sleep, clock=time.clock, max_wait=3600)
    return TumblrClient(account, keys, retry=retry, media_loader=lambda m: PNG, **options)  # type: ignore[arg-type]


def draft(key: str = "k1", **fields: object) -> Draft:
    origin = PostRef(
        Platform.BLUESKY,
        "alice.test",
        "at://alice.test/app.bsky.feed.post/3k",
        "https://bsky.app/profile/alice.test/post/3k",
    )
    values: dict[str, object] = {"text": RichText("Hello from crosspost"), "origin": origin}
    values.update(fields)
    return Draft(idempotency_key=key, **values)  # type: ignore[arg-type]


def read_all(client: TumblrClient) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = client.fetch_page(cursor)
        ids += [post.ref.id for post in page.posts]
        cursor = page.cursor
        if cursor is None:
            return ids


def test_paging_reads_every_post_once_across_ties(server: TumblrServer) -> None:
    server.state.add_posts("art", 120)
    # Three posts in the same second straddle a page boundary: none may be lost.
    for _ in range(3):
        server.state.add("art", {"timestamp": 1600000000 - 49 * 60, "content": []})
    client = client_for(server.url, signed=False)
    ids = read_all(client)
    assert len(ids) == len(set(ids)) == 123
    assert client.http.calls == 4  # 50 a page, then the empty page: nothing older
    assert all("api_key=" in path and not signed for _, path, signed in server.state.log)


def test_signed_reading_includes_private_drafts_and_queue(server: TumblrServer) -> None:
    server.state.add_posts("art", 3)
    server.state.add("art", {"timestamp": 1, "state": "private", "content": []})
    server.state.add("art", {"timestamp": 2, "state": "draft", "content": []})
    server.state.add("art", {"timestamp": 3, "state": "queued", "content": []})
    assert len(read_all(client_for(server.url))) == 6
    assert len(read_all(client_for(server.url, signed=False))) == 3


def test_publish_signed_npf_with_media_and_marker(server: TumblrServer) -> None:
    client = client_for(server.url)
    media = (Media(MediaKind.IMAGE, mime="image/png", alt="a cat", width=4, height=4),)
    created = datetime(2020, 5, 1, tzinfo=UTC)
    ref = client.publish(draft(media=media, tags=("art", "a tag, with comma"), created_at=created))
    post = client.fetch_post(ref)
    assert post is not None
    assert post.text.text == "Hello from crosspost"
    assert post.tags == ("art", "a tag  with comma")
    assert post.media[0].alt == "a cat"
    assert post.media[0].url is not None
    assert client.fetch_media(post.media[0]) == PNG
    assert post.origin is not None
    assert post.origin.url == "https://bsky.app/profile/alice.test/post/3k"
    assert all(signed for method, _, signed in server.state.log if method == "POST")
    assert client.find_published(draft()) == ref
    assert client.find_published(draft(key="other chunk")) is None
    client.delete(ref)
    assert client.fetch_post(ref) is None
    client.delete(ref)  # already gone: not an error


def test_retry_after_unknown_outcome_finds_the_first_attempt(server: TumblrServer) -> None:
    client = client_for(server.url)
    first = client.publish(draft())
    # The next create "fails" with a 502 after Tumblr stored it: publish must not post twice.
    server.state.faults.append((502, {}, {"meta": {"status": 502, "msg": "Bad Gateway"}}))
    assert client.publish(draft()) == first
    assert len(server.state.posts["art"]) == 1


def test_daily_post_cap_stops_cleanly_with_a_resume_time(server: TumblrServer) -> None:
    server.state.posted_today = server.state.post_cap
    with pytest.raises(RateLimitedError, match="8023") as caught:
        client_for(server.url).publish(draft())
    assert caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 25 * 3600


def test_daily_image_cap(server: TumblrServer) -> None:
    server.state.image_cap = 0
    media = (Media(MediaKind.IMAGE, mime="image/png"),)
    with pytest.raises(RateLimitedError, match="8004"):
        client_for(server.url).publish(draft(media=media))


def test_429_waits_with_the_injected_clock_then_succeeds(server: TumblrServer) -> None:
    server.state.add_posts("art", 2)
    headers = {"Retry-After": "7"}
    server.state.faults.append((429, headers, {"meta": {"status": 429, "msg": "Limit Exceeded"}}))
    time = FakeTime()
    page = client_for(server.url, time=time).fetch_page()
    assert len(page.posts) == 2
    assert time.slept == [7.0]


def test_exhausted_hourly_window_is_paced_or_stops(server: TumblrServer) -> None:
    server.state.add_posts("art", 2)
    server.state.hour_remaining = 1  # the next answer says 0 remain, reset in 1800 s
    time = FakeTime()
    client = client_for(server.url, time=time)
    client.fetch_page()
    client.fetch_page()
    assert time.slept == [1800.0]
    short = client_for(server.url, time=FakeTime())
    short.http.retry.max_wait = 60
    server.state.hour_remaining = 0
    short.fetch_page()
    with pytest.raises(RateLimitedError, match="perhour"):
        short.fetch_page()


def test_oauth1_login_dance(server: TumblrServer) -> None:
    said: list[str] = []
    keys = login(*CONSUMER, ask=lambda prompt: "the-verifier", say=said.append, base_url=server.url)
    assert (keys.oauth_token, keys.oauth_token_secret) == USER
    assert "/oauth/authorize?oauth_token=temp-0" in said[1]
    assert USER[1] not in "".join(said)
    assert "secret" not in repr(keys)


def test_oauth1_login_with_a_wrong_consumer_secret(server: TumblrServer) -> None:
    with pytest.raises(CredentialsError, match="refused"):
        login(CONSUMER[0], "wrong", ask=lambda p: "v", say=lambda s: None, base_url=server.url)
