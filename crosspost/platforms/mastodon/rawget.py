"""A Mastodon API GET that returns the JSON as the server sent it (backups read statuses so).

https://docs.joinmastodon.org/api/guidelines/#pagination

Mastodon.py casts every answer into typed entities: ~6 ms of CPU for one status carrying its
account and card, so ~235 ms for a page of 40, far more than the request itself; and the cast
changes the payload (numeric ids become ints, absent fields appear as null, dates are
re-written). A backup wants neither the delay nor the changes: this reads the same endpoints on
the same session and raises the same Mastodon.py errors for the same answers, so the rate-limit
handling around it (ratelimit.Limiter) works unchanged. Mastodon.py itself (a fifth of a second
to import) is imported only to raise one of its errors: a read that succeeds needs none of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from mastodon import MastodonAPIError


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and as whom to read, under Mastodon.py's own attribute names (a `Mastodon` object
    answers the same)."""

    api_base_url: str
    access_token: str | None
    user_agent: str | None
    request_timeout: float


class NotJsonError(Exception):
    """A success whose body is not JSON (a proxy's error page), worded as Mastodon.py words it;
    its own type so the Limiter knows it without reading the words."""


_MAX_ID = re.compile(r"[?&]max_id=([^&]+)")


def get_json(
    connection: Connection, session: requests.Session, endpoint: str, params: Mapping[str, Any]
) -> tuple[Any, str | None]:
    """The answer's JSON, and the `max_id` its Link header names for the next page (if any)."""
    headers = {"User-Agent": connection.user_agent or "crosspost"}
    if connection.access_token:
        headers["Authorization"] = f"Bearer {connection.access_token}"
    try:
        # The no-op auth keeps a .netrc entry from replacing the Bearer token (as Mastodon.py).
        response = session.get(
            f"{connection.api_base_url}{endpoint}",
            params=params,
            headers=headers,
            timeout=connection.request_timeout,
            auth=lambda request: request,
        )
    except Exception as error:
        from mastodon import MastodonNetworkError

        raise MastodonNetworkError(f"Could not complete request: {error}") from None
    if not response.ok:
        raise _error(response)
    try:
        body = response.json()
    except ValueError as error:
        raise NotJsonError(
            "Could not parse response as JSON, response code was "
            f"{response.status_code}, bad json content was {response.content!r}.",
            f"Exception was: {error}",
        ) from None
    return body, _next_max_id(response.headers.get("Link", ""))


def _error(response: requests.Response) -> Exception:
    """The exception Mastodon.py raises for this answer."""
    import mastodon

    status = response.status_code
    if status == 429:
        return mastodon.MastodonRatelimitError("Hit rate limit.")
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("error") if isinstance(body, dict) else body
    message = message if isinstance(message, str) else None
    if status == 404 and not message:
        message = "Endpoint not found."
    kind = _error_type(status)
    return kind("Mastodon API returned error", status, response.reason, message)


def _error_type(status: int) -> type[MastodonAPIError]:
    import mastodon

    kinds: dict[int, type[MastodonAPIError]] = {
        404: mastodon.MastodonNotFoundError,
        401: mastodon.MastodonUnauthorizedError,
        500: mastodon.MastodonInternalServerError,
        502: mastodon.MastodonBadGatewayError,
        503: mastodon.MastodonServiceUnavailableError,
        504: mastodon.MastodonGatewayTimeoutError,
    }
    fallback = mastodon.MastodonServerError if 500 <= status <= 511 else mastodon.MastodonAPIError
    return kinds.get(status, fallback)


def _next_max_id(link: str) -> str | None:
    """The next page's max_id, read from the Link header as Mastodon.py reads it."""
    if not link:
        return None
    found = None
    for item in requests.utils.parse_header_links(link.rstrip(">").replace(">,<", ",<")):
        match = _MAX_ID.search(item.get("url", "")) if item.get("rel") == "next" else None
        if match is not None:
            found = match.group(1)
    return str(int(found)) if found is not None and found.isdigit() else found
