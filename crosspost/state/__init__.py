"""Local state of the sync engine: the mirrors ledger, per-rule cursors and the run lock."""

from crosspost.state.ledger import (
    SCHEMA_VERSION,
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

__all__ = [
    "SCHEMA_VERSION",
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
]
