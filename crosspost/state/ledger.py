"""Ledger: the database behind sync and migrate. SQLite by default (stdlib sqlite3, no server,
`crosspost.state.sqlite`); PostgreSQL where several workers share it
(`crosspost.state.postgres.PostgresLedger`: the same methods over the same SQL).

Tables: `mirrors` (the ledger: source post x target account x chunk -> status and target post),
`sources` (the source posts planned, one row per rule that selected them, so a retry needs no
read and every rule's edits and deletes follow), `holds` (a target a cap or a rate limit stopped,
until when and why), `cursors` (per rule), `locks` (the run lock, see `crosspost.state.lock`).
Every write commits at once, so a crash leaves the ledger as it was after the last completed
step. A write the database refuses (a full disk, a server gone) ends the run with one line; the
intent written before each publish stays, so the next run checks the target before posting again.

A pending mirror is claimed by the worker about to publish it (`claim`): a claimed row whose
lease lasts is left alone by every other worker; a lease that ran out (or a claimer whose process
is gone, on the same host) is taken over, and the taker checks the target first when an attempt
was recorded, as after any crash.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crosspost.errors import DataError
from crosspost.model import Post, PostRef
from crosspost.state.connection import Connection
from crosspost.state.errors import LedgerError as LedgerError
from crosspost.state.lock import RunLock, pid_alive
from crosspost.state.records import BACKOFF_WHY as BACKOFF_WHY
from crosspost.state.records import ENTRY_COLUMNS, entry_of
from crosspost.state.records import Claim as Claim
from crosspost.state.records import LedgerEntry as LedgerEntry
from crosspost.state.records import MirrorStatus as MirrorStatus
from crosspost.state.records import TargetStatus as TargetStatus
from crosspost.state.records import TargetSummary as TargetSummary
from crosspost.state.records import Waiting as Waiting
from crosspost.state.records import ref_from_json as ref_from_json
from crosspost.state.records import ref_to_json as ref_to_json
from crosspost.state.sqlite import MEMORY as MEMORY
from crosspost.state.sqlite import MIGRATIONS as MIGRATIONS
from crosspost.state.sqlite import REPAIR as REPAIR
from crosspost.state.sqlite import _connect as _connect
from crosspost.state.sqlite import _Guarded as _Guarded
from crosspost.state.sqlite import check, make_private, migrate, state_error
from crosspost.state.sqlite import damaged as damaged
from crosspost.state.sqlite import default_state_path as default_state_path
from crosspost.state.sqlite import set_aside as set_aside

SCHEMA_VERSION = 4
# A migration's rule name in the ledger: migrate:SOURCE->TARGET (sync rules have their own).
MIGRATION_PREFIX = "migrate:"
# How long a claim keeps other workers off a pending mirror: one chunk's publish (media
# uploads included) is over well within it; a claimer killed on another host holds it this long.
CLAIM_LEASE = 600.0

# What `copy` carries from one ledger to another, table by table (mirrors in insertion order).
TABLES = {
    "mirrors": (
        "source_key, target, chunk, chunks, rule, status, target_ref, target_key, attempts, "
        "last_error, next_retry, first_intent, updated, published_at, media, claimed_by, "
        "claimed_until"
    ),
    "sources": "source_key, rule, post, edited, saved",
    "cursors": "rule, value, updated",
    "holds": "target, until, reason, updated",
}

_INSERT_INTENT = (
    "INSERT INTO mirrors (source_key, target, chunk, chunks, rule, status, first_intent, "
    "updated) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) "
    "ON CONFLICT (source_key, target, chunk) DO NOTHING"
)

_PUBLISHED = (
    "INSERT INTO mirrors (source_key, target, chunk, chunks, rule, status, target_ref, "
    "target_key, media, published_at, first_intent, updated) "
    "VALUES (?, ?, ?, ?, ?, 'published', ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (source_key, target, chunk) DO UPDATE SET status = 'published', "
    "target_ref = excluded.target_ref, target_key = excluded.target_key, "
    "media = excluded.media, published_at = excluded.published_at, "
    "last_error = NULL, next_retry = NULL, claimed_by = NULL, claimed_until = NULL, "
    "updated = excluded.updated"
)

_KEY = "source_key = ? AND target = ? AND chunk = ?"

# One statement: the row is this worker's when it is unclaimed, already its own, or its lease
# ran out; a published row is nobody's to claim.
_CLAIM = (
    f"UPDATE mirrors SET claimed_by = ?, claimed_until = ? WHERE {_KEY} "
    "AND status != 'published' AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until <= ?) "
    f"RETURNING {ENTRY_COLUMNS}"
)
# Taking over from a claimer whose process is gone: only if that claim is still the one read.
_TAKE_OVER = (
    f"UPDATE mirrors SET claimed_by = ?, claimed_until = ? WHERE {_KEY} "
    f"AND status != 'published' AND claimed_by = ? RETURNING {ENTRY_COLUMNS}"
)


def worker_id() -> str:
    """Who claims: host, process and thread (two threads of one worker claim apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def copy_rows(source: Connection, into: Connection) -> None:
    """Every row of the ledger's tables from `source` into `into`'s (empty) tables."""
    with into.transaction():
        for table, columns in TABLES.items():
            order = " ORDER BY rowid" if table == "mirrors" else ""
            rows = source.execute(f"SELECT {columns} FROM {table}{order}").fetchall()
            marks = ", ".join("?" * len(columns.split(",")))
            if rows:
                into.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


class Ledger:
    """Open with a path (created with its folder), `:memory:` for tests, or None for the default
    file in the user data dir. `clock` gives seconds since the epoch (injected in tests);
    `worker` names this ledger's claims (default: host, pid and thread), held `lease` seconds.

    `sql` is what the ledger's statements run on (`crosspost.state.connection`); `db` is the
    SQLite connection itself (the same object; a PostgreSQL ledger has none)."""

    sql: Connection

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        clock: Callable[[], float] = time.time,
        worker: str | None = None,
        lease: float = CLAIM_LEASE,
    ):
        self._identify(clock, worker, lease)
        target = default_state_path() if path is None else path
        self.path = str(target)
        if self.path != MEMORY:
            try:
                make_private(Path(target), own_folder=path is None)
            except OSError as error:
                raise LedgerError(f"{self.path}: the state file cannot be made: {error}") from None
        self.db = _connect(self.path)
        self.sql = self.db
        try:
            if self.path != MEMORY:
                check(self.db)
                self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except BaseException:
            self.db.close()
            raise

    def _identify(self, clock: Callable[[], float], worker: str | None, lease: float) -> None:
        self.clock = clock
        self.worker = worker or worker_id()
        self.lease = lease

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
        store = Ledger(MEMORY, clock=self.clock, worker=self.worker, lease=self.lease)
        self.db.backup(store.db)
        return store

    def close(self) -> None:
        self.sql.close()

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
            raise self._newer(version)
        migrate(self.db, version, SCHEMA_VERSION)

    def _newer(self, version: int) -> DataError:
        return DataError(
            f"{self.path}: written by a newer crosspost (state schema {version}); "
            "upgrade crosspost to use it"
        )

    def lock(self, name: str = "sync", **options: Any) -> RunLock:
        return RunLock(self.sql, self.clock, name=name, **options)

    def guard(self, before_write: Callable[[], None]) -> None:
        """Run `before_write` once, just before the first statement that would write: a run
        that finds nothing to do (cron, every few minutes) takes no lock and writes nothing,
        the file keeps its mtime. What it read before is safe to act on: every write the
        engine makes first is an idempotent insert, and a run that held the lock meanwhile has
        committed all it wrote (a lock still held stops this run at its first write)."""
        self.sql.before_write = before_write

    # --- claims: one worker publishes a pending mirror -------------------------------------------

    def claim(self, source_key: str, target: str, chunk: int) -> Claim:
        """Claim the entry for this worker, for `lease` seconds, just before publishing it: the
        entry as it is now when claimed (or published already: nothing to do); None, with when
        the lease ends, while another worker's claim lasts. A claim whose lease ran out, or
        whose worker's process is gone (same host), is taken over: the entry then may carry the
        attempt that worker recorded, and the target is checked before posting again."""
        key = (source_key, target, chunk)
        for _ in range(3):  # a claim released between the two statements: ask again
            now = self.clock()
            until = now + self.lease
            rows = self.sql.execute(_CLAIM, (self.worker, until, *key, self.worker, now)).fetchall()
            if rows:
                return Claim(entry_of(rows[0]))
            row = self.sql.execute(
                f"SELECT {ENTRY_COLUMNS}, claimed_by, claimed_until FROM mirrors WHERE {_KEY}", key
            ).fetchone()
            if row is None:  # forgotten meanwhile
                return Claim(None, now)
            entry, holder, held_until = entry_of(row[:-2]), row[-2], row[-1]
            if entry.status is MirrorStatus.PUBLISHED:
                return Claim(entry)
            if holder is None:
                continue
            if not self._gone(holder):
                return Claim(None, float(held_until))
            rows = self.sql.execute(_TAKE_OVER, (self.worker, until, *key, holder)).fetchall()
            if rows:
                return Claim(entry_of(rows[0]))
        return Claim(None, self.clock())

    def _gone(self, holder: str) -> bool:
        """Whether the claimer's process is gone: on this host, its pid is not running."""
        host, _, rest = holder.partition(":")
        pid = rest.partition(":")[0]
        own_host = self.worker.partition(":")[0]
        return host == own_host and pid.isdigit() and not pid_alive(int(pid))

    def release(self, source_key: str, target: str, chunk: int) -> None:
        """Give up this worker's claim (the entry was not published: a cap stopped it)."""
        self.sql.execute(
            f"UPDATE mirrors SET claimed_by = NULL, claimed_until = NULL WHERE {_KEY} "
            "AND claimed_by = ?",
            (source_key, target, chunk, self.worker),
        )

    # --- ledger --------------------------------------------------------------------------------

    def entry(self, source_key: str, target: str, chunk: int) -> LedgerEntry | None:
        row = self.sql.execute(
            f"SELECT {ENTRY_COLUMNS} FROM mirrors WHERE {_KEY}",
            (source_key, target, chunk),
        ).fetchone()
        return None if row is None else entry_of(row)

    def entries(self, source_key: str, target: str) -> list[LedgerEntry]:
        rows = self.sql.execute(
            f"SELECT {ENTRY_COLUMNS} FROM mirrors WHERE source_key = ? AND target = ? "
            "ORDER BY chunk",
            (source_key, target),
        )
        return [entry_of(row) for row in rows]

    def all_entries(self, rule: str | None = None) -> list[LedgerEntry]:
        where, args = ("WHERE rule = ?", (rule,)) if rule is not None else ("", ())
        rows = self.sql.execute(
            f"SELECT {ENTRY_COLUMNS} FROM mirrors {where} ORDER BY source_key, target, chunk", args
        )
        return [entry_of(row) for row in rows]

    def is_mirror(self, post_key: str) -> bool:
        """True when the post is one crosspost published (a target in the ledger)."""
        row = self.sql.execute(
            "SELECT 1 FROM mirrors WHERE target_key = ? LIMIT 1", (post_key,)
        ).fetchone()
        return row is not None

    def has_source(self, source_key: str, target: str) -> bool:
        row = self.sql.execute(
            "SELECT 1 FROM mirrors WHERE source_key = ? AND target = ? LIMIT 1",
            (source_key, target),
        ).fetchone()
        return row is not None

    def knows(self, rule: str, target: str) -> bool:
        """Whether the ledger holds any mirror of the rule on the target (a new, lost or emptied
        ledger holds none: the engine checks the target for markers before posting there)."""
        row = self.sql.execute(
            "SELECT 1 FROM mirrors WHERE rule = ? AND target = ? LIMIT 1", (rule, target)
        ).fetchone()
        return row is not None

    def record_intent(
        self, source_key: str, target: str, chunk: int, chunks: int, rule: str
    ) -> LedgerEntry:
        """The intent to publish one chunk (pending, no attempt yet); an existing entry stays."""
        now = self.clock()
        self.sql.execute(_INSERT_INTENT, (source_key, target, chunk, chunks, rule, now, now))
        entry = self.entry(source_key, target, chunk)
        assert entry is not None
        return entry

    def record_intents(self, source_key: str, target: str, chunks: int, rule: str) -> None:
        """The intents of every chunk of one post on one target, all or none (one transaction)."""
        now = self.clock()
        rows = [(source_key, target, i, chunks, rule, now, now) for i in range(chunks)]
        if chunks == 1:  # one statement is its own transaction: no BEGIN/COMMIT round trips
            self.sql.execute(_INSERT_INTENT, rows[0])
            return
        with self.sql.transaction():
            self.sql.executemany(_INSERT_INTENT, rows)

    def record_attempt(self, source_key: str, target: str, chunk: int) -> None:
        """Written just before a publish call: from here on, a crash leaves something to check."""
        self.sql.execute(
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
        self.sql.execute(
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
        with self.sql.transaction():
            self.sql.executemany(_PUBLISHED, params)

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
        rows = self.sql.execute(
            "SELECT published_at, media FROM mirrors WHERE target = ? AND published_at > ? "
            "AND status = 'published' ORDER BY published_at",
            (target, since),
        )
        return [(float(row[0]), int(row[1])) for row in rows]

    def record_failed(
        self, source_key: str, target: str, chunk: int, error: str, next_retry: float | None
    ) -> None:
        self.sql.execute(
            "UPDATE mirrors SET status = 'failed', last_error = ?, next_retry = ?, updated = ?, "
            "claimed_by = NULL, claimed_until = NULL "
            # Never over a row another worker published meanwhile: published is final.
            "WHERE source_key = ? AND target = ? AND chunk = ? AND status != 'published'",
            (error[:1000], next_retry, self.clock(), source_key, target, chunk),
        )

    def record_held(self, source_key: str, target: str, chunk: int, why: str) -> None:
        """The chunk was refused by a cap or a rate limit: nothing is wrong with it. It stays
        pending (in its place in the order) while the target's hold lasts."""
        self.sql.execute(
            "UPDATE mirrors SET status = 'pending', last_error = ?, next_retry = NULL, "
            f"claimed_by = NULL, claimed_until = NULL, updated = ? WHERE {_KEY}",
            (why[:1000], self.clock(), source_key, target, chunk),
        )

    # --- holds: targets a cap or a rate limit stopped ---------------------------------------

    def hold(self, target: str, until: float, reason: str) -> None:
        """Nothing is published on `target` before `until` (a cap, a rate limit): later posts
        never go before the one the cap stopped."""
        self.sql.execute(
            "INSERT INTO holds (target, until, reason, updated) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (target) DO UPDATE SET until = excluded.until, "
            "reason = excluded.reason, updated = excluded.updated",
            (target, until, reason[:1000], self.clock()),
        )

    def holds(self, now: float) -> dict[str, tuple[float, str]]:
        """target -> (until, reason) of the holds still in force at `now`."""
        rows = self.sql.execute("SELECT target, until, reason FROM holds WHERE until > ?", (now,))
        return {row[0]: (float(row[1]), str(row[2])) for row in rows}

    def forget(self, source_key: str, target: str) -> None:
        self.sql.execute(
            "DELETE FROM mirrors WHERE source_key = ? AND target = ?", (source_key, target)
        )

    def due(self, rule: str, now: float) -> list[tuple[str, str]]:
        """(source key, target) pairs with unfinished chunks whose retry time has come."""
        rows = self.sql.execute(
            "SELECT source_key, target FROM mirrors WHERE rule = ? AND (status = 'pending' OR "
            "(status = 'failed' AND (next_retry IS NULL OR next_retry <= ?))) "
            "GROUP BY source_key, target ORDER BY MIN(rowid)",
            (rule, now),
        )
        return [(row[0], row[1]) for row in rows]

    def left(self, rule: str) -> int:
        """How many (source post, target) pairs of the rule are not wholly published."""
        row = self.sql.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM mirrors WHERE rule = ? AND status != "
            "'published' GROUP BY source_key, target) AS pairs",
            (rule,),
        ).fetchone()
        return int(row[0])

    def rules(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every rule name the ledger holds mirrors of, with its targets, by first intent."""
        rows = self.sql.execute(
            "SELECT rule, target FROM mirrors GROUP BY rule, target ORDER BY MIN(rowid)"
        )
        found: dict[str, list[str]] = {}
        for rule, target in rows:
            found.setdefault(rule, []).append(target)
        return [(rule, tuple(targets)) for rule, targets in found.items()]

    def status(self, rule: str, target: str, now: float) -> TargetStatus:
        """What `crosspost status` shows of one rule on one target, counted in posts."""
        held = self.holds(now).get(target)
        rows = self.sql.execute(
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
                self.sql.execute(
                    "SELECT status, COUNT(*) FROM mirrors WHERE rule = ? AND target = ? "
                    "GROUP BY status",
                    (rule, target),
                ).fetchall()
            )
            due = self.sql.execute(
                "SELECT COUNT(*) FROM mirrors WHERE rule = ? AND target = ? AND (status = "
                "'pending' OR (status = 'failed' AND (next_retry IS NULL OR next_retry <= ?)))",
                (rule, target, now),
            ).fetchone()[0]
            errors = self.sql.execute(
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
        self.sql.execute(
            "INSERT INTO sources (source_key, rule, post, edited, saved) VALUES (?, ?, ?, ?, ?) "
            f"ON CONFLICT (source_key, rule) {update}",
            (post.ref.key, rule, json.dumps(post.to_json(), sort_keys=True), edited, self.clock()),
        )

    def load_source(self, source_key: str, rule: str | None = None) -> Post | None:
        """The source post as `rule` last saved it; without a rule, as any rule last saved it."""
        if rule is None:
            row = self.sql.execute(
                "SELECT post FROM sources WHERE source_key = ? ORDER BY saved DESC LIMIT 1",
                (source_key,),
            ).fetchone()
        else:
            row = self.sql.execute(
                "SELECT post FROM sources WHERE source_key = ? AND rule = ?", (source_key, rule)
            ).fetchone()
        return None if row is None else Post.from_json(json.loads(row[0]))

    def has_saved_source(self, source_key: str, rule: str) -> bool:
        row = self.sql.execute(
            "SELECT 1 FROM sources WHERE source_key = ? AND rule = ?", (source_key, rule)
        ).fetchone()
        return row is not None

    def source_rules(self, source_key: str) -> list[str]:
        """The rules that selected the source post."""
        rows = self.sql.execute(
            "SELECT rule FROM sources WHERE source_key = ? ORDER BY saved", (source_key,)
        )
        return [row[0] for row in rows]

    def source_of_mirror(self, post_key: str) -> str | None:
        """The source post a published mirror (any chunk of it) was made of."""
        row = self.sql.execute(
            "SELECT source_key FROM mirrors WHERE target_key = ? AND status = 'published' LIMIT 1",
            (post_key,),
        ).fetchone()
        return None if row is None else str(row[0])

    def source_keys(self, rule: str, *, saved_after: float = 0.0) -> list[str]:
        rows = self.sql.execute(
            "SELECT source_key FROM sources WHERE rule = ? AND saved >= ? ORDER BY saved",
            (rule, saved_after),
        )
        return [row[0] for row in rows]

    def forget_source(self, source_key: str, rule: str | None = None) -> None:
        """Forget the source post for `rule` (for every rule without one)."""
        if rule is None:
            self.sql.execute("DELETE FROM sources WHERE source_key = ?", (source_key,))
        else:
            self.sql.execute(
                "DELETE FROM sources WHERE source_key = ? AND rule = ?", (source_key, rule)
            )

    def cursor(self, rule: str) -> str | None:
        row = self.sql.execute("SELECT value FROM cursors WHERE rule = ?", (rule,)).fetchone()
        return None if row is None else str(row[0])

    def set_cursor(self, rule: str, value: str) -> None:
        """Keep how far the rule has read; the same value again writes nothing."""
        if self.cursor(rule) == value:
            return
        self.sql.execute(
            "INSERT INTO cursors (rule, value, updated) VALUES (?, ?, ?) ON CONFLICT (rule) "
            "DO UPDATE SET value = excluded.value, updated = excluded.updated",
            (rule, value, self.clock()),
        )

    def dump(self) -> list[tuple[Any, ...]]:
        """The published ledger as plain rows (tests compare a rebuilt ledger with it)."""
        return list(
            self.sql.execute(
                "SELECT source_key, target, chunk, status, target_key FROM mirrors "
                "WHERE status = 'published' ORDER BY source_key, target, chunk"
            )
        )
