"""The state's errors: the ledger cannot be used or written, or another run holds its lock."""

from __future__ import annotations

from crosspost.errors import DataError, ExitCode


class LedgerError(DataError):
    """The state database cannot be used or written: one line saying why and what to do."""


class LockHeldError(LedgerError):
    """Another crosspost run holds the lock. A `LedgerError`, as the lock is taken at a run's
    first write (`Ledger.guard`): wherever that falls, the engine stops at once, as it does when
    the ledger cannot be written."""

    exit_code = ExitCode.FAILURE


class DamagedLedgerError(LedgerError):
    """The state file is not a sound SQLite database (garbled pages, not a database at all).
    `crosspost sync --rebuild-ledger` sets it aside and rebuilds it from the mirrors' markers."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path
