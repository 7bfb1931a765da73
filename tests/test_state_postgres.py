"""The ledger on PostgreSQL: a schema per user, migrations made once by whichever worker comes
first, and errors that say what to do (tests/postgres.py names the server). The methods
themselves are tested on both backends in tests/test_state.py."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from crosspost.errors import ConfigError, DataError
from crosspost.model import Platform, PostRef
from crosspost.state import SCHEMA_VERSION, Ledger, LedgerError, open_ledger
from crosspost.state.postgres import PostgresLedger, redact, schema_name
from crosspost.worker import backends
from crosspost.worker.settings import Settings
from tests.postgres import Opener, fresh_namespace, ledgers, postgres_url

REF = PostRef(Platform.MASTODON, "a@b.test", "9", "https://b.test/@a/9")


@pytest.fixture
def opener(tmp_path: Path) -> Iterator[Opener]:
    with ledgers("postgres", tmp_path) as open_:
        yield open_


def test_each_namespace_is_a_schema_of_its_own(opener: Opener) -> None:
    alice, bob = fresh_namespace(), fresh_namespace()
    first = opener(namespace=alice)
    second = opener(namespace=bob)
    assert isinstance(first, PostgresLedger)
    assert first.schema == f"crosspost_{alice}"
    first.record_intents("src", "masto", 1, "rule")
    first.record_published("src", "masto", 0, REF, rule="rule")
    first.set_cursor("rule", "alice's")
    second.record_intents("other", "masto", 1, "rule")
    assert [e.source_key for e in first.all_entries()] == ["src"]
    assert [e.source_key for e in second.all_entries()] == ["other"]
    assert (first.cursor("rule"), second.cursor("rule")) == ("alice's", None)
    assert not second.is_mirror(REF.key)
    assert opener(namespace=alice).dump() == first.dump()  # a second connection sees the same


def test_namespace_names_are_checked() -> None:
    assert schema_name("") == "crosspost"
    assert schema_name("alice_2") == "crosspost_alice_2"
    for bad in ("-a", "a b", 'x"; DROP SCHEMA public; --', "a" * 54, "é", "_"):
        with pytest.raises(ConfigError, match="letters, digits, '-' and '_'"):
            schema_name(bad)


def test_user_names_with_capitals_and_dashes_get_schemas_apart(opener: Opener) -> None:
    base = fresh_namespace()
    names = [f"{base}{name}" for name in ("Alice", "alice", "a-b", "a_b")]
    stores = [opener(namespace=name) for name in names]
    for n, store in enumerate(stores):
        store.record_intents(f"src{n}", "masto", 1, "rule")
    for n, store in enumerate(stores):
        assert [e.source_key for e in store.all_entries()] == [f"src{n}"]
    again = opener(namespace=names[2])  # found again, not made anew
    assert [e.source_key for e in again.all_entries()] == ["src2"]


def test_workers_opening_a_new_ledger_together_make_it_once() -> None:
    url, namespace = postgres_url(), fresh_namespace()
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_one() -> None:
        start.wait()
        try:
            PostgresLedger(url, namespace=namespace).close()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with PostgresLedger(url, namespace=namespace) as store:
            assert store.version == SCHEMA_VERSION
            rows = store.sql.execute("SELECT COUNT(*) FROM schema_version").fetchone()
            assert rows[0] == 1
    finally:
        PostgresLedger(url, namespace=namespace).drop()


def test_a_newer_schema_is_refused(opener: Opener) -> None:
    store = opener()
    assert isinstance(store, PostgresLedger)
    store.sql.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(DataError, match="newer crosspost"):
        opener()


@pytest.mark.parametrize(
    ("change", "kind", "words"),
    [
        (("127.0.0.1:54329", "127.0.0.1:9"), LedgerError, "cannot be reached"),
        (("postgres@", "nobody_here@"), ConfigError, "refused the login"),
        (("/crosspost_test", "/no_such_database"), ConfigError, "does not exist: create it"),
        (("crosspost_test", "crosspost_test?no_such_option=1"), ConfigError, "not a PostgreSQL"),
    ],
)
def test_a_ledger_that_cannot_be_opened_says_what_to_do(
    change: tuple[str, str], kind: type[Exception], words: str
) -> None:
    url = postgres_url()
    if change[0] not in url:
        pytest.skip(f"the test server's URL has no {change[0]!r} to change")
    with pytest.raises(kind) as caught:
        PostgresLedger(url.replace(*change))
    message = str(caught.value)
    assert words in message
    assert "\n" not in message
    assert "Traceback" not in message


def test_a_password_never_shows_in_a_message() -> None:
    assert redact("postgresql://me:s3cret@db.example:5432/x") == (
        "postgresql://me:***@db.example:5432/x"
    )
    assert redact("postgresql://me@db.example/x") == "postgresql://me@db.example/x"
    url = postgres_url().replace("postgresql://postgres@", "postgresql://nobody_here:s3cret@")
    with pytest.raises(ConfigError) as caught:
        PostgresLedger(url)
    assert "s3cret" not in str(caught.value)


def test_a_server_lost_mid_run_is_one_line_and_what_was_written_stays(opener: Opener) -> None:
    store = opener()
    assert isinstance(store, PostgresLedger)
    store.record_intents("src", "masto", 1, "rule")
    store.record_attempt("src", "masto", 0)
    pid = store.sql.raw.info.backend_pid
    killer = opener()
    assert isinstance(killer, PostgresLedger)
    killer.sql.execute("SELECT pg_terminate_backend(?)", (pid,))
    with pytest.raises(LedgerError) as caught:
        store.record_published("src", "masto", 0, REF, rule="rule")
    message = str(caught.value)
    assert "stopped answering" in message
    assert "run the same command again" in message
    assert "\n" not in message
    with pytest.raises(LedgerError):  # a transaction on the lost connection: the same line
        store.record_intents("more", "masto", 3, "rule")
    (entry,) = opener().entries("src", "masto")
    assert entry.attempts == 1  # the next run checks the target before posting again


def test_open_ledger_takes_a_path_or_a_url(tmp_path: Path) -> None:
    with open_ledger(tmp_path / "state.sqlite3") as file:
        assert type(file) is Ledger
    namespace = fresh_namespace()
    with open_ledger(postgres_url(), namespace=namespace) as server:
        assert isinstance(server, PostgresLedger)
        assert server.schema == f"crosspost_{namespace}"
        server.drop()


def test_the_worker_opens_each_users_ledger_in_its_own_schema(tmp_path: Path) -> None:
    settings = Settings(config=None, state=tmp_path / "state.sqlite3", ledger_url=postgres_url())
    namespace = fresh_namespace()
    with backends.open_ledger(settings, namespace) as store:
        assert isinstance(store, PostgresLedger)
        assert store.schema == f"crosspost_{namespace}"
        store.record_intents("src", "masto", 1, "rule")
    with backends.open_ledger(settings, namespace) as again:
        assert [e.source_key for e in again.all_entries()] == ["src"]
        assert isinstance(again, PostgresLedger)
        again.drop()
    other = Settings(config=None, state=None, ledger_url="mysql://db/x")
    with pytest.raises(ConfigError, match="postgresql://"):
        backends.open_ledger(other)


def test_a_sqlite_ledger_never_imports_psycopg(tmp_path: Path) -> None:
    code = (
        "import sys; from crosspost.state import open_ledger; "
        f"open_ledger({str(tmp_path / 's.sqlite3')!r}).close(); "
        "print('psycopg' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
