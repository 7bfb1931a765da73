"""Rate budgets on a Redis server, for workers on several machines: the BudgetStore of
crosspost.worker.budgets, with the semantics of SqliteBudgets (the same tests hold both).

Each budget is a hash (platform, scope, id, remaining, reset, why, updated) that expires when
its window resets: the server drops it `reset - now` seconds after a worker learnt it (the time
left the platform stated, measured on the server, so the machines' clocks need not agree to the
second). A set lists the budgets for `budgets()`. `take` and `learn` are scripts, each atomic
against every other worker: take checks every key and counts one against each, or none.

Redis Cluster is not supported: a take touches several keys in one script.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from crosspost.worker.budgets import BudgetKey, Spent
from crosspost.worker.redis_client import PREFIX

if TYPE_CHECKING:
    from redis import Redis

# KEYS: the budgets. ARGV: now. The index (1-based) of a spent key, its reset and why; or nil
# after one was counted against every key with a known count in a window not yet reset.
TAKE = """
local now = tonumber(ARGV[1])
local open = {}
for i, key in ipairs(KEYS) do
    local v = redis.call('HMGET', key, 'remaining', 'reset', 'why')
    if v[1] and v[2] and tonumber(v[2]) > now then
        if tonumber(v[1]) <= 0 then return {i, v[2], v[3] or ''} end
        table.insert(open, key)
    end
end
for _, key in ipairs(open) do
    redis.call('HINCRBY', key, 'remaining', -1)
    redis.call('HSET', key, 'updated', ARGV[1])
end
return nil
"""

# KEYS: the budget, the index. ARGV: platform, scope, id, remaining ('' unknown), reset (''
# unknown), why, now. Within one window (the same reset) the lower count wins: another worker
# may have spent more since the server answered this one.
LEARN = """
local remaining, reset, now = ARGV[4], ARGV[5], tonumber(ARGV[7])
local old = redis.call('HMGET', KEYS[1], 'remaining', 'reset')
if remaining ~= '' and reset ~= '' and old[1] and old[2]
        and tonumber(old[2]) == tonumber(reset) then
    remaining = tostring(math.min(tonumber(old[1]), tonumber(remaining)))
end
redis.call('DEL', KEYS[1])
if reset ~= '' and tonumber(reset) <= now then
    redis.call('SREM', KEYS[2], KEYS[1])
    return 0
end
redis.call('HSET', KEYS[1], 'platform', ARGV[1], 'scope', ARGV[2], 'id', ARGV[3],
    'why', ARGV[6], 'updated', ARGV[7])
if remaining ~= '' then redis.call('HSET', KEYS[1], 'remaining', remaining) end
if reset ~= '' then
    redis.call('HSET', KEYS[1], 'reset', reset)
    redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(reset) - now) * 1000))
end
redis.call('SADD', KEYS[2], KEYS[1])
return 1
"""


# KEYS: the index. ARGV: budgets it lists. Drops those whose window reset (the hash expired).
PRUNE = """
for _, name in ipairs(ARGV) do
    if redis.call('EXISTS', name) == 0 then redis.call('SREM', KEYS[1], name) end
end
return 1
"""


class RedisBudgets:
    def __init__(self, client: Redis, prefix: str = PREFIX) -> None:
        self.client = client
        self._prefix, self._index = f"{prefix}budget:", f"{prefix}budgets"
        self._take = client.register_script(TAKE)
        self._learn = client.register_script(LEARN)
        self._prune = client.register_script(PRUNE)

    def close(self) -> None:
        """Nothing to close: the connections are the process's (redis_client)."""

    def _key(self, key: BudgetKey) -> str:
        return f"{self._prefix}{key.platform}:{key.scope}:{key.id}"

    def take(self, keys: Sequence[BudgetKey], now: float) -> Spent | None:
        if not keys:
            return None
        found = self._take(keys=[self._key(key) for key in keys], args=[repr(now)])
        if found is None:
            return None
        index, reset, why = found
        return Spent(keys[int(index) - 1], float(reset), _text(why))

    def learn(
        self, key: BudgetKey, remaining: int | None, reset: float | None, why: str, now: float
    ) -> None:
        args = [
            key.platform,
            key.scope,
            key.id,
            "" if remaining is None else str(int(remaining)),
            "" if reset is None else repr(float(reset)),
            why,
            repr(now),
        ]
        self._learn(keys=[self._key(key), self._index], args=args)

    def budgets(self) -> list[tuple[BudgetKey, int | None, float | None, str]]:
        names = sorted(self.client.smembers(self._index))
        with self.client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(name)
            rows = pipe.execute()
        gone = [name for name, row in zip(names, rows, strict=True) if not row]
        if gone:  # windows that reset (unless learnt again since)
            self._prune(keys=[self._index], args=gone)
        found = []
        for row in rows:
            if not row:
                continue
            fields = {_text(k): _text(v) for k, v in row.items()}
            key = BudgetKey(fields["platform"], fields["scope"], fields["id"])
            remaining = int(fields["remaining"]) if "remaining" in fields else None
            reset = float(fields["reset"]) if "reset" in fields else None
            found.append((key, remaining, reset, fields.get("why", "")))
        return sorted(found, key=lambda row: (row[0].platform, row[0].scope, row[0].id))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
