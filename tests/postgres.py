"""The PostgreSQL server the ledger's tests run against: CROSSPOST_POSTGRES_URL names it
(`.ci/setup-postgres.sh` starts one and prints its URL). Without it those tests skip, saying
why, unless CROSSPOST_REQUIRE_POSTGRES=1 (CI), when they fail. Each test's ledgers live in a
namespace of their own, dropped after the test."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from crosspost.state import Ledger

URL_VARIABLE = "CROSSPOST_POSTGRES_URL"
REQUIRE_VARIABLE = "CROSSPOST_REQUIRE_POSTGRES"
BACKENDS = ("sqlite", "postgres")
# Read once, at import: each test runs without CROSSPOST_* variables (tests/conftest.py).
_URL = os.environ.get(URL_VARIABLE, "")
_REQUIRED = os.environ.get(REQUIRE_VARIABLE) == "1"

Opener = Callable[..., Ledger]


def postgres_url() -> str:
    """The test server's URL; skips (or fails, when required) when there is none."""
    if _URL:
        return _URL
    why = f"no PostgreSQL server: set {URL_VARIABLE} (.ci/setup-postgres.sh prints one)"
    if _REQUIRED:
        pytest.fail(f"{REQUIRE_VARIABLE}=1 but {why}")
    pytest.skip(why)


def fresh_namespace() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


@contextmanager
def ledgers(backend: str, tmp_path: Path) -> Iterator[Opener]:
    """Opens ledgers of one backend that share their data: one SQLite file, or one namespace
    on the test server (dropped afterwards). Every ledger opened is closed at the end."""
    opened: list[Ledger] = []
    if backend == "sqlite":
        path = tmp_path / "state.sqlite3"

        def open_sqlite(**options: Any) -> Ledger:
            opened.append(Ledger(path, **options))
            return opened[-1]

        try:
            yield open_sqlite
        finally:
            for ledger in opened:  # a thread's own ledger was closed by that thread
                with contextlib.suppress(sqlite3.ProgrammingError):
                    ledger.close()
        return
    from crosspost.state.postgres import PostgresLedger, schema_name

    url, namespace = postgres_url(), fresh_namespace()

    def open_postgres(**options: Any) -> Ledger:
        opened.append(PostgresLedger(url, namespace=options.pop("namespace", namespace), **options))
        return opened[-1]

    try:
        yield open_postgres
    finally:
        for ledger in opened:
            ledger.close()
        schemas = {schema_name(namespace)}
        schemas |= {ledger.schema for ledger in opened if isinstance(ledger, PostgresLedger)}
        drop_schemas(url, schemas)


def drop_schemas(url: str, schemas: set[str]) -> None:
    """Drop the schemas (straight through psycopg: a ledger would first migrate them)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as db:
        for schema in schemas:
            db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
