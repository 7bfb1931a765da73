"""Mastodon rate limits: the X-RateLimit-* headers, what an error means, media-upload pacing.

https://docs.joinmastodon.org/api/rate-limits/ (300 requests per 5 minutes per account;
30 media uploads per 30 minutes; a 429 says when the window resets).

The waiting and retrying are the shared loop's (platforms/retry.py); this module reads the
headers into its budget and sorts Mastodon.py's exceptions into its verdicts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from crosspost.errors import PlatformError, RateLimitedError
from crosspost.platforms.mastodon.rawget import NotJsonError
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


# Mastodon.py 2.x raises a plain MastodonAPIError, known only by the words its first argument
# starts with, for an answer whose body is not JSON; rawget.py raises NotJsonError instead.
MASTODON_PY_NOT_JSON = "Could not parse response as JSON"
# What Mastodon.py's rate limit error says when it could not read the headers, not a limit met.
MASTODON_PY_UNREAD = ("Rate limit time calculations failed", "Could not parse X-RateLimit")
WINDOW = "the server's API call limit"
UNANSWERED = (
    "{what}: {host} did not answer after {attempts} tries ({problem}): check that the server is "
    "up and that its address (`service`, or the handle's server) is right, then try again"
)


@dataclass
class RateState(RateWindow):
    """What the last response said about the request budget."""

    retry_after: float | None = None  # seconds, from a 429's Retry-After

    def update(self, headers: Mapping[str, str], seen: float | None = None) -> None:
        # Every answer replaces what we knew: one without the headers says nothing about budget.
        self.limit = _int(headers.get("X-RateLimit-Limit"))
        self.remaining = _int(headers.get("X-RateLimit-Remaining"))
        self.reset = parse_reset(headers.get("X-RateLimit-Reset"))
        self.seen = seen
        retry = headers.get("Retry-After")
        self.retry_after = float(retry) if retry and retry.isdigit() else None


def api_window(headers: Mapping[str, str], seen: float) -> RateWindow | None:
    """The window of all API calls an answer tells of, or None when it tells of none.

    Mastodon (app/controllers/concerns/api/rate_limit_headers.rb) reports the most limited of
    the throttles a request counted against (config/initializers/rack_attack.rb): 300 requests
    per 5 minutes per token, or per address without one; a media upload's answer reports the
    30 uploads per 30 minutes instead (as the Mastodon.py cassettes recorded: limit 300,
    remaining 221, reset 2026-08-01T15:00:00.440063Z, then 30, 29 on POST /api/v2/media), which
    `Limiter.pace_upload` keeps and this window leaves out. The reset is ISO 8601 with
    microseconds (some servers send epoch seconds)."""
    remaining = _int(_header(headers, "X-RateLimit-Remaining"))
    reset = parse_reset(_header(headers, "X-RateLimit-Reset"))
    if remaining is None and reset is None:
        return None
    return RateWindow(remaining, reset, _int(_header(headers, "X-RateLimit-Limit")), seen)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by its name in any case (requests' headers ignore case; a plain dict does not)."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@dataclass
class Limiter:
    """Runs calls with bounded retries on 429 and 5xx, and paces media uploads (injected time)."""

    retry: RetryPolicy
    host: str = ""  # the server's host, for messages
    state: RateState = field(default_factory=RateState)
    api: RateWindow = field(default_factory=RateWindow)  # all calls but media uploads
    uploads: deque[float] = field(default_factory=deque)
    calls: int = 0

    def seen(self, headers: Mapping[str, str], upload: bool) -> None:
        """An answer came: what it says of the limits (`upload`: a media upload's answer)."""
        now = self.retry.clock()
        self.state.update(headers, now)
        window = None if upload else api_window(headers, now)
        if window is not None:
            self.api = window

    def call(self, what: str, function: Callable[[], T]) -> T:
        """Every call may be repeated: a status carries its Idempotency-Key (write.py), edits and
        deletes repeat harmlessly, and a repeated media upload leaves at most an unattached file,
        which the server deletes by itself."""

        def attempt() -> T:
            self.calls += 1
            return function()

        budget = RateBudget({WINDOW: self.state})
        return call_with_retry(
            attempt,
            lambda outcome: self._classify(outcome, what),
            self.retry,
            budget,
            what=what,
            repeatable=True,
            host=self.host,
        )

    def _classify(self, outcome: T | Exception, what: str) -> Verdict[T]:
        if not isinstance(outcome, Exception):
            return Ok(outcome)
        # Mastodon.py loads only once something failed: reading works without it (rawget.py).
        from mastodon import MastodonNetworkError, MastodonRatelimitError, MastodonServerError

        if isinstance(outcome, MastodonRatelimitError):
            if _words(outcome).startswith(MASTODON_PY_UNREAD):
                # Not a limit met: Mastodon.py could not read the headers (two Date headers a
                # proxy joined); waiting out a window would not change that.
                return Transient("the server's rate-limit headers could not be read")
            return RateLimited(self._retry_after())
        if isinstance(outcome, MastodonNetworkError) and (why := _unreachable(outcome)):
            # Nothing listens there, or the name names no machine: another try in a second
            # will not change that, so say it now rather than after four.
            return Fatal(
                PlatformError(
                    f"{what}: cannot reach {self.host or 'the server'} ({why}): check the "
                    "address (`service`, or the handle's server) and the network connection"
                )
            )
        if isinstance(outcome, MastodonServerError | MastodonNetworkError):
            gave_up = UNANSWERED.replace("{host}", self.host or "the server")
            return Transient(_describe(outcome), gave_up=gave_up)
        if isinstance(outcome, NotJsonError) or _mastodon_py_not_json(outcome):
            # A 200 whose body is not JSON (a proxy's error page): transient like a 5xx, and
            # never to be taken for an empty answer.
            return Transient("the server's answer was not JSON")
        return Fatal(outcome)

    def _retry_after(self) -> float | None:
        # Retry-After is relative, so it does not depend on our clock agreeing with the server's.
        if self.state.retry_after is not None:
            return self.state.retry_after
        if self.state.reset is not None:
            return self.retry.seconds_until(self.state.reset)
        return None

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


def _words(error: Exception) -> str:
    first = error.args[0] if error.args else ""
    return first if isinstance(first, str) else ""


def _mastodon_py_not_json(error: Exception) -> bool:
    # The words are the first argument: str() of the error shows the tuple of all its arguments.
    from mastodon import MastodonAPIError

    first = error.args[0] if error.args else None
    return (
        isinstance(error, MastodonAPIError)
        and isinstance(first, str)
        and first.startswith(MASTODON_PY_NOT_JSON)
    )


_UNREACHABLE = (
    ("Connection refused", "connection refused"),
    ("Name or service not known", "no such host"),
    ("nodename nor servname", "no such host"),
    ("Failed to resolve", "no such host"),
    ("getaddrinfo failed", "no such host"),
)


def _unreachable(error: Exception) -> str:
    """Why a network error means the server is not there at all ("" when it may come back):
    Mastodon.py wraps requests' error, whose text is all that is left of the cause."""
    text = " ".join(str(a) for a in error.args)
    return next((why for words, why in _UNREACHABLE if words in text), "")


def _describe(error: Exception) -> str:
    args = [str(a) for a in error.args[1:3] if a]
    return " ".join(args) or type(error).__name__
