"""The single-run lock: cron, a systemd timer and `sync --watch` never work at the same time.

The lock is a row in the state database (SQLite or PostgreSQL) naming the holder (host, pid) and
its last heartbeat. A row left by a process that died (same host, pid gone) or that stopped
beating for longer than `stale_after` is stale and taken over, so a crash never leaves the tool
locked out. Taking it is one transaction, one at a time (`Connection.transaction`).
`crosspost sync` takes it at its first write (`Ledger.guard`): a run with nothing to do, every
few minutes from cron, takes no lock and leaves the file untouched.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from types import TracebackType

from crosspost.state.connection import Connection
from crosspost.state.errors import LockHeldError

__all__ = ["STALE_AFTER", "LockHeldError", "RunLock", "pid_alive"]

STALE_AFTER = 3600.0  # seconds without a heartbeat before another host's lock counts as stale


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is someone else's
    except OSError:
        return False
    return True


class RunLock:
    """Acquire with `acquire()` (or as a context manager); `beat()` refreshes the heartbeat."""

    def __init__(
        self,
        db: Connection,
        clock: Callable[[], float],
        *,
        name: str = "sync",
        pid: int | None = None,
        host: str | None = None,
        alive: Callable[[int], bool] = pid_alive,
        stale_after: float = STALE_AFTER,
    ) -> None:
        self.db, self.clock, self.name = db, clock, name
        self.pid = os.getpid() if pid is None else pid
        self.host = host or socket.gethostname()
        self.alive, self.stale_after = alive, stale_after
        self.held = False

    def acquire(self) -> None:
        now = self.clock()
        with self.db.transaction():  # one writer at a time: read, then take, with none between
            row = self.db.execute(
                "SELECT pid, host, started, heartbeat FROM locks WHERE name = ?", (self.name,)
            ).fetchone()
            if row is not None and not self._stale(row, now):
                pid, host, started, _ = row
                raise LockHeldError(
                    f"another crosspost {self.name} is running (pid {pid} on {host}, since "
                    f"{_ago(now - started)}); it stops by itself, or stop it first"
                )
            self.db.execute(
                "INSERT INTO locks (name, pid, host, started, heartbeat) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET pid = excluded.pid, host = excluded.host, "
                "started = excluded.started, heartbeat = excluded.heartbeat",
                (self.name, self.pid, self.host, now, now),
            )
        self.held = True

    def _stale(self, row: tuple[int, str, float, float], now: float) -> bool:
        pid, host, _, heartbeat = row
        if host == self.host and pid == self.pid:
            return True  # our own leftover (a previous run in this process)
        if host == self.host and not self.alive(pid):
            return True
        return now - heartbeat > self.stale_after

    def beat(self) -> None:
        if self.held:
            self.db.execute(
                "UPDATE locks SET heartbeat = ? WHERE name = ? AND pid = ? AND host = ?",
                (self.clock(), self.name, self.pid, self.host),
            )

    def release(self) -> None:
        if self.held:
            self.db.execute(
                "DELETE FROM locks WHERE name = ? AND pid = ? AND host = ?",
                (self.name, self.pid, self.host),
            )
            self.held = False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
