"""The job queue on a Redis server, for workers on several machines: Huey's RedisHuey on the
connections of crosspost.worker.redis_client.

One change to Huey's storage: it turns a schedule's time (a naive UTC datetime, as `utc=True`
gives) into the score of its schedule with `time.mktime`, which reads it as the local time of
the machine. Workers on machines in different time zones would then run each other's scheduled
jobs hours early or late; here the time is read as UTC on every machine.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from huey import RedisHuey
from huey.storage import RedisStorage

from crosspost.worker.redis_client import redis_client

READ_TIMEOUT = 1  # seconds a worker thread waits on the empty queue before it looks again


class UtcRedisStorage(RedisStorage):  # type: ignore[misc]
    def convert_ts(self, ts: datetime) -> float:
        return calendar.timegm(ts.timetuple()) + ts.microsecond * 1e-6


class UtcRedisHuey(RedisHuey):  # type: ignore[misc]
    storage_class = UtcRedisStorage


def open_redis_huey(name: str, url: str) -> RedisHuey:
    """The queue `name` on the server at `url`. Its worker threads wait on the queue (BRPOP),
    so a job queued is taken at once and an idle worker sends one command per READ_TIMEOUT."""
    pool = redis_client(url).connection_pool
    return UtcRedisHuey(
        name,
        connection_pool=pool,
        results=False,
        utc=True,
        blocking=True,
        read_timeout=READ_TIMEOUT,
    )
