"""Where the worker's files live: beside the ledger, named after it (`state.sqlite3` ->
`state.queue.sqlite3` for Huey's queue, `state.worker.sqlite3` for job locks and budgets), so
two ledgers in one folder never share a queue."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from crosspost.state.ledger import default_state_path


def state_file(state: Path | None) -> Path:
    return default_state_path() if state is None else state


def queue_file(state: Path | None) -> Path:
    path = state_file(state)
    return path.with_name(f"{path.stem}.queue.sqlite3")


def worker_file(state: Path | None) -> Path:
    path = state_file(state)
    return path.with_name(f"{path.stem}.worker.sqlite3")


def private(path: Path) -> Path:
    """The file made if missing, the user's alone (0600), as the ledger is."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    return path


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """A private SQLite file in WAL mode, shared by every worker process on the host."""
    private(path)
    db = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(schema)
    return db
