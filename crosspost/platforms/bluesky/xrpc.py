"""XRPC calls to one PDS with bounded waiting on rate limits, and a count of every call: queries
as plain HTTP GETs, procedures (writes, logging in) through the atproto SDK, loaded on the first.

https://atproto.com/specs/xrpc (GET /xrpc/<nsid>?params; errors {"error", "message"}) and
https://docs.bsky.app/docs/advanced-guides/rate-limits (ratelimit-* headers, 429)

Importing the SDK takes 1.5-3.5 s on this machine (its generated models), most of what an
incremental backup with nothing new costs; a read needs none of it, so a backup and a sync's
reading of its source never load it. The waiting and retrying are the shared loop's
(platforms/retry.py); this module reads the ratelimit-* headers into its budget and sorts the
answers into its verdicts (sdk_calls.py sorts the SDK's exceptions, for client.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx

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

if TYPE_CHECKING:
    from atproto_client import Client

T = TypeVar("T")
WINDOW = "Bluesky's API call limit"
# The PDS's limits (docs.bsky.app "Rate Limits"): 3,000 requests per 5 minutes per address on
# every route, and per account (DID) 5,000 points of record writes an hour and 35,000 a day.
# Each answer tells of the most limited that applies as RateLimit-Limit/-Remaining/-Reset (reset
# in epoch seconds) and -Policy "<limit>;w=<seconds>", which says which window it is (the bskyr
# cassettes recorded from bsky.social: 3000, 2999, 1747925095, "3000;w=300").
ADDRESS_WINDOW = 300.0  # a policy's window up to this: the per-address limit
HOUR, DAY = 3600.0, 86_400.0
# Signing in has limits of its own, per handle (30 per 5 minutes, 300 a day), which its answers
# tell of: they are not the address's, and are left out of `windows`.
SIGN_IN = frozenset({"com.atproto.server.createSession", "com.atproto.server.refreshSession"})
# A server error, or a gateway between us and the PDS that failed or is restarting: tried again
# (every call may be, see Xrpc.call). A createRecord whose key is taken also answers 500: the
# `settled` check of Xrpc.call tells the two apart.
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
GAVE_UP = (
    "{what}: {problem} {attempts} times; try again later "
    "(run the same command again: nothing is lost)"
)
Classify = Callable[[Any, str], Verdict[Any]]


class CallError(PlatformError):
    """An XRPC call failed; `status` and `error` are the server's answer (no secrets)."""

    def __init__(self, message: str, *, status: int | None, error: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


class Xrpc:
    """One PDS: an HTTP client (and, for writes, an SDK client) whose responses are counted and
    watched for rate limits."""

    def __init__(
        self,
        base_url: str,
        retry: RetryPolicy,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retry = retry
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(base_url).netloc  # for messages
        self.calls: Counter[str] = Counter()
        self.window = RateWindow()
        self.budget = RateBudget({WINDOW: self.window})
        # What the headers last said of each window, by its length in seconds (the policy's w).
        self.windows: dict[float, RateWindow] = {}
        self._transport = transport
        self._sdk: Client | None = None
        kwargs = self._http_options()
        self.http = httpx.Client(base_url=f"{self.base_url}/xrpc/", **kwargs)

    def _http_options(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"event_hooks": {"response": [self._seen]}}
        kwargs["timeout"] = REQUEST_TIMEOUT
        if self._transport is not None:
            kwargs["transport"] = self._transport
        return kwargs

    @property
    def sdk(self) -> Client:
        """The SDK client, made (and the SDK imported) on first use: for writes and logging in."""
        if self._sdk is None:
            from atproto_client import Client
            from atproto_client.request import Request

            self._sdk = Client(self.base_url, request=Request(**self._http_options()))
        return self._sdk

    @property
    def sdk_loaded(self) -> bool:
        return self._sdk is not None

    def _seen(self, response: httpx.Response) -> None:
        nsid = response.request.url.path.rpartition("/")[2]
        self.calls[nsid] += 1
        remaining = response.headers.get("ratelimit-remaining")
        reset = response.headers.get("ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self.window.remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self.window.reset = float(reset)
        seen = policy_window(response.headers) if nsid not in SIGN_IN else None
        if seen is not None:
            seen.seen = self.retry.clock()
            self.windows[_window_length(response.headers)] = seen

    def get(
        self,
        what: str,
        nsid: str,
        params: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """A query: its JSON answer (a dict), or its bytes when it is not JSON (a CAR, a blob)."""
        query = {key: value for key, value in params.items() if value is not None}

        def run() -> httpx.Response:
            return self.http.get(nsid, params=query, headers=headers)

        return self.call(what, run, classify=self._classify_response)

    def post(
        self,
        what: str,
        nsid: str,
        body: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """A procedure with a JSON body (or none), as plain HTTP: logging in and refreshing a
        session for reads. Writes of records go through the SDK (BlueskyClient._write)."""

        def run() -> httpx.Response:
            return self.http.post(nsid, json=body, headers=headers)

        return self.call(what, run, classify=self._classify_response)

    def call(
        self,
        what: str,
        fn: Callable[[], T],
        *,
        settled: Callable[[], T | None] | None = None,
        classify: Classify,
    ) -> T:
        """Run one call within the shared retry policy (platforms/retry.py): a 429 is waited out
        as its Retry-After or ratelimit-reset says, a spent budget before the call; a 5xx or a
        dropped connection is tried again after a backoff, and past the attempts reads as an
        outage, never as a rate limit.

        Every call may be repeated: records are written under their own key (a createRecord
        whose key is taken fails instead of writing twice; putRecord and deleteRecord repeat
        harmlessly), blobs are stored by their hash, and logging in twice is two sessions.
        `settled`, for a write, says after a failed try whether the write happened anyway (its
        answer, else None to try again): a taken key, an answer lost on the way. `classify`
        sorts an outcome (an HTTP answer here; the SDK's in sdk_calls.py)."""
        sort = classify

        def verdict_of(outcome: T | Exception) -> Verdict[T]:
            verdict = sort(outcome, what) if not isinstance(outcome, Exception) else None
            if verdict is None:
                verdict = self._classify_error(outcome, what, sort)
            if isinstance(verdict, Transient) and settled is not None:
                done = settled()
                if done is not None:
                    return Ok(done)
            return verdict

        return call_with_retry(
            fn, verdict_of, self.retry, self.budget, what=what, repeatable=True, host=self.host
        )

    def _classify_error(self, outcome: Any, what: str, sort: Classify) -> Verdict[Any]:
        if isinstance(outcome, httpx.TransportError):
            # A connection the server closed without answering, a timeout, a refused connect.
            return Transient(f"the connection failed ({type(outcome).__name__})", GAVE_UP)
        return sort(outcome, what)

    def _classify_response(self, outcome: Any, what: str) -> Verdict[Any]:
        if not isinstance(outcome, httpx.Response):
            return Fatal(outcome) if isinstance(outcome, Exception) else Ok(outcome)
        status = outcome.status_code
        if status == 429:
            return RateLimited(self._retry_after(outcome))
        if status in TRANSIENT_STATUSES:
            return Transient(f"the server answered {status_line(status)}", GAVE_UP)
        body = _json_of(outcome)
        if status >= 400:
            error = body.get("error") if isinstance(body, Mapping) else None
            message = body.get("message") if isinstance(body, Mapping) else None
            return Fatal(call_error(what, status, error, message))
        return Ok(body if body is not None else outcome.content)

    def _retry_after(self, response: httpx.Response) -> float | None:
        after = response.headers.get("retry-after")
        if after is not None and after.strip().isdigit():
            return float(after)
        reset = response.headers.get("ratelimit-reset")
        if reset is not None and reset.isdigit():
            return self.retry.seconds_until(float(reset))
        return None

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def close(self) -> None:
        self.http.close()


def policy_window(headers: Mapping[str, str]) -> RateWindow | None:
    """The window an answer's RateLimit-* headers tell of, or None when they tell of none."""
    remaining, reset = _digits(headers.get("ratelimit-remaining")), headers.get("ratelimit-reset")
    if remaining is None and reset is None:
        return None
    stamp = _digits(reset)
    limit = _digits(headers.get("ratelimit-limit"))
    return RateWindow(remaining, float(stamp) if stamp is not None else None, limit)


def _window_length(headers: Mapping[str, str]) -> float:
    """The policy's window in seconds ("3000;w=300" -> 300); without one, the address's."""
    for part in (headers.get("ratelimit-policy") or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name == "w" and value.strip().isdigit():
            return float(value)
    return ADDRESS_WINDOW


def _digits(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _json_of(response: httpx.Response) -> Any:
    """The answer's JSON, or None when it is not JSON (bytes, or an error page)."""
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def call_error(what: str, status: int | None, code: object, message: object) -> CallError:
    detail = ": ".join(str(part) for part in (code, message) if part)
    text = f"{what}: Bluesky answered {status}" + (f" ({detail})" if detail else "")
    return CallError(
        text if status else f"{what}: no answer",
        status=status,
        error=code if isinstance(code, str) else None,
    )
