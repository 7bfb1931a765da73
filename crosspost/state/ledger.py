"""Ledger: the SQLite database behind sync and migrate (stdlib sqlite3, no server).

Tables: `mirrors` (the ledger: source post x target account x chunk -> status and target post),
`sources` (the source posts planned, one row per rule that selected them, so a retry needs no
read and every rule's edits and deletes follow), `holds` (a target a cap or a rate limit stopped,
until when and why), `cursors` (per rule), `locks` (the run lock, see `crosspost.state.lock`).
The schema version lives in `PRAGMA user_version`; `MIGRATIONS[n]` takes a database from
version n to n + 1. Every write commits at once, so a crash leaves the ledger as it was after
the last completed step.

The file is the user's alone (0600, its folder 0700) and checked when opened (`PRAGMA
quick_check`): a damaged one is refused with the repair, never read as a ledger that knows less.
A write the disk refuses (full, read-only, an I/O error) ends the run with one line; the intent
written before each publish stays, so the next run checks the target before posting again.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from crosspost.errors import DataError
from crosspost.model import Platform, Post, PostRef
from crosspost.state.errors import DamagedLedgerError
from crosspost.state.errors import LedgerError as LedgerError
from crosspost.state.lock import RunLock

SCHEMA_VERSION = 3
MEMORY = ":memory:"
# A migration's rule name in the ledger: migrate:SOURCE->TARGET (sync rules have their own).
MIGRATION_PREFIX = "migrate:"

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
)


class MirrorStatus(StrEnum):
    PENDING = "pending"  # intent written; with attempts > 0 the publish may have happened
    PUBLISHED = "published"
    FAILED = "failed"  # retried after next_retry


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    source_key: str
    target: str
    chunk: int
    chunks: int
    rule: str
    status: MirrorStatus
    target_ref: PostRef | None
    attempts: int
    last_error: str | None
    next_retry: float | None
    first_intent: float
    updated: float

    @property
    def identity(self) -> tuple[str, str, int]:
        return self.source_key, self.target, self.chunk


@dataclass(frozen=True, slots=True)
class TargetSummary:
    rule: str
    target: str
    published: int
    pending: int
    failed: int
    due: int  # pending or failed entries the next run will try
    errors: tuple[tuple[str, str], ...]  # (source key, last error) of failed entries


@dataclass(frozen=True, slots=True)
class Waiting:
    """Posts that wait until a time, and why (a cap, or the backoff after a failure)."""

    until: float
    why: str
    posts: int


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """Per rule and target, counted in source posts (a thread is one post): every chunk on the
    target; tried by the next run; waiting until a time; and, of those two, the ones whose last
    attempt failed, with the reason and when the next try is."""

    rule: str
    target: str
    published: int
    due: int
    waiting: tuple[Waiting, ...]
    failed: tuple[tuple[str, str, float | None], ...]  # (source key, last error, next try)

    @property
    def waiting_posts(self) -> int:
        return sum(w.posts for w in self.waiting)


BACKOFF_WHY = "backoff after a failure"


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


# The first word of every statement that writes (or opens a write transaction).
_WRITING = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "CREATE", "DROP", "ALTER"})


def _writes(sql: str) -> bool:
    first = sql.lstrip()[:8].split(None, 1)
    return bool(first) and first[0].upper() in _WRITING


class _Guarded(sqlite3.Connection):
    """A connection whose errors are `LedgerError`s naming the file (no traceback reaches the
    user; a run stops at the first write the disk refuses). `before_write`, when set, runs once
    before the first statement that writes (the run lock is taken there: see `Ledger.guard`)."""

    where: str = MEMORY
    before_write: Callable[[], None] | None = None

    def _first_write(self, sql: str) -> None:
        hook = self.before_write
        if hook is None or not _writes(sql):
            return
        self.before_write = None  # the hook's own statements (the lock's) pass unguarded
        try:
            hook()
        except BaseException:
            self.before_write = hook
            raise

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self._first_write(sql)
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as error:
            raise state_error(self.where, error) from None

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        self._first_write(sql)
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as error:
            raise state_error(self.where, error) from None

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        self._first_write(script)
        try:
            return super().executescript(script)
        except sqlite3.Error as error:
            raise state_error(self.where, error) from None

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


def ref_to_json(ref: PostRef) -> str:
    data = {"platform": ref.platform.value, "account": ref.account, "id": ref.id}
    data.update({k: v for k, v in (("url", ref.url), ("cid", ref.cid)) if v})
    return json.dumps(data, sort_keys=True)


def ref_from_json(text: str) -> PostRef:
    data = json.loads(text)
    return PostRef(
        Platform(data["platform"]), data["account"], data["id"], data.get("url"), data.get("cid")
    )


_COLUMNS = (
    "source_key, target, chunk, chunks, rule, status, target_ref, attempts, last_error, "
    "next_retry, first_intent, updated"
)


_INSERT_INTENT = (
    "INSERT OR IGNORE INTO mirrors (source_key, target, chunk, chunks, rule, status, "
    "first_intent, updated) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)"
)


_PUBLISHED = (
    "INSERT INTO mirrors (source_key, target, chunk, chunks, rule, status, target_ref, "
    "target_key, media, published_at, first_intent, updated) "
    "VALUES (?, ?, ?, ?, ?, 'published', ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (source_key, target, chunk) DO UPDATE SET status = 'published', "
    "target_ref = excluded.target_ref, target_key = excluded.target_key, "
    "media = excluded.media, published_at = excluded.published_at, "
    "last_error = NULL, next_retry = NULL, updated = excluded.updated"
)


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    ref = ref_from_json(row[6]) if row[6] else None
    return LedgerEntry(row[0], row[1], row[2], row[3], row[4], MirrorStatus(row[5]), ref, *row[7:])


class Ledger:
    """Open with a path (created with its folder), `:memory:` for tests, or None for the default
    file in the user data dir. `clock` gives seconds since the epoch (injected in tests)."""

    def __init__(self, path: Path | str | None = None, *, clock: Callable[[], float] = time.time):
        self.clock = clock
        target = default_state_path() if path is None else path
        self.path = str(target)
        if self.path != MEMORY:
            try:
                make_private(Path(target), own_folder=path is None)
            except OSError as error:
                raise LedgerError(f"{self.path}: the state file cannot be made: {error}") from None
        self.db = _connect(self.path)
        try:
            if self.path != MEMORY:
                check(self.db)
                self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def snapshot(cls, path: Path | str | None = None, **options: Any) -> Ledger:
        """An in-memory copy of the state file (empty when there is none): a dry run works on it
        and throws it away, so the file is never written, not even its journal."""
        source = default_state_path() if path is None else Path(path)
        store = cls(MEMORY, **options)
        if str(source) != MEMORY and source.exists():
            try:
                disk = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
                try:
                    disk.backup(store.db)
                finally:
                    disk.close()
            except sqlite3.Error as error:
                store.close()
                raise state_error(str(source), error) from None
            store.db.where = str(source)
            try:
                check(store.db)
                store._migrate()
            except BaseException:
                store.close()
                raise
        return store

    def copy(self) -> Ledger:
        """An in-memory copy of this state (a dry run works on one)."""
        store = Ledger(MEMORY, clock=self.clock)
        self.db.backup(store.db)
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema --------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.version
        if version > SCHEMA_VERSION:
            raise DataError(
                f"{self.path}: written by a newer crosspost (state schema {version}); "
                "upgrade crosspost to use it"
            )
        for number in range(version, SCHEMA_VERSION):
            # One script, one transaction: a migration is applied whole or not at all.
            script = (
                f"BEGIN IMMEDIATE;{MIGRATIONS[number]};PRAGMA user_version = {number + 1};COMMIT;"
            )
            try:
                self.db.executescript(script)
            except BaseException:
                self.db.rollback_if_open()
                raise

    def lock(self, name: str = "sync", **options: Any) -> RunLock:
        return RunLock(self.db, self.clock, name=name, **options)

    def guard(self, before_write: Callable[[], None]) -> None:
        """Run `before_write` once, just before the first statement that would write: a run
        that finds nothing to do (cron, every few minutes) takes no lock and writes nothing,
        the file keeps its mtime. What it read before is safe to act on: every write the
        engine makes first is an idempotent insert, and a run that held the lock meanwhile has
        committed all it wrote (a lock still held stops this run at its first write)."""
        self.db.before_write = before_write

    # --- ledger --------------------------------------------------------------------------------

    def entry(self, source_key: str, target: str, chunk: int) -> LedgerEntry | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM mirrors WHERE source_key = ? AND target = ? AND chunk = ?",
            (source_key, target, chunk),
        ).fetchone()
        return None if row is None else _entry(row)

    def entries(self, source_key: str, target: str) -> list[LedgerEntry]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM mirrors WHERE source_key = ? AND target = ? ORDER BY chunk",
            (source_key, target),
        )
        return [_entry(row) for row in rows]

    def all_entries(self, rule: str | None = None) -> list[LedgerEntry]:
        where, args = ("WHERE rule = ?", (rule,)) if rule is not None else ("", ())
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM mirrors {where} ORDER BY source_key, target, chunk", args
        )
        return [_entry(row) for row in rows]

    def is_mirror(self, post_key: str) -> bool:
        """True when the post is one crosspost published (a target in the ledger)."""
        row = self.db.execute(
            "SELECT 1 FROM mirrors WHERE target_key = ? LIMIT 1", (post_key,)
        ).fetchone()
        return row is not None

    def has_source(self, source_key: str, target: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM mirrors WHERE source_key = ? AND target = ? LIMIT 1",
            (source_key, target),
        ).fetchone()
        return row is not None

    def knows(self, rule: str, target: str) -> bool:
        """Whether the ledger holds any mirror of the rule on the target (a new, lost or emptied
        ledger holds none: the engine checks the target for markers before posting there)."""
        row = self.db.execute(
            "SELECT 1 FROM mirrors WHERE rule = ? AND target = ? LIMIT 1", (rule, target)
        ).fetchone()
        return row is not None

    def record_intent(
        self, source_key: str, target: str, chunk: int, chunks: int, rule: str
    ) -> LedgerEntry:
        """The intent to publish one chunk (pending, no attempt yet); an existing entry stays."""
        now = self.clock()
        self.db.execute(_INSERT_INTENT, (source_key, target, chunk, chunks, rule, now, now))
        entry = self.entry(source_key, target, chunk)
        assert entry is not None
        return entry

    def record_intents(self, source_key: str, target: str, chunks: int, rule: str) -> None:
        """The intents of every chunk of one post on one target, all or none (one transaction)."""
        now = self.clock()
        rows = [(source_key, target, i, chunks, rule, now, now) for i in range(chunks)]
        if chunks == 1:  # one statement is its own transaction: no BEGIN/COMMIT round trips
            self.db.execute(_INSERT_INTENT, rows[0])
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(_INSERT_INTENT, rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.rollback_if_open()
            raise

    def record_attempt(self, source_key: str, target: str, chunk: int) -> None:
        """Written just before a publish call: from here on, a crash leaves something to check."""
        self.db.execute(
            "UPDATE mirrors SET status = 'pending', attempts = attempts + 1, updated = ? "
            "WHERE source_key = ? AND target = ? AND chunk = ?",
            (self.clock(), source_key, target, chunk),
        )

    def record_published(
        self,
        source_key: str,
        target: str,
        chunk: int,
        ref: PostRef,
        *,
        rule: str = "",
        chunks: int = 1,
        media: int = 0,
        published_at: float | None = None,
    ) -> None:
        """The chunk is on the target as `ref`. `published_at` (default: now) is when it was
        posted, what the posting caps count; `media` is how many attachments it carries."""
        self.db.execute(
            _PUBLISHED,
            self._published_row(
                (source_key, target, chunk), ref, rule, chunks, media, published_at
            ),
        )

    def record_many_published(
        self, rows: list[tuple[tuple[str, str, int], PostRef, str, int, int]]
    ) -> None:
        """Several `record_published` at once: ((source key, target, chunk), ref, rule, chunks,
        media) each, in one transaction."""
        if not rows:
            return
        params = [
            self._published_row(key, ref, rule, n, media, None) for key, ref, rule, n, media in rows
        ]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(_PUBLISHED, params)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.rollback_if_open()
            raise

    def _published_row(
        self,
        key: tuple[str, str, int],
        ref: PostRef,
        rule: str,
        chunks: int,
        media: int,
        published_at: float | None,
    ) -> tuple[Any, ...]:
        now = self.clock()
        when = now if published_at is None else published_at
        return (*key, chunks, rule, ref_to_json(ref), ref.key, media, when, now, now)

    def published_since(self, target: str, since: float) -> list[tuple[float, int]]:
        """(when posted, media) of every mirror posted on `target` after `since`, oldest
        first: what the posting caps count."""
        rows = self.db.execute(
            "SELECT published_at, media FROM mirrors WHERE target = ? AND published_at > ? "
            "AND status = 'published' ORDER BY published_at",
            (target, since),
        )
        return [(float(row[0]), int(row[1])) for row in rows]

    def record_failed(
        self, source_key: str, target: str, chunk: int, error: str, next_retry: float | None
    ) -> None:
        self.db.execute(
            "UPDATE mirrors SET status = 'failed', last_error = ?, next_retry = ?, updated = ? "
            "WHERE source_key = ? AND target = ? AND chunk = ?",
            (error[:1000], next_retry, self.clock(), source_key, target, chunk),
        )

    def record_held(self, source_key: str, target: str, chunk: int, why: str) -> None:
        """The chunk was refused by a cap or a rate limit: nothing is wrong with it. It stays
        pending (in its place in the order) while the target's hold lasts."""
        self.db.execute(
            "UPDATE mirrors SET status = 'pending', last_error = ?, next_retry = NULL, "
            "updated = ? WHERE source_key = ? AND target = ? AND chunk = ?",
            (why[:1000], self.clock(), source_key, target, chunk),
        )

    # --- holds: targets a cap or a rate limit stopped ---------------------------------------

    def hold(self, target: str, until: float, reason: str) -> None:
        """Nothing is published on `target` before `until` (a cap, a rate limit): later posts
        never go before the one the cap stopped."""
        self.db.execute(
            "INSERT OR REPLACE INTO holds (target, until, reason, updated) VALUES (?, ?, ?, ?)",
            (target, until, reason[:1000], self.clock()),
        )

    def holds(self, now: float) -> dict[str, tuple[float, str]]:
        """target -> (until, reason) of the holds still in force at `now`."""
        rows = self.db.execute("SELECT target, until, reason FROM holds WHERE until > ?", (now,))
        return {row[0]: (float(row[1]), str(row[2])) for row in rows}

    def forget(self, source_key: str, target: str) -> None:
        self.db.execute(
            "DELETE FROM mirrors WHERE source_key = ? AND target = ?", (source_key, target)
        )

    def due(self, rule: str, now: float) -> list[tuple[str, str]]:
        """(source key, target) pairs with unfinished chunks whose retry time has come."""
        rows = self.db.execute(
            "SELECT source_key, target FROM mirrors WHERE rule = ? AND (status = 'pending' OR "
            "(status = 'failed' AND (next_retry IS NULL OR next_retry <= ?))) "
            "GROUP BY source_key, target ORDER BY MIN(rowid)",
            (rule, now),
        )
        return [(row[0], row[1]) for row in rows]

    def left(self, rule: str) -> int:
        """How many (source post, target) pairs of the rule are not wholly published."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM mirrors WHERE rule = ? AND status != "
            "'published' GROUP BY source_key, target)",
            (rule,),
        ).fetchone()
        return int(row[0])

    def rules(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every rule name the ledger holds mirrors of, with its targets, by first intent."""
        rows = self.db.execute(
            "SELECT rule, target FROM mirrors GROUP BY rule, target ORDER BY MIN(rowid)"
        )
        found: dict[str, list[str]] = {}
        for rule, target in rows:
            found.setdefault(rule, []).append(target)
        return [(rule, tuple(targets)) for rule, targets in found.items()]

    def status(self, rule: str, target: str, now: float) -> TargetStatus:
        """What `crosspost status` shows of one rule on one target, counted in posts."""
        held = self.holds(now).get(target)
        rows = self.db.execute(
            "SELECT source_key, status, next_retry, last_error FROM mirrors "
            "WHERE rule = ? AND target = ? ORDER BY source_key, chunk",
            (rule, target),
        )
        first_open: dict[str, tuple[str, float | None, str | None]] = {}
        seen: set[str] = set()
        for key, state, retry, error in rows:
            seen.add(key)
            if state != "published" and key not in first_open:
                first_open[key] = (state, retry, error)
        published = len(seen) - len(first_open)
        due = 0
        waiting: dict[tuple[float, str], int] = {}
        failed: list[tuple[str, str, float | None]] = []
        for key, (state, retry, error) in first_open.items():
            if state == "failed":
                failed.append((key, error or "", retry))
            if held is not None:
                waiting[held] = waiting.get(held, 0) + 1
            elif state == "failed" and retry is not None and retry > now:
                slot = (retry, BACKOFF_WHY)
                waiting[slot] = waiting.get(slot, 0) + 1
            else:
                due += 1
        return TargetStatus(
            rule,
            target,
            published,
            due,
            tuple(Waiting(until, why, n) for (until, why), n in sorted(waiting.items())),
            tuple(failed),
        )

    def summary(self, rule: str, targets: tuple[str, ...], now: float) -> list[TargetSummary]:
        result = []
        for target in targets:
            counts = dict(
                self.db.execute(
                    "SELECT status, COUNT(*) FROM mirrors WHERE rule = ? AND target = ? "
                    "GROUP BY status",
                    (rule, target),
                ).fetchall()
            )
            due = self.db.execute(
                "SELECT COUNT(*) FROM mirrors WHERE rule = ? AND target = ? AND (status = "
                "'pending' OR (status = 'failed' AND (next_retry IS NULL OR next_retry <= ?)))",
                (rule, target, now),
            ).fetchone()[0]
            errors = self.db.execute(
                "SELECT source_key, last_error FROM mirrors WHERE rule = ? AND target = ? AND "
                "status = 'failed' ORDER BY updated DESC LIMIT 20",
                (rule, target),
            ).fetchall()
            result.append(
                TargetSummary(
                    rule,
                    target,
                    counts.get("published", 0),
                    counts.get("pending", 0),
                    counts.get("failed", 0),
                    due,
                    tuple((key, error or "") for key, error in errors),
                )
            )
        return result

    # --- sources and cursors -------------------------------------------------------------------

    def save_source(self, post: Post, rule: str, *, replace: bool = True) -> None:
        """Keep the source post a ledger entry mirrors (a retry plans from it, not a read)."""
        if not replace and self.has_saved_source(post.ref.key, rule):
            return  # read first: a post seen again (at the cursor) costs no write
        edited = post.edited_at.isoformat() if post.edited_at else None
        update = (
            "DO UPDATE SET post = excluded.post, edited = excluded.edited, saved = excluded.saved"
            if replace
            else "DO NOTHING"
        )
        self.db.execute(
            "INSERT INTO sources (source_key, rule, post, edited, saved) VALUES (?, ?, ?, ?, ?) "
            f"ON CONFLICT (source_key, rule) {update}",
            (post.ref.key, rule, json.dumps(post.to_json(), sort_keys=True), edited, self.clock()),
        )

    def load_source(self, source_key: str, rule: str | None = None) -> Post | None:
        """The source post as `rule` last saved it; without a rule, as any rule last saved it."""
        if rule is None:
            row = self.db.execute(
                "SELECT post FROM sources WHERE source_key = ? ORDER BY saved DESC LIMIT 1",
                (source_key,),
            ).fetchone()
        else:
            row = self.db.execute(
                "SELECT post FROM sources WHERE source_key = ? AND rule = ?", (source_key, rule)
            ).fetchone()
        return None if row is None else Post.from_json(json.loads(row[0]))

    def has_saved_source(self, source_key: str, rule: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sources WHERE source_key = ? AND rule = ?", (source_key, rule)
        ).fetchone()
        return row is not None

    def source_rules(self, source_key: str) -> list[str]:
        """The rules that selected the source post."""
        rows = self.db.execute(
            "SELECT rule FROM sources WHERE source_key = ? ORDER BY saved", (source_key,)
        )
        return [row[0] for row in rows]

    def source_of_mirror(self, post_key: str) -> str | None:
        """The source post a published mirror (any chunk of it) was made of."""
        row = self.db.execute(
            "SELECT source_key FROM mirrors WHERE target_key = ? AND status = 'published' LIMIT 1",
            (post_key,),
        ).fetchone()
        return None if row is None else str(row[0])

    def source_keys(self, rule: str, *, saved_after: float = 0.0) -> list[str]:
        rows = self.db.execute(
            "SELECT source_key FROM sources WHERE rule = ? AND saved >= ? ORDER BY saved",
            (rule, saved_after),
        )
        return [row[0] for row in rows]

    def forget_source(self, source_key: str, rule: str | None = None) -> None:
        """Forget the source post for `rule` (for every rule without one)."""
        if rule is None:
            self.db.execute("DELETE FROM sources WHERE source_key = ?", (source_key,))
        else:
            self.db.execute(
                "DELETE FROM sources WHERE source_key = ? AND rule = ?", (source_key, rule)
            )

    def cursor(self, rule: str) -> str | None:
        row = self.db.execute("SELECT value FROM cursors WHERE rule = ?", (rule,)).fetchone()
        return None if row is None else str(row[0])

    def set_cursor(self, rule: str, value: str) -> None:
        """Keep how far the rule has read; the same value again writes nothing."""
        if self.cursor(rule) == value:
            return
        self.db.execute(
            "INSERT OR REPLACE INTO cursors (rule, value, updated) VALUES (?, ?, ?)",
            (rule, value, self.clock()),
        )

    def dump(self) -> list[tuple[Any, ...]]:
        """The published ledger as plain rows (tests compare a rebuilt ledger with it)."""
        return list(
            self.db.execute(
                "SELECT source_key, target, chunk, status, target_key FROM mirrors "
                "WHERE status = 'published' ORDER BY source_key, target, chunk"
            )
        )
