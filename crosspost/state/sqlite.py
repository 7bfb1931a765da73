"""The ledger's SQLite file: its connection, schema migrations, checks and errors.

The schema version lives in `PRAGMA user_version`; `MIGRATIONS[n]` takes a database from version
n to n + 1. The file is the user's alone (0600, its folder 0700) and checked when opened (`PRAGMA
quick_check`): a damaged one is refused with the repair, never read as a ledger that knows less.
A write the disk refuses (full, read-only, an I/O error) is one `LedgerError` line.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crosspost.state.connection import FirstWrite
from crosspost.state.errors import DamagedLedgerError, LedgerError

MEMORY = ":memory:"

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE mirrors (
        source_key   TEXT NOT NULL,
        target       TEXT NOT NULL,
        chunk        INTEGER NOT NULL,
        chunks       INTEGER NOT NULL DEFAULT 1,
        rule         TEXT NOT NULL DEFAULT '',
        status       TEXT NOT NULL CHECK (status IN ('pending', 'published', 'failed')),
        target_ref   TEXT,
        target_key   TEXT,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        next_retry   REAL,
        first_intent REAL NOT NULL,
        updated      REAL NOT NULL,
        PRIMARY KEY (source_key, target, chunk)
    );
    CREATE INDEX mirrors_target_key ON mirrors (target_key);
    CREATE INDEX mirrors_rule_status ON mirrors (rule, status);
    CREATE TABLE sources (
        source_key TEXT PRIMARY KEY,
        rule       TEXT NOT NULL DEFAULT '',
        post       TEXT NOT NULL,
        edited     TEXT,
        saved      REAL NOT NULL
    );
    CREATE TABLE cursors (rule TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL NOT NULL);
    CREATE TABLE locks (
        name TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL,
        started REAL NOT NULL, heartbeat REAL NOT NULL
    );
    """,
    # 2: when each mirror was posted and how many media it carries, for the posting caps.
    """
    ALTER TABLE mirrors ADD COLUMN published_at REAL;
    ALTER TABLE mirrors ADD COLUMN media INTEGER NOT NULL DEFAULT 0;
    UPDATE mirrors SET published_at = updated WHERE status = 'published';
    CREATE INDEX mirrors_target_published ON mirrors (target, published_at);
    """,
    # 3: a source post is kept once per rule that selected it (one row per post kept only the
    # first rule, so only that rule's mirrors followed edits and deletes); every rule with
    # mirrors of a post gets its row. Holds: targets stopped by a cap, until when and why.
    """
    CREATE TABLE sources_by_rule (
        source_key TEXT NOT NULL,
        rule       TEXT NOT NULL DEFAULT '',
        post       TEXT NOT NULL,
        edited     TEXT,
        saved      REAL NOT NULL,
        PRIMARY KEY (source_key, rule)
    );
    INSERT INTO sources_by_rule SELECT source_key, rule, post, edited, saved FROM sources;
    INSERT OR IGNORE INTO sources_by_rule
        SELECT DISTINCT m.source_key, m.rule, s.post, s.edited, s.saved
        FROM mirrors m JOIN sources s ON s.source_key = m.source_key;
    DROP TABLE sources;
    ALTER TABLE sources_by_rule RENAME TO sources;
    CREATE INDEX sources_rule_saved ON sources (rule, saved);
    CREATE TABLE holds (
        target  TEXT PRIMARY KEY,
        until   REAL NOT NULL,
        reason  TEXT NOT NULL,
        updated REAL NOT NULL
    );
    """,
    # 4: a pending mirror is claimed by the one worker publishing it, for a lease (workers
    # sharing a ledger never publish one entry side by side; see `Ledger.claim`).
    """
    ALTER TABLE mirrors ADD COLUMN claimed_by TEXT;
    ALTER TABLE mirrors ADD COLUMN claimed_until REAL;
    """,
)

REPAIR = "crosspost sync --rebuild-ledger"
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def damaged(path: str, why: object) -> DamagedLedgerError:
    said = " ".join(str(why).replace("*** in database main ***", "").split())
    return DamagedLedgerError(
        f"{path}: the state database is damaged ({said}); run `{REPAIR}`: it keeps the "
        "damaged file beside it, unmended, and rebuilds the ledger from the markers the "
        "mirrors carry",
        path,
    )


def set_aside(path: str, now: float) -> Path:
    """Move a damaged state file (and its WAL files) to `<name>.damaged-<UTC time>`, kept for
    whoever wants to look into it; the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    kept = Path(f"{path}.damaged-{stamp}")
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.replace(path + suffix, str(kept) + suffix)
    os.replace(path, kept)
    return kept


def state_error(path: str, error: sqlite3.Error) -> LedgerError:
    """One line for an error SQLite raised on the state file."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith(_DAMAGED) or "malformed" in str(error) or "not a database" in str(error):
        return damaged(path, error)
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")) or "disk" in str(error):
        return LedgerError(
            f"{path}: the state database could not be written ({error}); what was recorded "
            "before is kept: free space on its disk and run the same command again"
        )
    if name.startswith("SQLITE_BUSY") or "locked" in str(error):
        return LedgerError(
            f"{path}: the state database is held by another program ({error}); "
            "run the same command again when it is done"
        )
    return LedgerError(f"{path}: the state database cannot be used ({error})")


class _Guarded(FirstWrite, sqlite3.Connection):
    """A connection whose errors are `LedgerError`s naming the file (no traceback reaches the
    user; a run stops at the first write the disk refuses), with the `before_write` hook and
    the transactions of `crosspost.state.connection.Connection`."""

    where: str = MEMORY

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.first_write(sql)
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as error:
            raise state_error(self.where, error) from None

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        self.first_write(sql)
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as error:
            raise state_error(self.where, error) from None

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        self.first_write(script)
        try:
            return super().executescript(script)
        except sqlite3.Error as error:
            raise state_error(self.where, error) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT: the block's writes whole or not at all."""
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.execute("COMMIT")
        except BaseException:
            self.rollback_if_open()
            raise

    def rollback_if_open(self) -> None:
        """ROLLBACK when a transaction is still open (SQLite may have ended it already)."""
        if self.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                super().execute("ROLLBACK")


def _connect(path: str) -> _Guarded:
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=10.0, factory=_Guarded)
    except sqlite3.Error as error:
        raise state_error(path, error) from None
    assert isinstance(db, _Guarded)
    db.where = path
    return db


def check(db: _Guarded) -> None:
    """Refuse a damaged database: SQLite's quick check (every page and index entry read once)."""
    rows = db.execute("PRAGMA quick_check(1)").fetchall()
    if rows and rows[0][0] != "ok":
        raise damaged(db.where, rows[0][0])


def make_private(path: Path, *, own_folder: bool) -> None:
    """The state file (and its WAL files) 0600; its folder 0700 when made here, or when it is
    crosspost's own folder (a folder the user chose is left as it is)."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        own_folder = True
    if own_folder:
        os.chmod(folder, 0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            os.chmod(file, 0o600)


def default_state_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("crosspost", appauthor=False) / "state.sqlite3"


def migrate(db: _Guarded, version: int, to: int) -> None:
    """Apply MIGRATIONS[version:to], each in one transaction: applied whole or not at all."""
    for number in range(version, to):
        script = f"BEGIN IMMEDIATE;{MIGRATIONS[number]};PRAGMA user_version = {number + 1};COMMIT;"
        try:
            db.executescript(script)
        except BaseException:
            db.rollback_if_open()
            raise
