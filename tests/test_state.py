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
        assert store.version == SCHEMA_VERSION == 4
        assert store.source_keys("to-sky") == ["s"]
        assert store.source_keys("to-masto") == ["s"]  # it had no row of its own before
        assert sorted(store.source_rules("s")) == ["to-masto", "to-sky"]
        assert store.published_since("masto", 0.0) == [(7.0, 0)]
        store.forget_source("s", "to-sky")
        assert store.source_rules("s") == ["to-masto"]


# --- a damaged, exposed or full state file ---------------------------------------------------


def filled_ledger(path: Path, posts: int = 2000) -> None:
    with Ledger(path) as store:
        for n in range(posts):
            ref = PostRef(Platform.MASTODON, "a@b.test", str(n), f"https://b.test/@a/{n}")
            store.record_intents(f"tumblr:art:{n}", "masto", 1, "rule")
            store.record_published(f"tumblr:art:{n}", "masto", 0, ref, rule="rule")
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def garble(path: Path, size: int = 4096) -> None:
    """4 KB of noise over a page in the middle of the file."""
    data = bytearray(path.read_bytes())
    middle = (len(data) // 2) // 4096 * 4096
    noise = bytes((n * 151 + 17) % 256 for n in range(size))
    data[middle : middle + size] = noise
    path.write_bytes(bytes(data))


def test_a_garbled_page_is_refused_at_open_with_the_repair(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    filled_ledger(path)
    assert path.stat().st_size > 5 * 4096
    garble(path)
    for open_ in (Ledger, Ledger.snapshot):  # sync; status and dry runs
        with pytest.raises(DataError) as caught:
            open_(path)
        message = str(caught.value)
        assert "\n" not in message
        assert "damaged" in message
        assert "crosspost sync --rebuild-ledger" in message
        assert str(path) in message


def test_a_sound_ledger_opens_after_its_check(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    filled_ledger(path, 50)
    with Ledger(path) as store:
        assert len(store.all_entries()) == 50


def test_the_ledger_is_private_new_and_old(tmp_path: Path) -> None:
    import os

    made = tmp_path / "new" / "state.sqlite3"
    with Ledger(made) as store:
        store.set_cursor("rule", "x")
    assert made.stat().st_mode & 0o777 == 0o600
    assert made.parent.stat().st_mode & 0o777 == 0o700
    for extra in (made.with_name(made.name + "-wal"), made.with_name(made.name + "-shm")):
        assert not extra.exists() or extra.stat().st_mode & 0o777 == 0o600

    old = tmp_path / "old" / "state.sqlite3"
    old.parent.mkdir(mode=0o755)
    os.chmod(old.parent, 0o755)
    sqlite3.connect(old).close()
    os.chmod(old, 0o644)
    Ledger(old).close()
    assert old.stat().st_mode & 0o777 == 0o600


def test_the_default_folder_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from crosspost.state import default_state_path

    folder = default_state_path().parent
    folder.mkdir(parents=True)
    os.chmod(folder, 0o755)
    Ledger().close()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert default_state_path().stat().st_mode & 0o777 == 0o600


def test_a_full_disk_is_one_line_and_the_intent_stays(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = Ledger(path)
    store.record_intents("src", "masto", 1, "rule")
    store.record_attempt("src", "masto", 0)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # the disk has no room left

    def fill() -> None:
        for n in range(500):
            store.record_intents(f"src{n}", "masto", 3, "rule")

    with pytest.raises(DataError) as caught:
        fill()
    message = str(caught.value)
    assert "\n" not in message
    assert "full" in message
    assert "run the same command again" in message
    store.close()
    with Ledger(path) as again:  # what was written before the disk filled is all there
        (entry,) = again.entries("src", "masto")
        assert entry.attempts == 1
