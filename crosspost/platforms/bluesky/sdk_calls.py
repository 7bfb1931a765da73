"""The atproto SDK's outcomes sorted into the shared retry loop's verdicts (platforms/retry.py):
for the calls that go through the SDK (writes, logging in), so only they load it.

https://atproto.blue/en/latest/ (atproto_client.exceptions)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from atproto_client.exceptions import (
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
)

from crosspost.platforms.bluesky.xrpc import (
    GAVE_UP,
    TRANSIENT_STATUSES,
    CallError,
    Xrpc,
    call_error,
    status_line,
)
from crosspost.platforms.retry import Fatal, Ok, RateLimited, RetryPolicy, Transient, Verdict

T = TypeVar("T")


def sdk_call(
    xrpc: Xrpc, what: str, fn: Callable[[], T], settled: Callable[[], T | None] | None = None
) -> T:
    """One SDK call on `xrpc`, within the shared retry policy (see Xrpc.call)."""
    return xrpc.call(
        what, fn, settled=settled, classify=lambda outcome, _: classify(outcome, what, xrpc.retry)
    )


def classify(outcome: Any, what: str, retry: RetryPolicy | None = None) -> Verdict[Any]:
    if not isinstance(outcome, Exception):
        return Ok(outcome)
    if isinstance(outcome, RateLimitExceededError):
        delay = outcome.retry_after
        if delay is None and outcome.reset_at is not None:
            delay = (retry or RetryPolicy()).seconds_until(outcome.reset_at.timestamp())
        return RateLimited(delay)
    if isinstance(outcome, LoginRequiredError):
        # The SDK holds no session it can refresh: the caller logs in with the password.
        message = f"{what}: the session cannot be refreshed"
        return Fatal(CallError(message, status=401, error="AuthenticationRequired"))
    if not isinstance(outcome, RequestErrorBase):
        return Fatal(outcome)
    response = outcome.response
    if response is None and isinstance(outcome, NetworkError):
        cause = outcome.__cause__ or outcome
        return Transient(f"the connection failed ({type(cause).__name__})", GAVE_UP)
    if response is not None and response.status_code in TRANSIENT_STATUSES:
        return Transient(f"the server answered {status_line(response.status_code)}", GAVE_UP)
    return Fatal(as_call_error(what, outcome))


def as_call_error(what: str, error: RequestErrorBase) -> CallError:
    response = error.response
    status = response.status_code if response is not None else None
    content = response.content if response is not None else None
    if status is None:
        return CallError(f"{what}: {type(error).__name__}", status=None, error=None)
    return call_error(
        what, status, getattr(content, "error", None), getattr(content, "message", None)
    )
