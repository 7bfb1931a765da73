"""Rate budgets shared by every worker, keyed by (platform, scope, id): an app key, an IP, an
account. The clients of one process each keep what their platform's rate-limit headers said
(crosspost.platforms.retry.RateBudget); a job in another process knows nothing of it. This store
is where a worker writes what it learnt, and where every worker looks before sending: a budget
with nothing left until its reset stops the job, to be rescheduled for that reset, unsent.

`BudgetStore` is the interface; `SqliteBudgets` keeps it in the worker's file beside the queue
(one machine). A Redis store can implement the same three calls for several machines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from crosspost.worker.files import connect
from crosspost.worker.locks import _immediate

SCHEMA = """
CREATE TABLE IF NOT EXISTS budgets (
    platform TEXT NOT NULL, scope TEXT NOT NULL, id TEXT NOT NULL,
    remaining INTEGER, reset REAL, why TEXT NOT NULL DEFAULT '', updated REAL NOT NULL,
    PRIMARY KEY (platform, scope, id)
);
"""


@dataclass(frozen=True, slots=True)
class BudgetKey:
    platform: str  # "tumblr", "mastodon", "bluesky"
    scope: str  # "app", "ip", "account"
    id: str  # the consumer key's digest, the address, the account's name

    def __str__(self) -> str:
        return f"{self.platform} {self.scope} {self.id}"


@dataclass(frozen=True, slots=True)
class Spent:
    key: BudgetKey
    until: float
    why: str


class BudgetStore(Protocol):
    def take(self, keys: Sequence[BudgetKey], now: float) -> Spent | None:
        """Count one request against each key; or, when one has nothing left before its reset,
        count none and say which and until when."""
        ...

    def learn(
        self, key: BudgetKey, remaining: int | None, reset: float | None, why: str, now: float
    ) -> None:
        """What a server said of a window: requests left (None: unknown), when it resets."""
        ...

    def budgets(self) -> list[tuple[BudgetKey, int | None, float | None, str]]: ...

    def close(self) -> None: ...


class SqliteBudgets:
    def __init__(self, path: Path) -> None:
        self.db = connect(path, SCHEMA)

    def close(self) -> None:
        self.db.close()

    def take(self, keys: Sequence[BudgetKey], now: float) -> Spent | None:
        with _immediate(self.db):
            for key in keys:
                row = self.db.execute(
                    "SELECT remaining, reset, why FROM budgets WHERE platform = ? AND scope = ? "
                    "AND id = ?",
                    (key.platform, key.scope, key.id),
                ).fetchone()
                if row is None or row[1] is None or row[1] <= now or row[0] is None:
                    continue
                if row[0] <= 0:
                    return Spent(key, float(row[1]), row[2])
            for key in keys:
                self.db.execute(
                    "UPDATE budgets SET remaining = remaining - 1, updated = ? WHERE platform = ? "
                    "AND scope = ? AND id = ? AND remaining IS NOT NULL AND reset > ?",
                    (now, key.platform, key.scope, key.id, now),
                )
        return None

    def learn(
        self, key: BudgetKey, remaining: int | None, reset: float | None, why: str, now: float
    ) -> None:
        # The lower count wins within one window: another worker may have spent more since.
        self.db.execute(
            "INSERT INTO budgets VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (platform, scope, id) DO UPDATE SET "
            "remaining = CASE WHEN budgets.reset = excluded.reset AND budgets.remaining IS NOT "
            "NULL AND excluded.remaining IS NOT NULL THEN MIN(budgets.remaining, "
            "excluded.remaining) ELSE excluded.remaining END, "
            "reset = excluded.reset, why = excluded.why, updated = excluded.updated",
            (key.platform, key.scope, key.id, remaining, reset, why, now),
        )

    def budgets(self) -> list[tuple[BudgetKey, int | None, float | None, str]]:
        rows = self.db.execute(
            "SELECT platform, scope, id, remaining, reset, why FROM budgets ORDER BY 1, 2, 3"
        ).fetchall()
        return [(BudgetKey(r[0], r[1], r[2]), r[3], r[4], r[5]) for r in rows]


BudgetOpener = Callable[[], BudgetStore]
