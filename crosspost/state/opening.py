"""Opening a ledger from where it lives: a file path (SQLite, the default) or a PostgreSQL URL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from crosspost.state.ledger import Ledger

SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(where: object) -> bool:
    return isinstance(where, str) and where.startswith(SCHEMES)


def open_ledger(
    where: Path | str | None,
    *,
    namespace: str = "",
    clock: Callable[[], float] = time.time,
) -> Ledger:
    """The ledger at `where`: a PostgreSQL URL (postgresql://USER@HOST/DATABASE), where
    `namespace` names the user whose ledger it is (each in a schema of its own); else a file
    path (None: the default file), which holds one user's ledger and has no namespaces."""
    if is_postgres_url(where):
        from crosspost.state.postgres import PostgresLedger

        assert isinstance(where, str)
        return PostgresLedger(where, namespace=namespace, clock=clock)
    return Ledger(where, clock=clock)
