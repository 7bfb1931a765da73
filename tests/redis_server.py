"""The Redis server of the worker's tests, named by CROSSPOST_REDIS_URL (`.ci/setup-redis.sh`
starts one and prints it, e.g. redis://127.0.0.1:56379/0). Tests skip, saying why, where it is
not set or does not answer, unless CROSSPOST_REQUIRE_REDIS=1 (CI): then they fail.

Each test gets the URL's database emptied before and after it (FLUSHDB), so nothing one test
wrote is seen by the next. The variables are read at import: the suite's autouse fixture clears
every CROSSPOST_* variable before each test runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

REDIS_URL = os.environ.get("CROSSPOST_REDIS_URL", "")
REQUIRED = os.environ.get("CROSSPOST_REQUIRE_REDIS") == "1"


def _unavailable(message: str) -> None:
    if REQUIRED:
        pytest.fail(f"CROSSPOST_REQUIRE_REDIS=1 but {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The server's URL, once it answered a PING."""
    if not REDIS_URL:
        _unavailable("CROSSPOST_REDIS_URL is not set: run .ci/setup-redis.sh and export its URL")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        _unavailable(f"the Redis server at {REDIS_URL} does not answer ({error})")
    return REDIS_URL


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """The server's URL, its database empty."""
    import redis

    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    yield redis_server
    client.flushdb()
    client.close()
