"""Calls through the atproto SDK with bounded waiting on rate limits, and a count of every call.

https://docs.bsky.app/docs/advanced-guides/rate-limits (ratelimit-* headers, 429)
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

from crosspost.errors import PlatformError, RateLimitedError
from crosspost.platforms.base import RetryPolicy

T = TypeVar("T")


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
        self.remaining: int | None = None
        self.reset_at: float | None = None
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
            self.remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self.reset_at = float(reset)

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one call; wait on 429 (and on a spent budget) within the retry policy's bounds."""
        attempt = 0
        while True:
            self._wait_for_budget(what)
            try:
                return fn()
            except RateLimitExceededError as error:
                delay = error.retry_after
                if delay is None and error.reset_at is not None:
                    delay = self.retry.seconds_until(error.reset_at.timestamp())
                self.retry.wait_or_raise(what, delay, attempt)
            except NetworkError as error:
                if error.response is not None and error.response.status_code not in (502, 503):
                    raise as_call_error(what, error) from None
                self.retry.wait_or_raise(what, None, attempt)
            except RequestErrorBase as error:
                raise as_call_error(what, error) from None
            attempt += 1

    def _wait_for_budget(self, what: str) -> None:
        if self.remaining != 0 or self.reset_at is None:
            return
        delay = self.retry.seconds_until(self.reset_at)
        self.remaining = None
        if delay > self.retry.max_wait:
            raise RateLimitedError(
                f"{what}: the rate-limit budget is spent; try again in {delay:.0f} s",
                retry_after=delay,
            )
        self.retry.sleep(delay)

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
