"""What the ledger's statements run on: a connection that SQLite (`crosspost.state.sqlite`) and
PostgreSQL (`crosspost.state.postgres`) both give, so `Ledger` holds one copy of its SQL.

The statements are written once, with `?` placeholders and the SQL both databases speak
(`INSERT ... ON CONFLICT`, `UPDATE ... RETURNING`, a `rowid` that orders rows by insertion).
Outside `transaction()` every statement commits at once; inside, the block commits whole or not
at all, and one block at a time writes (SQLite's `BEGIN IMMEDIATE`; on PostgreSQL an advisory
lock per schema). Every error is a `LedgerError` that names the database; `before_write`, when
set, runs once before the first statement that writes (see `Ledger.guard`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

# The first word of every statement that writes (or opens a write transaction).
WRITING = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "CREATE", "DROP", "ALTER"})


def writes(sql: str) -> bool:
    first = sql.lstrip()[:8].split(None, 1)
    return bool(first) and first[0].upper() in WRITING


class Rows(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    where: str  # the database, as error messages name it
    before_write: Callable[[], None] | None

    def execute(self, sql: str, parameters: Any = (), /) -> Rows: ...

    def executemany(self, sql: str, parameters: Any, /) -> Rows: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...


class FirstWrite:
    """The `before_write` hook, shared by both connections: cleared while it runs, so the
    hook's own statements (the run lock's) pass; set again when it fails."""

    before_write: Callable[[], None] | None = None

    def first_write(self, sql: str) -> None:
        hook = self.before_write
        if hook is None or not writes(sql):
            return
        self.before_write = None
        try:
            hook()
        except BaseException:
            self.before_write = hook
            raise
