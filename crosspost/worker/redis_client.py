"""The Redis server that several machines' workers share (`Settings.queue_url`): one client per
URL and process, its connections pooled between the queue, the locks and the budgets, and the
errors a user meets on the way (server down, wrong URL, password refused) said in one line.

Imported only where a Redis URL is given: the redis package is loaded here, never by
`crosspost --help` or an inline `crosspost sync`.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from crosspost.errors import ConfigError, CrosspostError

if TYPE_CHECKING:
    from redis import Redis

SCHEMES = ("redis", "rediss", "unix")
PREFIX = "crosspost:"  # every key crosspost itself writes (Huey's own start with "huey.")
_clients: dict[tuple[int, str], Redis] = {}
_guard = threading.Lock()


class QueueServerError(CrosspostError):
    """The Redis server named by the queue URL cannot be reached or refused us."""


def is_redis_url(url: str) -> bool:
    return urlsplit(url).scheme in SCHEMES


def redacted(url: str) -> str:
    """The URL without its password, fit for a log line or an error."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def redis_client(url: str) -> Redis:
    """The client of `url` for this process, checked with a PING the first time."""
    key = (os.getpid(), url)  # a forked child opens its own connections
    with _guard:
        client = _clients.get(key)
        if client is None:
            client = _connect(url)
            _clients[key] = client
        return client


def _connect(url: str) -> Redis:
    import redis

    if not is_redis_url(url):
        raise ConfigError(
            f"queue {redacted(url)!r}: not a Redis URL; give redis://HOST:PORT/DB, "
            "rediss://HOST:PORT/DB (TLS) or unix:///PATH/redis.sock?db=DB"
        )
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=10.0, socket_keepalive=True, health_check_interval=30
        )
    except ValueError as error:
        raise ConfigError(f"queue {redacted(url)!r}: {error}") from None
    try:
        client.ping()
    except redis.AuthenticationError as error:
        raise QueueServerError(
            f"queue server {redacted(url)}: the password was refused or is missing ({error}); "
            "put the right one in the URL: redis://:PASSWORD@HOST:PORT/DB"
        ) from None
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise QueueServerError(
            f"queue server {redacted(url)}: cannot connect ({error}); start Redis there, or "
            "give the right --queue-url (CROSSPOST_QUEUE_URL)"
        ) from None
    except redis.ResponseError as error:
        raise QueueServerError(f"queue server {redacted(url)}: {error}") from None
    return client
