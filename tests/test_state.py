"""Ledger: schema and migrations, the ledger, cursors, snapshots and the run lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crosspost.errors import DataError
from crosspost.model import Platform, PostRef
from crosspost.state import SCHEMA_VERSION, Ledger, LockHeldError, MirrorStatus

REF = PostRef(Platform.MASTODON, "a@b.test", "9", "https://b.test/@a/9")


def test_a_new_file_gets_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.sqlite3"
    with Ledger(path) as store:
        assert store.version == SCHEMA_VERSION
    with Ledger(path) as again:  # reopening migrates nothing
        assert again.version == SCHEMA_VERSION


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(DataError, match="newer crosspost"):
        Ledger(path)


def test_the_ledger_walks_pending_published_failed() -> None:
    now = [1000.0]
    store = Ledger(":memory:", clock=lambda: now[0])
    store.record_intents("src", "masto", 2, "rule")
    assert store.due("rule", now[0]) == [("src", "masto")]
    store.record_attempt("src", "masto", 0)
    store.record_published("src", "masto", 0, REF, rule="rule")
    store.record_attempt("src", "masto", 1)
    store.record_failed("src", "masto", 1, "503", now[0] + 60)
    first, second = store.entries("src", "masto")
    assert (first.status, first.target_ref, first.attempts) == (MirrorStatus.PUBLISHED, REF, 1)
    assert (second.status, second.last_error) == (MirrorStatus.FAILED, "503")
    assert store.due("rule", now[0]) == []
    assert store.due("rule", now[0] + 61) == [("src", "masto")]
    assert store.is_mirror(REF.key)
    (row,) = store.summary("rule", ("masto",), now[0])
    assert (row.published, row.failed, row.due, row.errors) == (1, 1, 0, (("src", "503"),))


def test_cursors_and_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with Ledger(path) as store:
        store.set_cursor("rule", "2024-01-01T00:00:00+00:00")
    data = path.read_bytes()
    snapshot = Ledger.snapshot(path)
    assert snapshot.cursor("rule") == "2024-01-01T00:00:00+00:00"
    snapshot.set_cursor("rule", "later")
    snapshot.close()
    assert path.read_bytes() == data
    assert Ledger.snapshot(tmp_path / "absent.sqlite3").cursor("rule") is None
    assert not (tmp_path / "absent.sqlite3").exists()


def test_the_lock_refuses_a_live_holder_and_takes_over_a_dead_one(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    first = Ledger(path, clock=lambda: 100.0)
    second = Ledger(path, clock=lambda: 200.0)
    with first.lock(pid=11, alive=lambda pid: True):
        with pytest.raises(LockHeldError, match="pid 11"):
            second.lock(pid=22, alive=lambda pid: True).acquire()
        stale = second.lock(pid=22, alive=lambda pid: pid != 11)
        stale.acquire()  # pid 11 died without releasing: stale
        assert stale.held
        stale.release()


def test_another_hosts_lock_goes_stale_without_heartbeat(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    Ledger(path, clock=lambda: 0.0).lock(pid=1, host="elsewhere").acquire()
    late = Ledger(path, clock=lambda: 4000.0).lock(pid=2)
    late.acquire()
    assert late.held


def test_schema_1_gains_when_each_mirror_was_posted(tmp_path: Path) -> None:
    from crosspost.state.ledger import MIGRATIONS

    path = tmp_path / "state.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    db.execute(
        "INSERT INTO mirrors (source_key, target, chunk, status, target_key, first_intent, "
        "updated) VALUES ('s', 'masto', 0, 'published', 'k', 5.0, 7.0)"
    )
    db.commit()
    db.close()
    with Ledger(path) as store:
        assert store.version == SCHEMA_VERSION
        assert store.published_since("masto", 0.0) == [(7.0, 0)]
        assert store.published_since("masto", 7.0) == []  # the window is open at its start


def test_schema_2_keeps_a_source_for_every_rule_with_mirrors_of_it(tmp_path: Path) -> None:
    from crosspost.state.ledger import MIGRATIONS

    path = tmp_path / "state.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + ";" + MIGRATIONS[1] + "; PRAGMA user_version = 2;")
    post = '{"not": "read here"}'
    db.execute("INSERT INTO sources VALUES ('s', 'to-sky', ?, NULL, 3.0)", (post,))
    for rule, target in (("to-sky", "sky"), ("to-masto", "masto")):
        db.execute(
            "INSERT INTO mirrors (source_key, target, chunk, rule, status, target_key, "
            "first_intent, updated, published_at) VALUES "
            "('s', ?, 0, ?, 'published', ?, 5.0, 7.0, 7.0)",
            (target, rule, f"{target}:1"),
        )
    db.commit()
    db.close()
    with Ledger(path) as store:
        assert store.version == SCHEMA_VERSION == 3
        assert store.source_keys("to-sky") == ["s"]
        assert store.source_keys("to-masto") == ["s"]  # it had no row of its own before
        assert sorted(store.source_rules("s")) == ["to-masto", "to-sky"]
        assert store.published_since("masto", 0.0) == [(7.0, 0)]
        store.forget_source("s", "to-sky")
        assert store.source_rules("s") == ["to-masto"]
