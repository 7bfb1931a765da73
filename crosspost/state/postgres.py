"""The ledger on PostgreSQL, where workers on several machines share one (psycopg 3, imported
only when such a ledger is opened).

`PostgresLedger` is a `Ledger`: the same methods run the same SQL, over `PgConnection` (`?`
placeholders become psycopg's, every statement commits at once, `transaction()` holds an advisory
lock per schema so one block writes at a time, as SQLite's BEGIN IMMEDIATE does). Each user's
ledger lives in a PostgreSQL schema of its own (`schema_name`: "" -> `crosspost`, "alice" ->
`crosspost_alice`), so many people's rules never mix in one database. The schema's version is
kept in its `schema_version` table; `MIGRATIONS` lists (version reached, script), and the opener
that holds the advisory lock applies what is missing, so workers starting together are safe.

Errors say what to do: a server that does not answer, a login refused, a database missing, a
connection lost in the middle of a run. Text keys compare byte by byte (`COLLATE "C"`), as
SQLite's do, so both ledgers list rows in the same order.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from crosspost.errors import ConfigError, CrosspostError
from crosspost.state.connection import FirstWrite, Rows
from crosspost.state.errors import LedgerError
from crosspost.state.ledger import CLAIM_LEASE, MEMORY, SCHEMA_VERSION, Ledger, copy_rows

if TYPE_CHECKING:
    import psycopg

SCHEMA_PREFIX = "crosspost"
# A user's name, as a community names them (crosspost.community): the schema name is quoted, so
# case and '-' are kept and no two users share a schema; 63 bytes at most, with the prefix.
_NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,52}")
_LOCK_CLASS = 0x63707374  # the advisory locks' first key ("cpst"); the schema's hash is the second

MIGRATIONS: tuple[tuple[int, str], ...] = (
    # Schema 4 whole (SQLite's schemas 1 to 4 came before PostgreSQL ledgers did).
    (
        4,
        """
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version VALUES (0);
        CREATE TABLE mirrors (
            rowid         BIGINT GENERATED ALWAYS AS IDENTITY,
            source_key    TEXT COLLATE "C" NOT NULL,
            target        TEXT COLLATE "C" NOT NULL,
            chunk         INTEGER NOT NULL,
            chunks        INTEGER NOT NULL DEFAULT 1,
            rule          TEXT COLLATE "C" NOT NULL DEFAULT '',
            status        TEXT NOT NULL CHECK (status IN ('pending', 'published', 'failed')),
            target_ref    TEXT,
            target_key    TEXT COLLATE "C",
            attempts      INTEGER NOT NULL DEFAULT 0,
            last_error    TEXT,
            next_retry    DOUBLE PRECISION,
            first_intent  DOUBLE PRECISION NOT NULL,
            updated       DOUBLE PRECISION NOT NULL,
            published_at  DOUBLE PRECISION,
            media         INTEGER NOT NULL DEFAULT 0,
            claimed_by    TEXT,
            claimed_until DOUBLE PRECISION,
            PRIMARY KEY (source_key, target, chunk)
        );
        CREATE INDEX mirrors_target_key ON mirrors (target_key);
        CREATE INDEX mirrors_rule_status ON mirrors (rule, status);
        CREATE INDEX mirrors_target_published ON mirrors (target, published_at);
        CREATE INDEX mirrors_rowid ON mirrors (rowid);
        CREATE TABLE sources (
            source_key TEXT COLLATE "C" NOT NULL,
            rule       TEXT COLLATE "C" NOT NULL DEFAULT '',
            post       TEXT NOT NULL,
            edited     TEXT,
            saved      DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (source_key, rule)
        );
        CREATE INDEX sources_rule_saved ON sources (rule, saved);
        CREATE TABLE cursors (
            rule    TEXT COLLATE "C" PRIMARY KEY,
            value   TEXT NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE holds (
            target  TEXT COLLATE "C" PRIMARY KEY,
            until   DOUBLE PRECISION NOT NULL,
            reason  TEXT NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE locks (
            name      TEXT COLLATE "C" PRIMARY KEY,
            pid       INTEGER NOT NULL,
            host      TEXT NOT NULL,
            started   DOUBLE PRECISION NOT NULL,
            heartbeat DOUBLE PRECISION NOT NULL
        );
        """,
    ),
)


def schema_name(namespace: str) -> str:
    """The PostgreSQL schema a namespace's ledger lives in ("" -> crosspost)."""
    if namespace == "":
        return SCHEMA_PREFIX
    if not _NAMESPACE.fullmatch(namespace):
        raise ConfigError(
            f"ledger namespace {namespace!r}: a PostgreSQL ledger's user names are letters, "
            "digits, '-' and '_', starting with a letter or digit, at most 53: rename the user"
        )
    return f"{SCHEMA_PREFIX}_{namespace}"


def redact(url: str) -> str:
    """The URL without its password (error messages print it)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the ledger URL"
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def _said(error: BaseException) -> str:
    """The server's or libpq's words, on one line, without the connection preamble."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    text = " ".join(lines[0].split()) if lines else ""
    text = re.sub(r"^connection failed: (connection to server at .*? failed: )?", "", text)
    return re.sub(r"^(FATAL|ERROR): +", "", text) or type(error).__name__


_LOGIN = ("password authentication failed", "no pg_hba.conf entry", "role ", "authentication")
_UNREACHABLE = (
    "connection refused",
    "could not connect",
    "timeout expired",
    "failed to resolve host",
    "no route to host",
    "could not translate host name",
    "network is unreachable",
    "no such file or directory",  # a Unix socket that is not there
)


def connect_error(where: str, error: BaseException) -> CrosspostError:
    """One line for a connection PostgreSQL refused, saying what to do."""
    said = _said(error)
    low = said.lower()
    if "database" in low and "does not exist" in low:
        return ConfigError(
            f"{where}: {said}: create it (createdb) or name an existing database in the ledger URL"
        )
    if any(word in low for word in _LOGIN):
        return ConfigError(
            f"{where}: PostgreSQL refused the login ({said}): check the user and password in "
            "the ledger URL (a password may also come from PGPASSWORD or ~/.pgpass)"
        )
    if any(word in low for word in _UNREACHABLE):
        return LedgerError(
            f"{where}: the PostgreSQL server cannot be reached ({said}): start it, or check "
            "the host and port in the ledger URL, and run the same command again"
        )
    return LedgerError(f"{where}: cannot connect to the PostgreSQL ledger ({said})")


def pg_error(where: str, error: BaseException) -> LedgerError:
    """One line for an error PostgreSQL raised on a statement."""
    import psycopg

    said = _said(error)
    state = getattr(error, "sqlstate", None) or ""
    if state == "42501":
        return LedgerError(
            f"{where}: the database user may not do this ({said}): grant it the use of the "
            "schema (or CREATE on the database, for a new one)"
        )
    if state.startswith("53"):  # insufficient resources: disk full, out of memory
        return LedgerError(
            f"{where}: the ledger could not be written ({said}); what was recorded before is "
            "kept: make room on the database server and run the same command again"
        )
    if state in ("40001", "40P01", "55P03"):
        return LedgerError(
            f"{where}: the ledger is held by another program ({said}); run the same command again"
        )
    if isinstance(error, psycopg.OperationalError):
        return LedgerError(
            f"{where}: the PostgreSQL server stopped answering ({said}); what was recorded "
            "before is kept: run the same command again when it is back"
        )
    return LedgerError(f"{where}: the PostgreSQL ledger cannot be used ({said})")


def _placeholders(sql: str) -> str:
    assert "%" not in sql, sql
    return sql.replace("?", "%s")


class PgConnection(FirstWrite):
    """A psycopg connection (autocommit) speaking `crosspost.state.connection.Connection`, with
    its search path on the ledger's schema."""

    def __init__(self, raw: psycopg.Connection[Any], where: str, schema: str) -> None:
        self.raw, self.where, self.schema = raw, where, schema
        self._sql: dict[str, str] = {}

    def _query(self, sql: str) -> str:
        query = self._sql.get(sql)
        if query is None:
            query = self._sql[sql] = _placeholders(sql)
        return query

    def execute(self, sql: str, parameters: Any = (), /) -> Rows:
        import psycopg

        self.first_write(sql)
        try:
            return self.raw.execute(self._query(sql), parameters or None)
        except psycopg.Error as error:
            raise pg_error(self.where, error) from None

    def executemany(self, sql: str, parameters: Any, /) -> Rows:
        import psycopg

        self.first_write(sql)
        try:
            cursor = self.raw.cursor()
            cursor.executemany(self._query(sql), parameters)
        except psycopg.Error as error:
            raise pg_error(self.where, error) from None
        return cursor

    def script(self, sql: str) -> None:
        """Several statements, no parameters (a migration)."""
        import psycopg

        try:
            self.raw.execute(sql)
        except psycopg.Error as error:
            raise pg_error(self.where, error) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """The block in one transaction, under the schema's advisory lock: one at a time."""
        import psycopg

        self.first_write("BEGIN")
        try:
            with self.raw.transaction():
                self.raw.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, self.schema)
                )
                yield
        except psycopg.Error as error:
            raise pg_error(self.where, error) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.raw.close()


def connect(url: str, schema: str, where: str) -> PgConnection:
    """A connection to the ledger database at `url`, its search path on `schema`."""
    import psycopg
    from psycopg import conninfo, sql

    try:
        given = conninfo.conninfo_to_dict(url)
    except psycopg.Error as error:
        said = _said(error)
        raise ConfigError(f"{where}: not a PostgreSQL URL crosspost can use ({said})") from None
    defaults = {"connect_timeout": "10", "application_name": "crosspost"}
    extra = {name: value for name, value in defaults.items() if name not in given}
    try:
        raw = psycopg.connect(conninfo.make_conninfo(url, **extra), autocommit=True)
    except psycopg.Error as error:
        raise connect_error(where, error) from None
    try:
        raw.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    except psycopg.Error as error:
        raw.close()
        raise pg_error(where, error) from None
    return PgConnection(raw, where, schema)


class PostgresLedger(Ledger):
    """The ledger of `namespace` ("" for a single user's) in the PostgreSQL database at `url`
    (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE); made, or brought up to date, when
    opened. A dry run's `copy()` is an in-memory SQLite ledger: nothing is sent to the server."""

    sql: PgConnection

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "",
        clock: Callable[[], float] = time.time,
        worker: str | None = None,
        lease: float = CLAIM_LEASE,
    ):
        self._identify(clock, worker, lease)
        self.schema = schema_name(namespace)
        self.path = f"{redact(url)} (schema {self.schema})"
        self.sql = connect(url, self.schema, self.path)
        try:
            self._migrate()
        except BaseException:
            self.sql.close()
            raise

    def copy(self) -> Ledger:
        store = Ledger(MEMORY, clock=self.clock, worker=self.worker, lease=self.lease)
        copy_rows(self.sql, store.sql)
        return store

    @property
    def version(self) -> int:
        row = self.sql.execute(
            "SELECT to_regclass(?) IS NOT NULL", (f'"{self.schema}".schema_version',)
        ).fetchone()
        if not row[0]:
            return 0
        return int(self.sql.execute("SELECT version FROM schema_version").fetchone()[0])

    def _migrate(self) -> None:
        """Make the schema and its tables, or bring them up to date: in one transaction, under
        the schema's lock, so workers opening the ledger together apply each step once."""
        with self.sql.transaction():
            known = self.sql.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = ?", (self.schema,)
            ).fetchone()
            if known is None:
                self.sql.script(f'CREATE SCHEMA "{self.schema}"')
            version = self.version
            if version > SCHEMA_VERSION:
                raise self._newer(version)
            for reached, script in MIGRATIONS:
                if reached > version:
                    self.sql.script(script)
                    self.sql.execute("UPDATE schema_version SET version = ?", (reached,))
                    version = reached

    def drop(self) -> None:
        """Remove the namespace's schema and everything in it (tests; a user who leaves)."""
        with self.sql.transaction():
            self.sql.script(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
