"""Job locks on a Redis server, for workers on several machines (crosspost.worker.locks has the
interface, JobLockStore).

A process cannot be judged alive from another host, so a lock is a lease: `SET key token NX PX
lease`, renewed by the job's heartbeat (crosspost.worker.locks.Heartbeat) every quarter of the
lease while the job runs, released by a script that deletes the key only if it still holds the
holder's token. A registry of the running jobs (a hash: job key -> holder, a sorted set: job
key -> lease expiry in the server's milliseconds) lets `reclaim` find, in one atomic script, the
jobs whose lease ran out (their worker was killed, or lost the server for a whole lease) and give
each to one sweeper to queue again. Every time is the server's (its TIME), so the machines'
clocks need not agree.

Redis Cluster is not supported: the scripts touch keys they compute.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from crosspost.errors import CrosspostError
from crosspost.worker.locks import Job
from crosspost.worker.redis_client import PREFIX

if TYPE_CHECKING:
    from redis import Redis

LEASE = 60.0  # seconds a lock outlives its last renewal
EXCLUSIVE_WAIT = 600.0  # seconds to wait for the exclusive lock before giving up

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: lock, running, leases. ARGV: token, lease ms, job key, holder (JSON).
ACQUIRE = (
    """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
"""
    + _NOW
    + """
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[3])
return 1
"""
)

# A lease that ran out while nobody took the job (and no sweeper reclaimed it: the holder is
# still in the registry) is taken again: the holder was only slow.
RENEW = (
    """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
elseif held then
    return 0
else
    local holder = redis.call('HGET', KEYS[2], ARGV[3])
    if not holder or cjson.decode(holder)['token'] ~= ARGV[1] then return 0 end
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
"""
    + _NOW
    + """
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[3])
return 1
"""
)

# KEYS: lock, running, leases. ARGV: token, job key.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
local holder = redis.call('HGET', KEYS[2], ARGV[2])
if holder and cjson.decode(holder)['token'] == ARGV[1] then
    redis.call('HDEL', KEYS[2], ARGV[2])
    redis.call('ZREM', KEYS[3], ARGV[2])
end
return 1
"""

# KEYS: running, leases. ARGV: the prefix of the lock keys. The holders of the jobs reclaimed.
RECLAIM = (
    _NOW
    + """
local found = {}
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
    if redis.call('EXISTS', ARGV[1] .. key) == 0 then
        local holder = redis.call('HGET', KEYS[1], key)
        redis.call('HDEL', KEYS[1], key)
        redis.call('ZREM', KEYS[2], key)
        if holder then table.insert(found, holder) end
    end
end
return found
"""
)

# KEYS: lock. ARGV: token, lease ms (EXTEND) / token (DROP).
EXTEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
DROP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""


class RedisJobLocks:
    def __init__(
        self,
        client: Redis,
        *,
        lease: float = LEASE,
        clock: Callable[[], float] = time.time,
        prefix: str = PREFIX,
        exclusive_wait: float = EXCLUSIVE_WAIT,
    ) -> None:
        self.client, self.clock = client, clock
        self.lease_ms = max(int(lease * 1000), 1)
        self.renew_every: float | None = lease / 4
        self.exclusive_wait = exclusive_wait
        self._locks = f"{prefix}lock:"
        self._running, self._leases = f"{prefix}running", f"{prefix}leases"
        self._exclusive = f"{prefix}exclusive"
        self._acquire = client.register_script(ACQUIRE)
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)
        self._reclaim = client.register_script(RECLAIM)
        self._extend = client.register_script(EXTEND)
        self._drop = client.register_script(DROP)

    def close(self) -> None:
        """Nothing to close: the connections are the process's (redis_client)."""

    def _keys(self, job: Job) -> list[str]:
        return [self._locks + job.key, self._running, self._leases]

    def acquire(self, job: Job) -> str | None:
        token = uuid.uuid4().hex
        holder = {
            "rule": job.rule,
            "target": job.target,
            "user": job.user,
            "token": token,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": self.clock(),
        }
        args: list[str | int] = [token, self.lease_ms, job.key, json.dumps(holder)]
        return token if self._acquire(keys=self._keys(job), args=args) == 1 else None

    def renew(self, job: Job, token: str) -> bool:
        return bool(self._renew(keys=self._keys(job), args=[token, self.lease_ms, job.key]) == 1)

    def release(self, job: Job, token: str) -> None:
        self._release(keys=self._keys(job), args=[token, job.key])

    def held(self) -> list[Job]:
        holders = {_text(key): holder for key, holder in self.client.hgetall(self._running).items()}
        keys = sorted(holders)
        with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.exists(self._locks + key)
            live = pipe.execute()
        return [_job(holders[key]) for key, alive in zip(keys, live, strict=True) if alive]

    def reclaim(self) -> list[Job]:
        found = self._reclaim(keys=[self._running, self._leases], args=[self._locks])
        return sorted((_job(holder) for holder in found), key=lambda job: job.key)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.exclusive_wait
        while not self.client.set(self._exclusive, token, nx=True, px=self.lease_ms):
            if time.monotonic() > deadline:
                raise CrosspostError(
                    f"another worker has held the queue's exclusive lock ({self._exclusive}) "
                    f"for {self.exclusive_wait:.0f} s; if no worker is starting, delete that key"
                )
            time.sleep(0.05)
        stopped = threading.Event()
        every = self.lease_ms / 4000

        def beat() -> None:
            while not stopped.wait(every):
                self._extend(keys=[self._exclusive], args=[token, self.lease_ms])

        thread = threading.Thread(target=beat, name="exclusive lock", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stopped.set()
            thread.join()
            self._drop(keys=[self._exclusive], args=[token])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _job(holder: bytes | str) -> Job:
    found = json.loads(holder)
    return Job(found["rule"], found["target"], found.get("user", ""))
