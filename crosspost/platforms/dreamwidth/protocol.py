"""Dreamwidth's XML-RPC protocol (`/interface/xmlrpc`, methods `LJ.XMLRPC.<mode>`): one call at a
time, each authenticated with a fresh challenge, its answer decoded into plain Python values.

As Dreamwidth's own code does it (`cgi-bin/LJ/Protocol.pm`):

- Challenge-response against an API key: `getchallenge` gives a single-use challenge that lives
  60 s, and the call answers `md5_hex(challenge . md5_hex(key))` (`check_login`). So every
  authenticated call costs two requests; `requests` counts both.
- Every call sends `ver=1` (Unicode; without it non-ASCII text is refused with fault 207) and
  `lineendings=unix` (the default turns every newline into CRLF).
- Answers are typed by the server's Perl library from their content: a non-ASCII string arrives
  as base64 (`xmlrpc.client.Binary`, UTF-8 inside), a digit-only string as `<int>` ("007" as 7:
  the leading zeros are gone, nothing can bring them back), a decimal one as `<double>`.
  `decode` turns every Binary into str, and the numbers that stand for text (subjects, bodies,
  tags, moods ...) back into str; ids and counts stay int.
- Faults come with HTTP 200 and Protocol.pm's codes: 100/101 (no such user, wrong key) become
  CredentialsError, 402/405/406 (banned for failed logins, posting too fast, repeated requests)
  a rate limit with its wait, the E_TEMP server codes (500-503, 506, 507) and HTTP 5xx a
  transient failure the retry policy tries again (a write only where it is declared repeatable).
"""

from __future__ import annotations

import hashlib
import xmlrpc.client
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from crosspost.errors import CredentialsError, PlatformError, RateLimitedError
from crosspost.platforms.http_session import HttpSession
from crosspost.platforms.retry import (
    REQUEST_TIMEOUT,
    Fatal,
    Ok,
    RateLimited,
    RetryPolicy,
    Transient,
    Verdict,
    call_with_retry,
)

SITE = "https://www.dreamwidth.org"
API_KEYS_PAGE = "https://www.dreamwidth.org/manage/settings/?cat=mobile"
ENDPOINT = "/interface/xmlrpc"
CLIENT_VERSION = "Python-crosspost/1"

# Protocol.pm's %e, as this client treats them.
BAD_USER, BAD_KEY, CHALLENGE_EXPIRED = 100, 101, 105
CANNOT_EDIT = 302  # also what editevent answers for an entry that is not there
LOGIN_BAN, POST_FREQUENCY, REPEATED_REQUESTS = 402, 405, 406
SERVER_TEMPORARY = frozenset({306, 500, 501, 502, 503, 506, 507})
# How long each rate limit lasts, where Dreamwidth's code says: 406 counts a repeated
# getevents `lastsync` over the past hour; a login-failure IP ban lasts until the failures age
# out (LJ::login_ip_banned: minutes); the post frequency limit (`rate_log post`) is not stated.
RATE_WAITS: Mapping[int, float | None] = {
    LOGIN_BAN: 600.0,
    POST_FREQUENCY: None,
    REPEATED_REQUESTS: 3600.0,
}

# Answer fields that are text whatever type the server guessed for them.
TEXT_KEYS = frozenset(
    {
        "subject", "event", "url", "poster", "fullname", "message", "name", "ljsession",
        "challenge", "auth_scheme", "item", "time", "action", "eventtime", "logtime",
        "security", "defaultpicurl", "pickws", "pickwurls", "usejournals", "journalname",
        "security_level",
    }
)  # fmt: skip
# Log props that are numbers or flags; every other prop is text (taglist, current_mood ...).
NUMERIC_PROPS = frozenset(
    {
        "current_moodid", "revnum", "revtime", "commentalter", "picture_mapid", "hasscreened",
        "unknown8bit", "used_rte", "interface", "replycount", "personifi_tags", "sms_msgid",
        "statusvis", "give_features",
    }
)  # fmt: skip


def auth_response(challenge: str, api_key: str) -> str:
    """What a call answers a challenge with (LJ::Protocol::check_login)."""
    inner = hashlib.md5(api_key.encode("utf-8")).hexdigest()
    return hashlib.md5((challenge + inner).encode("utf-8")).hexdigest()


def decode(value: Any, key: str | None = None) -> Any:
    """An answer as plain JSON-able values: Binary as UTF-8 str, text-standing numbers as str."""
    if isinstance(value, dict):
        return {
            k: _props(v) if k == "props" and isinstance(v, dict) else decode(v, k)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [decode(v, key) for v in value]
    if isinstance(value, xmlrpc.client.Binary):
        return value.data.decode("utf-8", errors="replace")
    if key in TEXT_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _props(props: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _prop(name, value) for name, value in props.items()}


def _prop(name: str, value: Any) -> Any:
    value = decode(value)
    if isinstance(value, dict | list):
        return value
    numeric = name in NUMERIC_PROPS or name.startswith("opt_")
    if numeric:
        if isinstance(value, str) and value.isdigit():
            return int(value)
        return value
    return str(value) if isinstance(value, int | float) else value


class CallFault(PlatformError):
    """A fault Dreamwidth answered that no retry mends: `code` is Protocol.pm's."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class _HttpFailure:
    status: int


class Transport:
    """Calls to one Dreamwidth (or other LJ-protocol) server as one user, signed with an API key.

    `base_url` is the site (`https://www.dreamwidth.org`, or a local test server); `requests`
    counts the HTTP requests sent, by method (`getchallenge` included)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        api_key: str,
        *,
        account_name: str = "",
        retry: RetryPolicy | None = None,
        timeout: float = REQUEST_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.api_key = api_key
        self.account_name = account_name or f"dreamwidth:{username}"
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.session = session or HttpSession()
        self.requests: Counter[str] = Counter()
        self.host = urlsplit(self.base_url).netloc

    # -- calls ---------------------------------------------------------------------------

    def call(
        self,
        method: str,
        args: Mapping[str, Any] | None = None,
        *,
        what: str,
        repeatable: bool = True,
        auth: bool = True,
    ) -> dict[str, Any]:
        """One call, decoded, retried within the policy. `repeatable`: whether sending it again
        after a failure that may have reached the server is harmless (every read; not a post)."""

        def attempt() -> dict[str, Any] | _HttpFailure:
            return self._once(method, dict(args or {}), auth)

        return call_with_retry(
            attempt,
            lambda outcome: self._classify(outcome, what),
            self.retry,
            what=what,
            repeatable=repeatable,
            host=self.host,
        )

    def _once(self, method: str, args: dict[str, Any], auth: bool) -> dict[str, Any] | _HttpFailure:
        request = {"ver": 1, "lineendings": "unix", "clientversion": CLIENT_VERSION, **args}
        if auth:
            for expired in (False, True):
                challenge = self._raw("getchallenge", {})
                if isinstance(challenge, _HttpFailure):
                    return challenge
                chal = str(decode(challenge.get("challenge"), "challenge"))
                request.update(
                    username=self.username,
                    auth_method="challenge",
                    auth_challenge=chal,
                    auth_response=auth_response(chal, self.api_key),
                )
                try:
                    answer: dict[str, Any] | _HttpFailure = self._raw(method, request)
                    return answer
                except xmlrpc.client.Fault as fault:
                    # A challenge that aged out on the way (a slow link, a clock far off):
                    # nothing happened; one more with a new challenge.
                    if fault.faultCode != CHALLENGE_EXPIRED or expired:
                        raise
        plain: dict[str, Any] | _HttpFailure = self._raw(method, request)
        return plain

    def _raw(self, method: str, request: dict[str, Any]) -> Any:
        body = xmlrpc.client.dumps((request,), f"LJ.XMLRPC.{method}", encoding="utf-8")
        self.requests[method] += 1
        response = self.session.post(
            self.base_url + ENDPOINT,
            data=body.encode("utf-8"),
            headers={"Content-Type": "text/xml"},
            timeout=self.timeout,
        )
        if response.status_code != 200:
            return _HttpFailure(response.status_code)
        (result,), _ = xmlrpc.client.loads(response.content, use_builtin_types=False)
        return decode(result)

    def _classify(self, outcome: Any, what: str) -> Verdict[dict[str, Any]]:
        if isinstance(outcome, _HttpFailure):
            if outcome.status >= 500 or outcome.status == 429:
                if outcome.status == 429:
                    return RateLimited(None)
                return Transient(f"{self.host} answered HTTP {outcome.status}")
            return Fatal(PlatformError(f"{what}: {self.host} answered HTTP {outcome.status}"))
        if isinstance(outcome, xmlrpc.client.Fault):
            return self._fault(outcome, what)
        if isinstance(outcome, requests.ConnectionError | requests.Timeout):
            return Transient(f"no answer from {self.host} ({type(outcome).__name__})")
        if isinstance(outcome, xmlrpc.client.ResponseError | ValueError):
            return Transient(f"{self.host}'s answer was not XML-RPC")
        if isinstance(outcome, Exception):
            return Fatal(outcome)
        if not isinstance(outcome, dict):
            return Transient(f"{self.host}'s answer was not an XML-RPC struct")
        return Ok(outcome)

    def _fault(self, fault: xmlrpc.client.Fault, what: str) -> Verdict[dict[str, Any]]:
        code = _code(fault.faultCode)
        text = str(decode(fault.faultString, "message"))
        if code in (BAD_USER, BAD_KEY):
            return Fatal(self.credentials_error(code))
        if code == LOGIN_BAN:  # earned by wrong keys: waiting alone will not mend it
            return Fatal(
                RateLimitedError(
                    f"{what}: Dreamwidth stopped signing in from this address after too many "
                    f"refused keys; check the key (`crosspost login {self.account_name}`, keys "
                    f"are made at {API_KEYS_PAGE}) and try again in 10 minutes",
                    retry_after=RATE_WAITS[LOGIN_BAN],
                )
            )
        if code in RATE_WAITS:
            return RateLimited(RATE_WAITS[code])
        if code in SERVER_TEMPORARY:
            return Transient(f"{self.host} answered fault {code} ({text})")
        return Fatal(CallFault(f"{what}: Dreamwidth refused it: {text} (fault {code})", code))

    def credentials_error(self, code: int) -> CredentialsError:
        name = self.account_name
        if code == BAD_USER:
            return CredentialsError(
                f"{name}: {self.host} has no journal {self.username!r}; check the account's "
                "`journal` in the config"
            )
        return CredentialsError(
            f"{name}: the API key was refused; make one at {API_KEYS_PAGE} and run "
            f"`crosspost login {name}`"
        )

    # -- plain HTTP (export_comments.bml, userpics, images) -------------------------------

    def get(
        self, url: str, *, what: str, params: Mapping[str, Any] | None = None,
        cookies: Mapping[str, str] | None = None, counted: str = "",
    ) -> requests.Response:  # fmt: skip
        """A GET of a page or file, retried on 5xx and dropped connections; 404 raises
        PlatformError saying what was missing."""

        def attempt() -> requests.Response:
            self.requests[counted or "get"] += 1
            return self.session.get(
                url, params=dict(params or {}), cookies=dict(cookies or {}), timeout=self.timeout
            )

        def classify(outcome: requests.Response | Exception) -> Verdict[requests.Response]:
            if isinstance(outcome, requests.ConnectionError | requests.Timeout):
                return Transient(f"no answer from {urlsplit(url).netloc}")
            if isinstance(outcome, Exception):
                return Fatal(outcome)
            if outcome.status_code == 429:
                return RateLimited(_retry_after(outcome.headers.get("Retry-After")))
            if outcome.status_code >= 500:
                return Transient(f"{urlsplit(url).netloc} answered HTTP {outcome.status_code}")
            if outcome.status_code >= 400:
                return Fatal(PlatformError(f"{what}: {url} answered HTTP {outcome.status_code}"))
            return Ok(outcome)

        return call_with_retry(
            attempt, classify, self.retry, what=what, repeatable=True, host=self.host
        )


def _code(value: Any) -> int:
    try:
        return int(str(value)[:3])
    except ValueError:
        return 0


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
