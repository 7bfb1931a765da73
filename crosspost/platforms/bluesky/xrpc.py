"""Calls through the atproto SDK with bounded waiting on rate limits, and a count of every call.

https://docs.bsky.app/docs/advanced-guides/rate-limits (ratelimit-* headers, 429)

The waiting and retrying are the shared loop's (platforms/retry.py); this module reads the
ratelimit-* headers into its budget and sorts the SDK's exceptions into its verdicts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from atproto_client import Client
from atproto_client.exceptions import (
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
)
from atproto_client.request import Request

from crosspost.errors import PlatformError
from crosspost.platforms.retry import (
    REQUEST_TIMEOUT,
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
# A server error, or a gateway between us and the PDS that failed or is restarting: tried again
# (every call may be, see Xrpc.call). A createRecord whose key is taken also answers 500: the
# `settled` check of Xrpc.call tells the two apart.
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
GAVE_UP = (
    "{what}: {problem} {attempts} times; try again later "
    "(run the same command again: nothing is lost)"
)


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
        self.host = urlsplit(base_url).netloc  # for messages
        self.calls: Counter[str] = Counter()
        self.window = RateWindow()
        self.budget = RateBudget({WINDOW: self.window})
        hooks = {"response": [self._seen]}
        kwargs: dict[str, Any] = {"event_hooks": hooks, "timeout": REQUEST_TIMEOUT}
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

    def call(
        self, what: str, fn: Callable[[], T], *, settled: Callable[[], T | None] | None = None
    ) -> T:
        """Run one call within the shared retry policy (platforms/retry.py): a 429 is waited out
        as its Retry-After or ratelimit-reset says, a spent budget before the call; a 5xx or a
        dropped connection is tried again after a backoff, and past the attempts reads as an
        outage, never as a rate limit.

        Every call may be repeated: records are written under their own key (a createRecord
        whose key is taken fails instead of writing twice; putRecord and deleteRecord repeat
        harmlessly), blobs are stored by their hash, and logging in twice is two sessions.
        `settled`, for a write, says after a failed try whether the write happened anyway (its
        answer, else None to try again): a taken key, an answer lost on the way."""

        def classify(outcome: T | Exception) -> Verdict[T]:
            verdict = self._classify(outcome, what)
            if isinstance(verdict, Transient) and settled is not None:
                done = settled()
                if done is not None:
                    return Ok(done)
            return verdict

        return call_with_retry(
            fn, classify, self.retry, self.budget, what=what, repeatable=True, host=self.host
        )

    def _classify(self, outcome: T | Exception, what: str) -> Verdict[T]:
        if not isinstance(outcome, Exception):
            return Ok(outcome)
        if isinstance(outcome, RateLimitExceededError):
            delay = outcome.retry_after
            if delay is None and outcome.reset_at is not None:
                delay = self.retry.seconds_until(outcome.reset_at.timestamp())
            return RateLimited(delay)
        if isinstance(outcome, LoginRequiredError):
            # The SDK holds no session it can refresh: the caller logs in with the password.
            message = f"{what}: the session cannot be refreshed"
            return Fatal(CallError(message, status=401, error="AuthenticationRequired"))
        if isinstance(outcome, httpx.TransportError):
            # A connection the server closed without answering: the SDK lets httpx's own
            # RemoteProtocolError through (it wraps only timeouts and network errors).
            return Transient(f"the connection failed ({type(outcome).__name__})", GAVE_UP)
        if not isinstance(outcome, RequestErrorBase):
            return Fatal(outcome)
        response = outcome.response
        if response is None and isinstance(outcome, NetworkError):
            cause = outcome.__cause__ or outcome
            return Transient(f"the connection failed ({type(cause).__name__})", GAVE_UP)
        if response is not None and response.status_code in TRANSIENT_STATUSES:
            return Transient(f"the server answered {_status_line(response.status_code)}", GAVE_UP)
        return Fatal(as_call_error(what, outcome))

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


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
