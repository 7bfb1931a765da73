"""What every job of one worker shares: the config and state it runs against, and where the
queue, locks, budgets and ledger live (crosspost.worker.backends)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    config: Path | None
    state: Path | None  # the ledger file (None: the default in the user data dir)
    lock_retry: float = 5.0  # a job another worker holds is tried again this much later
    queue_url: str | None = None  # redis://...: queue, locks and budgets on a Redis server
    ledger_url: str | None = None  # postgresql://...: the ledger on a PostgreSQL database

    def state_for(self, user: str = "") -> Path | None:
        """The SQLite ledger of `user` ("" for a single user)."""
        return self.state
