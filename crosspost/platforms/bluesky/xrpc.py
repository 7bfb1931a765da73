"""Calls through the atproto SDK with bounded waiting on rate limits, and a count of every call.

https://docs.bsky.app/docs/advanced-guides/rate-limits (ratelimit-* headers, 429)

The waiting and retrying are the shared loop's (platforms/retry.py); this module reads the
ratelimit-* headers into its budget and sorts the SDK's exceptions into its verdicts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from atproto_client import Client
from atproto_client.exceptions import (
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
)
from atproto_client.request import Request

from crosspost.errors import PlatformError
from crosspost.platforms.retry import (
    Fatal,
    Ok,
    RateBudget,
    RateLimited,
    RateWindow,
    RetryPolicy,
    Transient,
    Verdict,
    call_with_retry,
)

T = TypeVar("T")
WINDOW = "Bluesky's API call limit"
# A gateway between us and the PDS that failed or is restarting. (A 500 is the PDS's own answer:
# BlueskyClient.publish reads it as "this record key is taken".)
TRANSIENT_STATUSES = frozenset({502, 503})


class CallError(PlatformError):
    """An XRPC call failed; `status` and `error` are the server's answer (no secrets)."""

    def __init__(self, message: str, *, status: int | None, error: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


class Xrpc:
    """One PDS: an SDK client whose HTTP responses are counted and watched for rate limits."""

    def __init__(
        self,
        base_url: str,
        retry: RetryPolicy,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retry = retry
        self.calls: Counter[str] = Counter()
        self.window = RateWindow()
        self.budget = RateBudget({WINDOW: self.window})
        hooks = {"response": [self._seen]}
        kwargs: dict[str, Any] = {"event_hooks": hooks, "timeout": 30.0}
        if transport is not None:
            kwargs["transport"] = transport
        self.sdk = Client(base_url, request=Request(**kwargs))

    def _seen(self, response: httpx.Response) -> None:
        self.calls[response.request.url.path.rpartition("/")[2]] += 1
        remaining = response.headers.get("ratelimit-remaining")
        reset = response.headers.get("ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self.window.remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self.window.reset = float(reset)

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one call; wait on 429 (and on a spent budget) within the retry policy's bounds.

        Every call may be repeated: records are written under their own key (a createRecord
        whose key is taken fails instead of writing twice; putRecord and deleteRecord repeat
        harmlessly), blobs are stored by their hash, and logging in twice is two sessions."""
        return call_with_retry(
            fn,
            lambda outcome: self._classify(outcome, what),
            self.retry,
            self.budget,
            what=what,
            repeatable=True,
        )

    def _classify(self, outcome: T | Exception, what: str) -> Verdict[T]:
        if not isinstance(outcome, Exception):
            return Ok(outcome)
        if isinstance(outcome, RateLimitExceededError):
            delay = outcome.retry_after
            if delay is None and outcome.reset_at is not None:
                delay = self.retry.seconds_until(outcome.reset_at.timestamp())
            return RateLimited(delay)
        if not isinstance(outcome, RequestErrorBase):
            return Fatal(outcome)
        response = outcome.response
        if response is None and isinstance(outcome, NetworkError):
            cause = outcome.__cause__ or outcome
            return Transient(f"the connection failed ({type(cause).__name__})")
        if response is not None and response.status_code in TRANSIENT_STATUSES:
            return Transient(f"Bluesky answered {response.status_code}")
        return Fatal(as_call_error(what, outcome))

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def as_call_error(what: str, error: RequestErrorBase) -> CallError:
    response = error.response
    status = response.status_code if response is not None else None
    content = response.content if response is not None else None
    code = getattr(content, "error", None)
    message = getattr(content, "message", None)
    detail = ": ".join(str(part) for part in (code, message) if part)
    text = f"{what}: Bluesky answered {status}" + (f" ({detail})" if detail else "")
    return CallError(
        text if status else f"{what}: {type(error).__name__}", status=status, error=code
    )
