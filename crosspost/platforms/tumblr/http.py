"""The Tumblr API over HTTP: OAuth1 signing or an API key, errors, caps and rate-limit pacing.

API docs: https://github.com/tumblr/docs/blob/master/api.md#rate-limits

pytumblr 0.1.2 cannot serve here: its `json_parse` returns only the body (so the X-Ratelimit
headers and the HTTP status of an error are lost), it calls `requests` without a timeout, it has no
NPF create call, and it turns a non-JSON 429 into a made-up 500. This module signs with the same
`requests_oauthlib.OAuth1` pytumblr uses, on a `requests.Session` it owns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from requests_oauthlib import OAuth1

from crosspost.errors import CredentialsError, CrosspostError, PlatformError, RateLimitedError
from crosspost.platforms.base import RetryPolicy
from crosspost.platforms.http_session import HttpSession

API_URL = "https://api.tumblr.com"
USER_AGENT = "crosspost/0.1 (+https://github.com/crosspost-dev/crosspost)"
WINDOWS = ("perhour", "perday")
# Daily caps (api.md "Rate Limits" and the NPF create errors): code -> what ran out.
DAILY_CAPS = {
    8023: "the blog's daily posting limit (250 posts a day)",
    8004: "the daily image upload limit (250 images a day)",
    8011: "the daily video upload limit (20 videos a day)",
}


class TumblrNotFoundError(PlatformError):
    """Tumblr answered 404: no such blog or post."""


class OutcomeUnknownError(PlatformError):
    """A write may or may not have happened (timeout, connection lost, 5xx after sending)."""


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
        self.session = session or HttpSession()
        self.session.headers["User-Agent"] = USER_AGENT
        self.timeout = timeout
        self.calls = 0
        self._windows: dict[str, tuple[int, float]] = {}  # window -> (remaining, reset at)
        self._oauth = OAuth1(
            keys.consumer_key,
            client_secret=keys.consumer_secret,
            resource_owner_key=keys.oauth_token or None,
            resource_owner_secret=keys.oauth_token_secret or None,
        )

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
        attempt = 0
        while True:
            self._pace(what)
            try:
                raw = self.session.request(
                    method,
                    self.base_url + path,
                    params=query or None,
                    json=json_body if files is None else None,
                    files=files,
                    auth=self._oauth if signed else None,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if method != "GET":
                    raise OutcomeUnknownError(f"{what}: {type(error).__name__}") from None
                self.retry.wait_or_fail(
                    what, f"the connection failed ({type(error).__name__})", attempt
                )
                attempt += 1
                continue
            self.calls += 1
            self._note_limits(raw.headers)
            if raw.status_code == 429:
                self.retry.wait_or_raise(what, self._retry_after(raw), attempt)
                attempt += 1
                continue
            if raw.status_code >= 500 and method == "GET":
                self.retry.wait_or_fail(what, f"Tumblr answered HTTP {raw.status_code}", attempt)
                attempt += 1
                continue
            body = _json_object(raw)
            if body is None and raw.status_code < 400:
                # A success whose body is not JSON must never pass for an empty answer: an
                # empty page would end a listing early and a backup would look complete.
                if method != "GET":
                    raise OutcomeUnknownError(f"{what}: Tumblr's answer was not JSON")
                self.retry.wait_or_fail(what, "Tumblr's answer was not JSON", attempt)
                attempt += 1
                continue
            return self._result(raw, body or {}, method, what)

    def _result(
        self, raw: requests.Response, body: Mapping[str, Any], method: str, what: str
    ) -> ApiResponse:
        if raw.status_code >= 500 and method != "GET":
            raise OutcomeUnknownError(f"{what}: Tumblr answered {raw.status_code}")
        if raw.status_code >= 400:
            raise self._error(raw.status_code, body, what)
        return ApiResponse(raw.status_code, body, dict(raw.headers))

    def _error(self, status: int, body: Mapping[str, Any], what: str) -> CrosspostError:
        errors = body.get("errors") if isinstance(body.get("errors"), list) else []
        assert isinstance(errors, list)
        codes = [e.get("code") for e in errors if isinstance(e, Mapping)]
        for code, cap in DAILY_CAPS.items():
            if code in codes:
                resume = next_tumblr_midnight(self.retry.clock())
                when = datetime.fromtimestamp(resume, UTC).strftime("%Y-%m-%d %H:%M UTC")
                return RateLimitedError(
                    f"{what}: {cap} is reached (Tumblr error {code}); run again after {when}",
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
        return PlatformError(message)

    def _note_limits(self, headers: Mapping[str, str]) -> None:
        now = self.retry.clock()
        for window in WINDOWS:
            remaining = _header_int(headers, f"x-ratelimit-{window}-remaining")
            reset = _header_int(headers, f"x-ratelimit-{window}-reset")
            if remaining is not None and reset is not None:
                self._windows[window] = (remaining, now + reset)

    def _pace(self, what: str) -> None:
        """Wait out an exhausted hourly or daily window before calling, or stop cleanly."""
        for window, (remaining, reset_at) in list(self._windows.items()):
            wait = reset_at - self.retry.clock()
            if remaining > 0 or wait <= 0:
                continue
            if wait > self.retry.max_wait:
                raise RateLimitedError(
                    f"{what}: Tumblr's {window} API call limit is used up; "
                    f"try again in {wait:.0f} s",
                    retry_after=wait,
                )
            self.retry.sleep(wait)
            del self._windows[window]

    def _retry_after(self, raw: requests.Response) -> float | None:
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


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:  # requests' headers are case-insensitive; plain dicts are not
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _json_object(raw: requests.Response) -> Mapping[str, Any] | None:
    """The answer's JSON object, or None when the body is not one."""
    try:
        body = raw.json()
    except ValueError:
        return None
    return body if isinstance(body, Mapping) else None
