"""The Tumblr flows replayed offline from cassettes: paging across tied timestamps, an OAuth1-signed
NPF post with media, the 8023 daily cap, and 429 pacing. Record them (server on the pinned port)
with `pytest tests/test_tumblr_replay.py --record-mode=rewrite`; the Authorization header (OAuth1)
and the `api_key` query parameter are dropped at record time (tests/scrub.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crosspost.errors import RateLimitedError
from crosspost.model import Media, MediaKind
from crosspost.platforms.tumblr.client import TumblrClient
from tests.fake_time import FakeTime
from tests.fixtures import PROJECT_ROOT
from tests.scrub import FILTER_HEADERS, cassette_text, request_header_names
from tests.test_tumblr_flow import PNG, client_for, draft, read_all
from tests.tumblr_server import CONSUMER, USER, Replaying, TumblrServer, recording_server

__all__ = ["recording_server"]
Server = TumblrServer | Replaying
CASSETTES = PROJECT_ROOT / "cassettes" / "test_tumblr_replay"


@pytest.mark.vcr
def test_paging_reads_every_post_once_across_ties(recording_server: Server) -> None:
    recording_server.state.add_posts("art", 120)
    for _ in range(3):  # three posts in one second straddle a page boundary
        recording_server.state.add("art", {"timestamp": 1600000000 - 49 * 60, "content": []})
    client = client_for(recording_server.url, signed=False)
    ids = read_all(client)
    assert len(ids) == len(set(ids)) == 123
    assert client.http.calls == 4  # 50 a page, then the empty page: nothing older


@pytest.mark.vcr
def test_signed_npf_post_with_media(recording_server: Server) -> None:
    client = client_for(recording_server.url)
    media = (Media(MediaKind.IMAGE, mime="image/png", alt="a cat", width=4, height=4),)
    created = datetime(2020, 5, 1, tzinfo=UTC)
    ref = client.publish(draft(media=media, tags=("art", "two words"), created_at=created))
    post = client.fetch_post(ref)
    assert post is not None
    assert post.text.text == "Hello from crosspost"
    assert post.tags == ("art", "two words")
    (image,) = post.media
    assert (image.alt, image.width, image.height) == ("a cat", 4, 4)
    assert client.fetch_media(image) == PNG
    assert post.origin is not None
    assert post.origin.url == "https://bsky.app/profile/alice.test/post/3k"
    assert client.find_published(draft()) == ref
    client.delete(ref)
    assert client.fetch_post(ref) is None


@pytest.mark.vcr
def test_daily_post_cap_8023_stops_with_a_resume_time(recording_server: Server) -> None:
    recording_server.state.posted_today = recording_server.state.post_cap
    time = FakeTime(datetime(2026, 3, 2, 15, tzinfo=UTC).timestamp())  # 10:00 in New York
    with pytest.raises(RateLimitedError, match="8023") as caught:
        client_for(recording_server.url, time=time).publish(draft())
    assert caught.value.retry_after == 14 * 3600  # until midnight US Eastern
    assert time.slept == []


@pytest.mark.vcr
def test_429_is_waited_out_with_the_injected_clock(recording_server: Server) -> None:
    recording_server.state.add_posts("art", 2)
    answer = {"meta": {"status": 429, "msg": "Limit Exceeded"}}
    recording_server.state.faults.append((429, {"Retry-After": "7"}, answer))
    time = FakeTime()
    client: TumblrClient = client_for(recording_server.url, time=time)
    assert len(client.fetch_page().posts) == 2
    assert time.slept == [7.0]
    assert client.http.calls == 2


def test_cassettes_hold_no_oauth_header_or_key() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) == 4, "record the cassettes first (see the module docstring)"
    secrets = (CONSUMER[0], CONSUMER[1], USER[0], USER[1], "oauth_signature", "OAuth ")
    for path in files:
        text = cassette_text(path)  # header values are stored base64 (`!!binary`): decoded here
        assert "crosspost/0.1" in text  # the User-Agent, stored `!!binary`, was decoded
        assert "user-agent" in request_header_names(path)
        assert not request_header_names(path) & set(FILTER_HEADERS), path.name
        assert "api_key" not in text, path.name
        for secret in secrets:
            assert secret not in text, (path.name, secret)
