"""State of the sync engine: the mirrors ledger, per-rule cursors and the run lock, in a SQLite
file (the default) or a PostgreSQL database (`open_ledger` takes either)."""

from crosspost.state.ledger import (
    SCHEMA_VERSION,
    Claim,
    Ledger,
    LedgerEntry,
    LedgerError,
    MirrorStatus,
    TargetStatus,
    TargetSummary,
    Waiting,
    default_state_path,
)
from crosspost.state.lock import LockHeldError, RunLock
from crosspost.state.opening import is_postgres_url, open_ledger

__all__ = [
    "SCHEMA_VERSION",
    "Claim",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LockHeldError",
    "MirrorStatus",
    "RunLock",
    "TargetStatus",
    "TargetSummary",
    "Waiting",
    "default_state_path",
    "is_postgres_url",
    "open_ledger",
]
