"""Named job locks: one job key (rule x target) runs at a time, across every worker process.

Huey's own `lock_task` is a key put into the queue's storage; SqliteHuey's storage has no expiry
for it (`put_if_empty(ttl=...)` raises NotImplementedError), so a worker killed with SIGKILL would
leave its job locked for good, and the consumer's `flush_locks` at start would also free the locks
of workers still running. These locks name their holder (host, pid): one whose process is gone is
taken over, in one transaction, by the next worker that asks, and the job it was running is found
again (`reclaim`) and queued anew.

`JobLockStore` is the interface; `JobLocks` keeps it in the worker's SQLite file (one machine:
a pid is judged on its own host). Several machines share leases on a Redis server instead
(crosspost.worker.redis_locks), which a running job keeps alive (`Heartbeat`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from crosspost.state.lock import pid_alive
from crosspost.worker.files import connect

LOG = logging.getLogger("crosspost.worker")

SCHEMA = """
CREATE TABLE IF NOT EXISTS job_locks (
    key TEXT PRIMARY KEY, rule TEXT NOT NULL, target TEXT NOT NULL,
    host TEXT NOT NULL, pid INTEGER NOT NULL, token TEXT NOT NULL, since REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Job:
    rule: str
    target: str
    user: str = ""  # whose config the rule is in, where a worker runs many people's ("": one)

    @property
    def key(self) -> str:
        job = f"{self.rule} -> {self.target}"
        return f"{self.user}: {job}" if self.user else job


class JobLockStore(Protocol):
    """Named job locks: one job key runs at a time, across every worker that shares the store."""

    renew_every: float | None  # seconds between renewals while a job runs (None: never needed)

    def acquire(self, job: Job) -> str | None:
        """A token to release with, or None while a live worker holds the job."""
        ...

    def renew(self, job: Job, token: str) -> bool:
        """Keep holding the job (a lease is extended); False when the lock was lost to another
        worker: the job should stop after what it is doing."""
        ...

    def release(self, job: Job, token: str) -> None: ...

    def held(self) -> list[Job]:
        """The jobs held now, by key."""
        ...

    def reclaim(self) -> list[Job]:
        """The jobs whose worker died while running them, their locks removed: queue them again
        (each is given to one caller only)."""
        ...

    def exclusive(self) -> contextlib.AbstractContextManager[None]:
        """Held by one worker at a time, across processes (a new ledger made once)."""
        ...

    def close(self) -> None: ...


class Heartbeat:
    """While the block runs, renew the lock of `job` every `locks.renew_every` seconds in a
    thread; `lost` is called once if it was lost (another worker holds the job now)."""

    def __init__(self, locks: JobLockStore, job: Job, token: str, lost: Callable[[], None]) -> None:
        self.locks, self.job, self.token, self.lost = locks, job, token, lost
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self.locks.renew_every is not None:
            self._thread = threading.Thread(
                target=self._beat, name=f"heartbeat {self.job.key}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        every = self.locks.renew_every
        assert every is not None
        while not self._stopped.wait(every):
            try:
                kept = self.locks.renew(self.job, self.token)
            except Exception as error:  # the server is away: the lease may still outlive it
                LOG.warning("job %s: could not renew its lock (%s)", self.job.key, error)
                continue
            if not kept:
                LOG.warning("job %s: its lock was lost; stopping after this post", self.job.key)
                self.lost()
                return


class JobLocks:
    """The locks of one machine's workers, in the SQLite file beside the queue: a lock names
    its holder (host, pid) and needs no renewal while that process lives."""

    renew_every: float | None = None

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float],
        alive: Callable[[int], bool] = pid_alive,
        host: str | None = None,
    ) -> None:
        self.db = connect(path, SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(job_locks)")}
        if "user" not in columns:  # a file from before many people's jobs shared a worker
            try:
                self.db.execute("ALTER TABLE job_locks ADD COLUMN user TEXT NOT NULL DEFAULT ''")
            except sqlite3.OperationalError as error:  # another worker added it just now
                if "duplicate column" not in str(error):
                    raise
        self.clock, self.alive = clock, alive
        self.host = host or socket.gethostname()

    def close(self) -> None:
        self.db.close()

    def exclusive(self) -> _immediate:
        """Held by one worker at a time, across processes (a new ledger made once)."""
        return _immediate(self.db)

    def _live(self, host: str, pid: int) -> bool:
        # Another host's lock is never judged from here (the embedded queue is one machine's).
        return host != self.host or pid == os.getpid() or self.alive(pid)

    def acquire(self, job: Job) -> str | None:
        """A token to release with, or None while a live worker holds the job."""
        token = uuid.uuid4().hex
        job_row = (job.key, job.rule, job.target)
        with _immediate(self.db):
            row = self.db.execute(
                "SELECT host, pid FROM job_locks WHERE key = ?", (job.key,)
            ).fetchone()
            if row is not None and self._live(row[0], row[1]):
                return None
            self.db.execute(
                "INSERT OR REPLACE INTO job_locks (key, rule, target, host, pid, token, since, "
                "user) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*job_row, self.host, os.getpid(), token, self.clock(), job.user),
            )
        return token

    def renew(self, job: Job, token: str) -> bool:
        row = self.db.execute("SELECT token FROM job_locks WHERE key = ?", (job.key,)).fetchone()
        return row is not None and row[0] == token

    def release(self, job: Job, token: str) -> None:
        self.db.execute("DELETE FROM job_locks WHERE key = ? AND token = ?", (job.key, token))

    def held(self) -> list[Job]:
        """The jobs held now, by key."""
        rows = self.db.execute("SELECT rule, target, user FROM job_locks ORDER BY key").fetchall()
        return [Job(rule, target, user) for rule, target, user in rows]

    def reclaim(self) -> list[Job]:
        """The jobs whose worker died while running them, their locks removed: queue them again."""
        with _immediate(self.db):
            rows = self.db.execute(
                "SELECT key, rule, target, host, pid, user FROM job_locks"
            ).fetchall()
            dead = [row for row in rows if not self._live(row[3], row[4])]
            for row in dead:
                self.db.execute("DELETE FROM job_locks WHERE key = ?", (row[0],))
        return [Job(row[1], row[2], row[5]) for row in dead]


class _immediate:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an error): one writer at a time decides."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
