"""call_with_retry on its own: scripted answers, a classifier, and injected time (no HTTP)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crosspost.errors import PlatformError, RateLimitedError
from crosspost.platforms.retry import (
    Fatal,
    Ok,
    OutcomeUnknownError,
    RateBudget,
    RateLimited,
    RateWindow,
    RetryPolicy,
    Transient,
    Verdict,
    call_with_retry,
)
from tests.fake_time import FakeTime


def server(*answers: int) -> tuple[Callable[[], int], list[int]]:
    """A call answering these HTTP statuses in turn, and the list of what it answered."""
    left, sent = list(answers), []

    def call() -> int:
        sent.append(left.pop(0))
        if sent[-1] == 0:
            raise ConnectionError("dropped")
        return sent[-1]

    return call, sent


def by_status(outcome: int | Exception) -> Verdict[str]:
    """A classifier like the adapters': 429 says wait 7 s, 5xx and a dropped line are transient."""
    if isinstance(outcome, ConnectionError):
        return Transient("the connection failed")
    if isinstance(outcome, Exception):
        return Fatal(outcome)
    if outcome == 429:
        return RateLimited(7.0)
    if outcome >= 500:
        return Transient(f"the server answered HTTP {outcome}")
    if outcome >= 400:
        return Fatal(PlatformError(f"the server answered {outcome}"))
    return Ok(f"answer {outcome}")


def policy(time: FakeTime, *, max_wait: float = 300.0, max_attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(time.sleep, time.clock, max_wait=max_wait, max_attempts=max_attempts)


def test_a_rate_limit_is_waited_out_as_retry_after_says() -> None:
    time = FakeTime()
    call, sent = server(429, 429, 200)
    answer = call_with_retry(call, by_status, policy(time), what="read", repeatable=True)
    assert answer == "answer 200"
    assert sent == [429, 429, 200]
    assert time.slept == [7.0, 7.0]


def test_a_rate_limit_without_retry_after_backs_off() -> None:
    time = FakeTime()
    call, _ = server(429, 200)

    def unsaid(outcome: int | Exception) -> Verdict[str]:
        return RateLimited(None) if outcome == 429 else by_status(outcome)

    assert call_with_retry(call, unsaid, policy(time), what="read", repeatable=True)
    assert time.slept == [1.0]


def test_a_rate_limit_longer_than_max_wait_raises_with_retry_after() -> None:
    time = FakeTime()
    call, sent = server(429)
    with pytest.raises(RateLimitedError, match=r"^read: rate limited; try again in 7 s") as caught:
        call_with_retry(call, by_status, policy(time, max_wait=5), what="read", repeatable=True)
    assert caught.value.retry_after == 7.0
    assert (sent, time.slept) == ([429], [])


def test_transient_failures_are_retried_with_backoff_then_reported() -> None:
    time = FakeTime()
    call, sent = server(503, 0, 502, 200)
    assert call_with_retry(call, by_status, policy(time), what="read", repeatable=True)
    assert (sent, time.slept) == ([503, 0, 502, 200], [1.0, 2.0, 4.0])
    time = FakeTime()
    call, sent = server(503, 503, 503, 503, 200)
    with pytest.raises(PlatformError) as caught:
        call_with_retry(call, by_status, policy(time), what="read", repeatable=True)
    assert str(caught.value) == (
        "read: the server answered HTTP 503, 4 times in a row; try again later "
        "(run the same command again: nothing is lost)"
    )
    assert not isinstance(caught.value, RateLimitedError)
    assert (len(sent), time.slept) == (4, [1.0, 2.0, 4.0])


def test_a_transient_failure_can_name_its_own_words_for_giving_up() -> None:
    time = FakeTime()
    call, _ = server(503, 503)

    def unanswered(outcome: int | Exception) -> Verdict[str]:
        return Transient("503", gave_up="{what}: no answer after {attempts} tries ({problem})")

    with pytest.raises(PlatformError, match=r"^read: no answer after 2 tries \(503\)$"):
        call_with_retry(
            call, unanswered, policy(time, max_attempts=2), what="read", repeatable=True
        )


def test_a_write_that_may_not_repeat_is_never_sent_twice() -> None:
    for failure in (503, 0):
        time = FakeTime()
        call, sent = server(failure, 200)
        with pytest.raises(OutcomeUnknownError, match=r"^publish: the"):
            call_with_retry(call, by_status, policy(time), what="publish", repeatable=False)
        assert (sent, time.slept) == ([failure], [])


def test_a_rate_limited_write_is_sent_again_the_server_refused_it() -> None:
    time = FakeTime()
    call, sent = server(429, 200)
    assert call_with_retry(call, by_status, policy(time), what="publish", repeatable=False)
    assert (sent, time.slept) == ([429, 200], [7.0])


def test_a_fatal_answer_is_raised_as_it_is_at_once() -> None:
    time = FakeTime()
    call, sent = server(404, 200)
    with pytest.raises(PlatformError, match="answered 404"):
        call_with_retry(call, by_status, policy(time), what="read", repeatable=True)
    assert (sent, time.slept) == ([404], [])


def test_a_spent_budget_is_waited_out_before_calling() -> None:
    time = FakeTime()
    window = RateWindow(remaining=0, reset=time.now + 30)
    budget = RateBudget({"the API call limit": window})
    call, sent = server(200, 200)
    call_with_retry(call, by_status, policy(time), budget, what="read", repeatable=True)
    call_with_retry(call, by_status, policy(time), budget, what="read", repeatable=True)
    assert (sent, time.slept) == ([200, 200], [30.0])
    assert window.remaining is None  # a new window: its count is unknown until an answer says


def test_a_budget_spent_for_longer_than_max_wait_raises_with_retry_after() -> None:
    time = FakeTime()
    budget = RateBudget({"the API call limit": RateWindow(remaining=0, reset=time.now + 3600)})
    call, sent = server(200)
    for _ in range(2):  # the window stays spent: a second call is not sent into it either
        with pytest.raises(RateLimitedError) as caught:
            call_with_retry(call, by_status, policy(time), budget, what="read", repeatable=True)
        assert caught.value.retry_after == 3600
        assert str(caught.value).startswith(
            "read: the API call limit is used up; try again in 3600 s"
        )
    assert (sent, time.slept) == ([], [])


def test_a_budget_window_past_its_reset_costs_no_wait() -> None:
    time = FakeTime()
    budget = RateBudget({"the API call limit": RateWindow(remaining=0, reset=time.now - 5)})
    call, _ = server(200)
    call_with_retry(call, by_status, policy(time), budget, what="read", repeatable=True)
    assert time.slept == []


def test_after_a_429_wait_the_budget_is_renewed() -> None:
    # The 429's headers say no requests are left until far off; its Retry-After says 7 s.
    time = FakeTime()
    window = RateWindow()
    call, sent = server(429, 200)

    def answering_with_headers() -> int:
        window.remaining, window.reset = 0, time.now + 3600
        return call()

    budget = RateBudget({"the API call limit": window})
    retry = policy(time)
    call_with_retry(answering_with_headers, by_status, retry, budget, what="r", repeatable=True)
    assert (sent, time.slept) == ([429, 200], [7.0])
