"""The Tumblr API over HTTP: OAuth1 signing or an API key, errors, caps and rate-limit pacing.

API docs: https://github.com/tumblr/docs/blob/master/api.md#rate-limits

pytumblr 0.1.2 cannot serve here: its `json_parse` returns only the body (so the X-Ratelimit
headers and the HTTP status of an error are lost), it calls `requests` without a timeout, it has no
NPF create call, and it turns a non-JSON 429 into a made-up 500. Reads (every GET: pages, blog
info, media) go over plain http.client (transport.py), signed where asked by oauthlib's OAuth1
client; posting goes through requests with `requests_oauthlib.OAuth1`, imported only then. A
session handed in, or a proxy in the environment, carries every call through requests instead.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from crosspost.errors import CredentialsError, CrosspostError, PlatformError, RateLimitedError
from crosspost.platforms.retry import (
    Fatal,
    Ok,
    RateBudget,
    RateLimited,
    RateScope,
    RateWindow,
    Reading,
    RetryPolicy,
    Transient,
    Verdict,
    app_digest,
    call_with_retry,
    reading_of,
)

# Where TumblrClient.publish has always caught it; the one retry loop raises it now.
from crosspost.platforms.retry import OutcomeUnknownError as OutcomeUnknownError
from crosspost.platforms.tumblr.transport import PlainHttp, PlainResponse, TransportError, proxied

if TYPE_CHECKING:
    import requests
    from oauthlib.oauth1 import Client as OAuthClient


API_URL = "https://api.tumblr.com"
USER_AGENT = "crosspost/0.1 (+https://github.com/crosspost-dev/crosspost)"
# The windows of the limit per consumer key (api.md "Rate Limits": 1,000 calls an hour and 5,000
# a day), told by every answer as X-Ratelimit-Perhour-Limit/-Remaining/-Reset and the same with
# Perday, the reset in seconds from now (as api.tumblr.com sent them in tumblr/docs#139:
# x-ratelimit-perday-limit 5000, -remaining 4106, -reset 76341; perhour 1000, 610, 753).
WINDOWS = ("perhour", "perday")
# Daily caps (api.md "Rate Limits" and the NPF create errors): code -> what ran out. The numbers
# are the server's to say (its error's title or detail is quoted), not ours to assume.
DAILY_CAPS = {
    8023: "the blog's daily posting limit",
    8004: "the daily image upload limit",
    8011: "the daily video upload limit",
}


class TumblrNotFoundError(PlatformError):
    """Tumblr answered 404: no such blog or post."""


class TumblrForbiddenError(PlatformError):
    """Tumblr answered 403: this reader may not see it (likes a blog does not share, a list
    only the blog's owner may read)."""


@dataclass(frozen=True)
class OAuthKeys:
    """An app's consumer key pair and a user's token pair. The repr never shows the values."""

    consumer_key: str
    consumer_secret: str = ""
    oauth_token: str = ""
    oauth_token_secret: str = ""

    def __repr__(self) -> str:
        return f"OAuthKeys(user_token={'set' if self.oauth_token else 'missing'})"

    __str__ = __repr__

    @property
    def has_user(self) -> bool:
        return bool(self.oauth_token and self.oauth_token_secret)


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str]

    @property
    def response(self) -> Any:
        return self.body.get("response")


def next_tumblr_midnight(now: float) -> float:
    """When Tumblr's daily caps reset: its servers count calendar days on US Eastern time
    (Tumblr's own clock, api.md "Rate Limits"); before that moment a retry cannot succeed."""
    try:
        from zoneinfo import ZoneInfo

        zone: Any = ZoneInfo("America/New_York")
    except Exception:  # no tz database: assume the later, standard-time offset
        zone = UTC
        now += -5 * 3600
    local = datetime.fromtimestamp(now, zone)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.timestamp()


class TumblrHttp:
    """One Tumblr API client session; counts its calls (`calls`) for the benchmark and tests."""

    def __init__(
        self,
        keys: OAuthKeys,
        *,
        base_url: str = API_URL,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.keys = keys
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.calls = 0
        self._count_lock = threading.Lock()
        self._setup_lock = threading.Lock()
        self.budget = RateBudget()  # the hourly and daily windows, as the last answer said
        self._session = session
        if session is not None:
            session.headers["User-Agent"] = USER_AGENT
        # GETs go over http.client unless a session was handed in or a proxy is configured.
        self._plain = (
            None
            if session is not None or proxied()
            else PlainHttp(user_agent=USER_AGENT, timeout=timeout)
        )
        self._signer: OAuthClient | None = None

    @property
    def session(self) -> requests.Session:
        """The requests session that posts (and reads, when `_plain` is None); made on first use."""
        with self._setup_lock:
            if self._session is None:
                from crosspost.platforms.http_session import HttpSession

                self._session = HttpSession()
                self._session.headers["User-Agent"] = USER_AGENT
            return self._session

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        signed: bool = True,
        what: str = "Tumblr",
    ) -> ApiResponse:
        """One API call with pacing and bounded retries; raises the project's errors."""
        query = dict(params or {})
        if not signed:
            query["api_key"] = self.keys.consumer_key
        plain = self._plain is not None and method == "GET" and json_body is None and not files

        def send() -> PlainResponse | requests.Response:
            if plain:
                raw: PlainResponse | requests.Response = self._plain_get(path, query, signed)
            else:
                raw = self._requests_call(method, path, query, json_body, files, signed)
            with self._count_lock:  # listings send pages ahead from a small pool (prefetch.py)
                self.calls += 1
                self._note_limits(raw.headers)
            return raw

        return call_with_retry(
            send,
            lambda outcome: self._classify(outcome, what),
            self.retry,
            self.budget,
            what=what,
            # Posting has no idempotency key: a repeat could post twice, so only reads are
            # repeated (TumblrClient.publish looks for the post's marker instead).
            repeatable=method == "GET",
            host=urlsplit(self.base_url).netloc,
        )

    def rate_keys(self) -> tuple[RateScope, ...]:
        """The consumer key's windows: every blog signed in with the same app key shares them."""
        app = app_digest(self.keys.consumer_key)
        return tuple(RateScope("app", app, window) for window in WINDOWS)

    def rate_readings(self) -> list[Reading]:
        """What the last answer said of each window of the consumer key's limit."""
        with self._count_lock:
            windows = dict(self.budget.windows)
        readings = (
            reading_of(scope, windows[_window_name(scope.window)], _window_name(scope.window))
            for scope in self.rate_keys()
            if _window_name(scope.window) in windows
        )
        return [reading for reading in readings if reading is not None]

    def calls_left(self) -> int | None:
        """The fewest calls any window (hourly, daily) has left, as the last answer said; None
        when no answer said."""
        with self._count_lock:
            left = [w.remaining for w in self.budget.windows.values() if w.remaining is not None]
        return min(left) if left else None

    def download(self, url: str) -> bytes:
        """A media file's bytes (redirects followed); PlatformError unless it answers 200."""
        if self._plain is not None:
            try:
                answer: PlainResponse | requests.Response = self._plain.get(url, redirects=5)
            except TransportError as error:
                raise PlatformError(f"media download failed: {error}") from error
        else:
            answer = self.session.get(url, timeout=self.timeout)
        if answer.status_code != 200:
            raise PlatformError(f"media download failed: HTTP {answer.status_code}")
        return answer.content

    def _plain_get(self, path: str, query: Mapping[str, Any], signed: bool) -> PlainResponse:
        assert self._plain is not None
        url = self.base_url + path + (f"?{urlencode(query, doseq=True)}" if query else "")
        headers: dict[str, str] = {}
        if signed:
            url, headers, _ = self._oauth_client().sign(url, "GET")
        return self._plain.get(url, headers)

    def _requests_call(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any],
        json_body: Mapping[str, Any] | None,
        files: Mapping[str, Any] | None,
        signed: bool,
    ) -> requests.Response:
        from requests_oauthlib import OAuth1

        auth = None
        if signed:
            auth = OAuth1(
                self.keys.consumer_key,
                client_secret=self.keys.consumer_secret,
                resource_owner_key=self.keys.oauth_token or None,
                resource_owner_secret=self.keys.oauth_token_secret or None,
            )
        return self.session.request(
            method,
            self.base_url + path,
            params=query or None,
            json=json_body if files is None else None,
            files=files,
            auth=auth,
            timeout=self.timeout,
            allow_redirects=False,
        )

    def _oauth_client(self) -> OAuthClient:
        """oauthlib's OAuth1 signer (HMAC-SHA1, in the Authorization header), made once."""
        with self._setup_lock:
            if self._signer is None:
                from oauthlib.oauth1 import Client

                self._signer = Client(
                    self.keys.consumer_key,
                    client_secret=self.keys.consumer_secret,
                    resource_owner_key=self.keys.oauth_token or None,
                    resource_owner_secret=self.keys.oauth_token_secret or None,
                )
            return self._signer

    def _classify(
        self, outcome: PlainResponse | requests.Response | Exception, what: str
    ) -> Verdict[ApiResponse]:
        if isinstance(outcome, Exception):
            if _connection_failed(outcome):
                return Transient(f"the connection failed ({_failure_name(outcome)})")
            return Fatal(outcome)
        status = outcome.status_code
        if status == 429:
            return RateLimited(self._retry_after(outcome))
        if status >= 500:
            return Transient(f"Tumblr answered HTTP {status}")
        body = _json_object(outcome)
        if body is None and status < 400:
            # A success whose body is not JSON must never pass for an empty answer: an
            # empty page would end a listing early and a backup would look complete.
            return Transient("Tumblr's answer was not JSON")
        if status >= 400:
            return Fatal(self._error(status, body or {}, what))
        assert body is not None
        return Ok(ApiResponse(status, body, dict(outcome.headers)))

    def _error(self, status: int, body: Mapping[str, Any], what: str) -> CrosspostError:
        errors = body.get("errors") if isinstance(body.get("errors"), list) else []
        assert isinstance(errors, list)
        codes = [e.get("code") for e in errors if isinstance(e, Mapping)]
        for code, cap in DAILY_CAPS.items():
            if code in codes:
                resume = next_tumblr_midnight(self.retry.clock())
                when = datetime.fromtimestamp(resume, UTC).strftime("%Y-%m-%d %H:%M UTC")
                error = next(e for e in errors if isinstance(e, Mapping) and e.get("code") == code)
                said = str(error.get("detail") or error.get("title") or "").strip()
                said = f": {said}" if said else ""
                return RateLimitedError(
                    f"{what}: {cap} is reached (Tumblr error {code}{said}); run again after {when}",
                    retry_after=self.retry.seconds_until(resume),
                )
        titles = "; ".join(
            str(e.get("title") or e.get("detail")) for e in errors if isinstance(e, Mapping)
        )
        meta = body.get("meta") if isinstance(body.get("meta"), Mapping) else {}
        assert isinstance(meta, Mapping)
        message = f"{what}: Tumblr answered {status} {meta.get('msg', '')}".rstrip()
        message += f" ({titles})" if titles else ""
        if status == 401:
            return CredentialsError(message + "; run `crosspost login` again")
        if status == 404:
            return TumblrNotFoundError(message)
        if status == 403:
            return TumblrForbiddenError(message)
        return PlatformError(message)

    def _note_limits(self, headers: Mapping[str, str]) -> None:
        """Keep each window an answer reports in full (its reset is in seconds from now)."""
        now = self.retry.clock()
        for window in WINDOWS:
            remaining = _header_int(headers, f"x-ratelimit-{window}-remaining")
            reset = _header_int(headers, f"x-ratelimit-{window}-reset")
            limit = _header_int(headers, f"x-ratelimit-{window}-limit")
            if remaining is not None and reset is not None:
                self.budget.windows[_window_name(window)] = RateWindow(
                    remaining, now + reset, limit, now
                )

    def _retry_after(self, raw: PlainResponse | requests.Response) -> float | None:
        after = _header_int(raw.headers, "retry-after")
        if after is not None:
            return float(after)
        resets = [
            _header_int(raw.headers, f"x-ratelimit-{window}-reset")
            for window in WINDOWS
            if _header_int(raw.headers, f"x-ratelimit-{window}-remaining") == 0
        ]
        known = [reset for reset in resets if reset is not None]
        return float(max(known)) if known else None


def _window_name(window: str) -> str:
    return f"Tumblr's {window} API call limit"


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:  # requests' headers are case-insensitive; plain dicts are not
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _connection_failed(error: Exception) -> bool:
    """No whole answer came back: over http.client, or over requests (imported only if used)."""
    if isinstance(error, TransportError):
        return True
    loaded = sys.modules.get("requests")
    return loaded is not None and isinstance(error, loaded.ConnectionError | loaded.Timeout)


def _failure_name(error: Exception) -> str:
    """What failed, named as requests names it (ConnectionError, ReadTimeout, ...)."""
    if isinstance(error, TransportError) and error.__cause__ is not None:
        cause = error.__cause__
        return "ReadTimeout" if isinstance(cause, TimeoutError) else "ConnectionError"
    return type(error).__name__


def _json_object(raw: PlainResponse | requests.Response) -> Mapping[str, Any] | None:
    """The answer's JSON object, or None when the body is not one."""
    try:
        body = raw.json()
    except ValueError:
        return None
    return body if isinstance(body, Mapping) else None
