"""One backup run per account folder at a time: an advisory lock file (`.state/lock`).

The lock is `fcntl.flock` on a file in the account's folder, so the kernel releases it when the
process ends however it ends (a crash, SIGKILL): a stale lock cannot exist. The file names the
holder (pid, host, since when) for the message the second run gives. Where flock does not exist
(Windows), runs are not locked.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from crosspost.backup.store import make_private_dirs
from crosspost.errors import CrosspostError, ExitCode

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK = Path(".state") / "lock"


class BackupLockedError(CrosspostError):
    """Another backup of the same account is running (the exit code of a held sync lock)."""

    exit_code = ExitCode.FAILURE


class AccountLock:
    """`with AccountLock(folder):` or `acquire()`/`release()`; BackupLockedError when held."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK
        self._descriptor: int | None = None

    def acquire(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        make_private_dirs(self.path.parent)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(descriptor)
            os.close(descriptor)
            raise BackupLockedError(
                f"another crosspost backup of this account is running ({holder}) in "
                f"{self.path.parent.parent}; wait for it to finish, or stop it first"
            ) from None
        os.ftruncate(descriptor, 0)
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.pwrite(descriptor, json.dumps(record).encode(), 0)
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is None:
            return
        descriptor, self._descriptor = self._descriptor, None
        with contextlib.suppress(OSError):
            os.ftruncate(descriptor, 0)
        os.close(descriptor)  # closing the file releases the lock

    def __enter__(self) -> AccountLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


def _holder(descriptor: int) -> str:
    try:
        record = json.loads(os.pread(descriptor, 4096, 0) or b"{}")
        return f"pid {int(record['pid'])} on {record['host']}, since {record['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "its holder is starting"
