"""from_draft, server limits, rate limiting and media waiting, without a server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from mastodon import MastodonAPIError, MastodonRatelimitError, MastodonServiceUnavailableError

from crosspost.errors import PlatformError, RateLimitedError, UnfittableError
from crosspost.model import (
    LinkCard,
    Media,
    MediaKind,
    Platform,
    PostRef,
    RichText,
    Span,
    SpanKind,
    Visibility,
)
from crosspost.platforms.base import Draft, RetryPolicy, stable_digest
from crosspost.platforms.mastodon.instance import limits_from_instance, reserve_marker
from crosspost.platforms.mastodon.ratelimit import Limiter, RateState, parse_reset
from crosspost.platforms.mastodon.rawget import NotJsonError
from crosspost.platforms.mastodon.write import from_draft, idempotency_key, status_text
from crosspost.platforms.registry import spec
from crosspost.platforms.spec import WriteContext
from tests.fake_time import FakeTime
from tests.fixtures import fixture_path

MASTODON_LIMITS = spec(Platform.MASTODON).limits
NOW = datetime(2024, 1, 1, tzinfo=UTC)


ORIGIN = PostRef(
    Platform.BLUESKY,
    "alice.example.com",
    "at://alice.example.com/app.bsky.feed.post/3k",
    "https://bsky.app/profile/alice.example.com/post/3k",
)


def test_from_draft_sends_everything_mastodon_takes() -> None:
    draft = Draft(
        RichText("Read this", (Span(5, 9, SpanKind.LINK, "https://example.org/a"),)),
        "ledger-key-1",
        content_warning="cw",
        sensitive=False,
        labels=("nudity",),
        visibility=Visibility.FOLLOWERS,
        langs=("de", "en"),
        reply_to=PostRef(Platform.MASTODON, "me@x.social", "42"),
        origin=ORIGIN,
    )
    kwargs = from_draft(draft, WriteContext(NOW, MASTODON_LIMITS, uploads=("m1", "m2")))
    assert kwargs == {
        "status": "Read this (https://example.org/a)\n\nCrossposted from " + str(ORIGIN.url),
        "visibility": "private",
        "sensitive": True,
        "idempotency_key": "crosspost-" + stable_digest("ledger-key-1"),
        "media_ids": ["m1", "m2"],
        "spoiler_text": "cw",
        "language": "de",
        "in_reply_to_id": "42",
    }


def test_idempotency_key_is_stable_and_distinct() -> None:
    one = Draft(RichText("a"), "k1")
    assert idempotency_key(one) == idempotency_key(Draft(RichText("other"), "k1"))
    assert idempotency_key(one) != idempotency_key(Draft(RichText("a"), "k2"))


def test_private_maps_to_direct_and_foreign_replies_are_dropped() -> None:
    draft = Draft(
        RichText("x"),
        "k",
        visibility=Visibility.PRIVATE,
        reply_to=PostRef(Platform.BLUESKY, "a", "at://a/app.bsky.feed.post/1"),
    )
    kwargs = from_draft(draft, WriteContext(NOW, MASTODON_LIMITS))
    assert kwargs["visibility"] == "direct"
    assert "in_reply_to_id" not in kwargs


def test_link_card_url_is_added_when_the_text_lacks_it() -> None:
    card = LinkCard("https://example.org/article", "Title")
    text = status_text(Draft(RichText("See"), "k", link_card=card), MASTODON_LIMITS)
    assert text == "See\n\nhttps://example.org/article"


def test_text_that_fits_reserved_limits_fits_with_the_marker() -> None:
    room = reserve_marker(MASTODON_LIMITS).max_chars
    assert room is not None
    fitting = Draft(RichText("x" * room), "k", origin=ORIGIN)
    assert len(status_text(fitting, MASTODON_LIMITS)) > room
    with pytest.raises(UnfittableError, match="over this server's 500"):
        status_text(Draft(RichText("x" * (room + 1)), "k", origin=ORIGIN), MASTODON_LIMITS)


def test_limits_from_the_documented_instance() -> None:
    path = fixture_path(
        "mastodon-docs/extracted/methods_instance.md_L0041_view-server-information_200.json"
    )
    limits = limits_from_instance(json.loads(path.read_text()))
    assert (limits.max_chars, limits.max_media, limits.url_weight) == (500, 4, 23)
    assert limits.max_image_bytes == 16_777_216
    assert limits.max_alt_chars == 1500


def test_limits_of_other_servers() -> None:
    glitch = {"configuration": {"statuses": {"max_characters": 5000, "max_media_attachments": 6}}}
    assert limits_from_instance(glitch).max_chars == 5000
    assert limits_from_instance(glitch).max_media == 6
    assert limits_from_instance({"max_toot_chars": 2000}).max_chars == 2000
    assert limits_from_instance({}).max_chars == 500


def test_rate_headers_in_both_spellings() -> None:
    state = RateState()
    state.update(
        {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "2024-05-01T10:05:00.000Z",
        }
    )
    assert (state.limit, state.remaining) == (300, 0)
    assert state.reset == parse_reset("2024-05-01T10:05:00+00:00")
    assert parse_reset("1714557900") == 1714557900.0


def _limiter(time: FakeTime, **kwargs: Any) -> Limiter:
    return Limiter(RetryPolicy(sleep=time.sleep, clock=time.clock, **kwargs))


def test_429_waits_until_the_reset_then_succeeds() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    answers: list[Any] = [MastodonRatelimitError("Hit rate limit."), "ok"]

    def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            limiter.state.reset = time.now + 120
            raise answer
        return str(answer)

    assert limiter.call("publish", call) == "ok"
    assert time.slept == [120]
    assert limiter.calls == 2


def test_429_with_a_far_reset_raises_with_retry_after() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    limiter.state.reset = time.now + 3600

    def call() -> str:
        raise MastodonRatelimitError("Hit rate limit.")

    with pytest.raises(RateLimitedError) as caught:
        limiter.call("publish", call)
    assert caught.value.retry_after == 3600
    assert time.slept == []


def test_no_budget_left_waits_before_calling() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    limiter.state.remaining, limiter.state.reset = 0, time.now + 30
    assert limiter.call("read", lambda: 1) == 1
    assert time.slept == [30]


def test_503_retries_with_backoff_then_gives_up() -> None:
    time = FakeTime()
    limiter = _limiter(time, max_attempts=3)

    def call() -> str:
        raise MastodonServiceUnavailableError("Mastodon API returned error", 503, "x", "down")

    with pytest.raises(PlatformError, match="did not answer after 3 tries"):
        limiter.call("read", call)
    assert time.slept == [1.0, 2.0]


def test_an_answer_that_is_not_json_is_retried_never_taken_for_empty() -> None:
    time = FakeTime()
    limiter = _limiter(time, max_attempts=3)
    answers = iter([None, None, ["a status"]])

    def call() -> list[str]:
        answer = next(answers)
        if answer is None:
            raise MastodonAPIError("Could not parse response as JSON, response code was 200, ...")
        return answer

    assert limiter.call("read", call) == ["a status"]
    assert time.slept == [1.0, 2.0]
    with pytest.raises(PlatformError, match="not JSON, 3 times in a row"):
        limiter.call(
            "read",
            lambda: (_ for _ in ()).throw(MastodonAPIError("Could not parse response as JSON")),
        )
    with pytest.raises(MastodonAPIError, match="Unprocessable"):
        limiter.call(
            "post", lambda: (_ for _ in ()).throw(MastodonAPIError("Unprocessable Entity"))
        )


def test_a_non_json_answer_is_known_by_its_type_or_mastodon_py_s_first_argument() -> None:
    # As raised, with two arguments: str() of such an error is the tuple of both.
    time = FakeTime()
    limiter = _limiter(time, max_attempts=3)
    answers: list[Exception] = [
        NotJsonError("whatever words", "Exception was: ..."),
        MastodonAPIError("Could not parse response as JSON, response code was 200", "Exception"),
    ]

    def call() -> str:
        if answers:
            raise answers.pop(0)
        return "ok"

    assert limiter.call("read", call) == "ok"
    assert (limiter.calls, time.slept) == (3, [1.0, 2.0])


def test_media_uploads_are_paced_30_per_30_minutes() -> None:
    time = FakeTime()
    limiter = _limiter(time, max_wait=3600)
    for _ in range(30):
        limiter.pace_upload("upload")
        time.now += 10
    assert time.slept == []
    limiter.pace_upload("upload")
    assert time.slept == [1800 - 300]
    strict = _limiter(FakeTime())
    for _ in range(30):
        strict.pace_upload("upload")
    with pytest.raises(RateLimitedError):
        strict.pace_upload("upload")


class FakeApi:
    """Just what MastodonClient's media path calls: media_post answering 202, then media."""

    def __init__(self, polls_until_ready: int) -> None:
        self.left = polls_until_ready
        self.posted: list[dict[str, Any]] = []

    def media_post(self, data: Any, **kwargs: Any) -> dict[str, Any]:
        self.posted.append(kwargs)
        return {"id": "m1", "url": None}

    def media(self, media_id: str) -> dict[str, Any]:
        self.left -= 1
        return {"id": media_id, "url": "https://x/y.png" if self.left <= 0 else None}


def test_async_media_processing_is_awaited_with_the_injected_sleeper() -> None:
    from crosspost.accounts import Account
    from crosspost.platforms.mastodon.client import MastodonClient

    time = FakeTime()
    client = MastodonClient(
        Account("m", Platform.MASTODON, "me@x.social"),
        "not-a-token",
        retry=RetryPolicy(sleep=time.sleep, clock=time.clock),
        media_source=lambda media: b"png",
    )
    fake = FakeApi(polls_until_ready=3)
    client.api = fake  # type: ignore[assignment]
    media = Media(MediaKind.IMAGE, alt="a" * 2000, mime="image/png")
    assert client.upload_media([media], MASTODON_LIMITS) == ["m1"]
    assert time.slept == [2.0, 2.0, 2.0]
    assert fake.posted[0]["description"] == "a" * 1500
    assert "not-a-token" not in repr(client)
