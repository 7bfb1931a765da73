"""Local state of the sync engine: the mirrors ledger, per-rule cursors and the run lock."""

from crosspost.state.lock import LockHeldError, RunLock
from crosspost.state.store import (
    SCHEMA_VERSION,
    LedgerEntry,
    MirrorStatus,
    StateStore,
    TargetSummary,
    default_state_path,
)

__all__ = [
    "SCHEMA_VERSION",
    "LedgerEntry",
    "LockHeldError",
    "MirrorStatus",
    "RunLock",
    "StateStore",
    "TargetSummary",
    "default_state_path",
]
