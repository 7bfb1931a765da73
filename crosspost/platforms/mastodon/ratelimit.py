"""Mastodon rate limits: the X-RateLimit-* headers, bounded waits, and media-upload pacing.

https://docs.joinmastodon.org/api/rate-limits/ (300 requests per 5 minutes per account;
30 media uploads per 30 minutes; a 429 says when the window resets).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from mastodon import (
    MastodonAPIError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
)

from crosspost.errors import PlatformError, RateLimitedError
from crosspost.platforms.base import RetryPolicy

T = TypeVar("T")

MEDIA_UPLOADS_PER_WINDOW = 30
MEDIA_WINDOW_SECONDS = 30 * 60.0


def parse_reset(value: str | None) -> float | None:
    """X-RateLimit-Reset as epoch seconds: Mastodon sends ISO 8601, some servers epoch seconds."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass
class RateState:
    """What the last response said about the request budget."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # epoch seconds
    retry_after: float | None = None  # seconds, from a 429's Retry-After

    def update(self, headers: Mapping[str, str]) -> None:
        # Every answer replaces what we knew: one without the headers says nothing about budget.
        self.limit = _int(headers.get("X-RateLimit-Limit"))
        self.remaining = _int(headers.get("X-RateLimit-Remaining"))
        self.reset = parse_reset(headers.get("X-RateLimit-Reset"))
        retry = headers.get("Retry-After")
        self.retry_after = float(retry) if retry and retry.isdigit() else None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@dataclass
class Limiter:
    """Runs calls with bounded retries on 429 and 5xx, and paces media uploads (injected time)."""

    retry: RetryPolicy
    state: RateState = field(default_factory=RateState)
    uploads: deque[float] = field(default_factory=deque)
    calls: int = 0

    def call(self, what: str, function: Callable[[], T]) -> T:
        for attempt in range(self.retry.max_attempts):
            self._wait_for_budget(what)
            self.calls += 1
            try:
                return function()
            except MastodonRatelimitError:
                self.retry.wait_or_raise(what, self._retry_after(), attempt)
                self.state.remaining = None  # the wait was for this window's reset
            except (MastodonServerError, MastodonNetworkError) as error:
                if attempt + 1 >= self.retry.max_attempts:
                    raise PlatformError(
                        f"{what}: the server did not answer after {attempt + 1} tries "
                        f"({_describe(error)}); try again later"
                    ) from None
                self.retry.sleep(min(2.0**attempt, 60.0))
            except MastodonAPIError as error:
                # Mastodon.py's word for a 200 whose body is not JSON (a proxy's error page):
                # transient like a 5xx, and never to be taken for an empty answer.
                if not str(error).startswith("Could not parse response as JSON"):
                    raise
                self.retry.wait_or_fail(what, "the server's answer was not JSON", attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _retry_after(self) -> float | None:
        # Retry-After is relative, so it does not depend on our clock agreeing with the server's.
        if self.state.retry_after is not None:
            return self.state.retry_after
        if self.state.reset is not None:
            return self.retry.seconds_until(self.state.reset)
        return None

    def _wait_for_budget(self, what: str) -> None:
        """With no requests left in the window, wait for its reset rather than earn a 429."""
        if self.state.remaining != 0 or self.state.reset is None:
            return
        delay = self.retry.seconds_until(self.state.reset)
        if delay > self.retry.max_wait:
            raise RateLimitedError(
                f"{what}: no requests left until the rate limit resets in {delay:.0f} s",
                retry_after=delay,
            )
        self.retry.sleep(delay)
        self.state.remaining = None

    def pace_upload(self, what: str) -> None:
        """Keep to 30 media uploads per 30 minutes: wait (bounded) for the oldest to age out."""
        now = self.retry.clock()
        while self.uploads and now - self.uploads[0] >= MEDIA_WINDOW_SECONDS:
            self.uploads.popleft()
        if len(self.uploads) >= MEDIA_UPLOADS_PER_WINDOW:
            delay = self.uploads[0] + MEDIA_WINDOW_SECONDS - now
            if delay > self.retry.max_wait:
                raise RateLimitedError(
                    f"{what}: 30 media uploads in 30 minutes; the next may go in {delay:.0f} s",
                    retry_after=delay,
                )
            self.retry.sleep(delay)
            self.uploads.popleft()
        self.uploads.append(self.retry.clock())


def _describe(error: Exception) -> str:
    args = [str(a) for a in error.args[1:3] if a]
    return " ".join(args) or type(error).__name__
