"""Ledger: schema and migrations, the ledger, cursors, snapshots and the run lock. The tests that
take `opener` run on both backends, SQLite and PostgreSQL (tests/postgres.py), with the same
expectations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crosspost.errors import DataError
from crosspost.model import Platform, Post, PostRef, RichText
from crosspost.state import SCHEMA_VERSION, Ledger, LockHeldError, MirrorStatus
from tests.postgres import BACKENDS, Opener, ledgers

REF = PostRef(Platform.MASTODON, "a@b.test", "9", "https://b.test/@a/9")


@pytest.fixture(params=BACKENDS)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    with ledgers(request.param, tmp_path) as open_:
        yield open_


def ref(n: int) -> PostRef:
    return PostRef(Platform.MASTODON, "a@b.test", str(n), f"https://b.test/@a/{n}")


def source_post(n: int, text: str = "hello") -> Post:
    return Post(
        PostRef(Platform.TUMBLR, "art", str(n)), datetime(2024, 1, 1, tzinfo=UTC), RichText(text)
    )


def test_a_new_ledger_gets_the_current_schema_and_reopening_migrates_nothing(
    opener: Opener,
) -> None:
    with opener() as store:
        assert store.version == SCHEMA_VERSION
        store.record_intents("src", "masto", 1, "rule")
    with opener() as again:
        assert again.version == SCHEMA_VERSION
        assert [e.source_key for e in again.all_entries()] == ["src"]


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


def test_the_ledger_walks_pending_published_failed(opener: Opener) -> None:
    now = [1000.0]
    store = opener(clock=lambda: now[0])
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


def test_intents_stay_once_written_and_the_queries_see_them(opener: Opener) -> None:
    store = opener(clock=lambda: 50.0)
    first = store.record_intent("b", "masto", 0, 1, "rule")
    assert (first.status, first.attempts, first.first_intent) == (MirrorStatus.PENDING, 0, 50.0)
    store.record_attempt("b", "masto", 0)
    again = store.record_intent("b", "masto", 0, 1, "other")  # an existing entry stays
    assert (again.rule, again.attempts) == ("rule", 1)
    store.record_intents("a", "masto", 3, "rule")
    store.record_intents("a", "masto", 3, "rule")
    store.record_intents("c", "sky", 1, "second")
    assert [e.chunk for e in store.entries("a", "masto")] == [0, 1, 2]
    assert store.entry("a", "masto", 2) is not None
    assert store.entry("a", "masto", 3) is None
    assert [e.identity for e in store.all_entries("second")] == [("c", "sky", 0)]
    assert [e.source_key for e in store.all_entries()] == ["a", "a", "a", "b", "c"]
    assert store.has_source("a", "masto")
    assert not store.has_source("a", "sky")
    assert store.knows("rule", "masto")
    assert not store.knows("rule", "sky")
    # Due and rules come in the order the intents were written, not by key.
    assert store.due("rule", 50.0) == [("b", "masto"), ("a", "masto")]
    assert store.rules() == [("rule", ("masto",)), ("second", ("sky",))]
    assert store.left("rule") == 2
    store.forget("a", "masto")
    assert store.entries("a", "masto") == []
    assert store.left("rule") == 1


def test_published_mirrors_caps_and_holds(opener: Opener) -> None:
    now = [100.0]
    store = opener(clock=lambda: now[0])
    store.record_intents("s", "masto", 2, "rule")
    store.record_published("s", "masto", 0, ref(1), rule="rule", chunks=2, media=3)
    now[0] = 110.0
    store.record_many_published(
        [(("s", "masto", 1), ref(2), "rule", 2, 0), (("t", "masto", 0), ref(3), "rule", 1, 1)]
    )
    store.record_many_published([])
    assert store.published_since("masto", 0.0) == [(100.0, 3), (110.0, 0), (110.0, 1)]
    assert store.published_since("masto", 100.0) == [(110.0, 0), (110.0, 1)]
    store.record_published("u", "sky", 0, ref(4), published_at=5.0)
    assert store.published_since("sky", 0.0) == [(5.0, 0)]
    assert store.is_mirror(ref(3).key)
    assert not store.is_mirror(ref(9).key)
    assert store.source_of_mirror(ref(2).key) == "s"
    assert store.source_of_mirror(ref(9).key) is None
    assert store.dump() == [
        ("s", "masto", 0, "published", ref(1).key),
        ("s", "masto", 1, "published", ref(2).key),
        ("t", "masto", 0, "published", ref(3).key),
        ("u", "sky", 0, "published", ref(4).key),
    ]
    store.hold("masto", 500.0, "masto: 250 posts a day reached")
    store.hold("masto", 600.0, "masto: later")  # a hold again replaces the first
    store.hold("sky", 50.0, "over")
    assert store.holds(100.0) == {"masto": (600.0, "masto: later")}


def test_status_and_summary_count_posts_and_say_why_they_wait(opener: Opener) -> None:
    store = opener(clock=lambda: 1000.0)
    for key in ("done", "later", "broken", "held"):
        store.record_intents(key, "masto", 2 if key == "done" else 1, "rule")
    store.record_published("done", "masto", 0, ref(1), rule="rule", chunks=2)
    store.record_published("done", "masto", 1, ref(2), rule="rule", chunks=2)
    store.record_failed("later", "masto", 0, "503", 2000.0)
    store.record_failed("broken", "masto", 0, "x" * 2000, None)
    store.record_held("held", "masto", 0, "429 Too Many Requests")
    (held,) = list(store.entries("held", "masto"))
    assert (held.status, held.last_error) == (MirrorStatus.PENDING, "429 Too Many Requests")
    status = store.status("rule", "masto", 1000.0)
    assert (status.published, status.due, status.waiting_posts) == (1, 2, 1)
    assert [(w.until, w.posts) for w in status.waiting] == [(2000.0, 1)]
    assert [(key, retry) for key, _, retry in status.failed] == [
        ("broken", None),
        ("later", 2000.0),
    ]
    assert len(status.failed[0][1]) == 1000  # errors are kept short
    store.hold("masto", 5000.0, "a cap")
    capped = store.status("rule", "masto", 1000.0)
    assert (capped.due, [(w.until, w.why, w.posts) for w in capped.waiting]) == (
        0,
        [(5000.0, "a cap", 3)],
    )
    (summary,) = store.summary("rule", ("masto",), 1000.0)
    assert (summary.published, summary.pending, summary.failed, summary.due) == (2, 1, 2, 2)
    assert sorted(key for key, _ in summary.errors) == ["broken", "later"]


def test_sources_and_cursors(opener: Opener) -> None:
    now = [10.0]
    store = opener(clock=lambda: now[0])
    store.save_source(source_post(1, "first"), "rule")
    now[0] = 20.0
    store.save_source(source_post(1, "second"), "rule", replace=False)  # kept as it was
    loaded = store.load_source(source_post(1).ref.key, "rule")
    assert loaded is not None
    assert loaded.text.text == "first"
    store.save_source(source_post(1, "third"), "other")
    store.save_source(source_post(2), "rule")
    key = source_post(1).ref.key
    latest = store.load_source(key)
    assert latest is not None
    assert latest.text.text == "third"
    assert store.load_source(key, "absent") is None
    assert store.has_saved_source(key, "other")
    assert not store.has_saved_source(key, "absent")
    assert store.source_rules(key) == ["rule", "other"]
    assert store.source_keys("rule") == [key, source_post(2).ref.key]
    assert store.source_keys("rule", saved_after=15.0) == [source_post(2).ref.key]
    store.forget_source(key, "rule")
    assert store.source_rules(key) == ["other"]
    store.forget_source(key)
    assert store.load_source(key) is None
    assert store.cursor("rule") is None
    store.set_cursor("rule", "2024-01-01T00:00:00+00:00")
    store.set_cursor("rule", "2024-01-01T00:00:00+00:00")
    store.set_cursor("rule", "2024-02-01T00:00:00+00:00")
    assert store.cursor("rule") == "2024-02-01T00:00:00+00:00"


def test_a_copy_holds_the_same_and_is_written_apart(opener: Opener) -> None:
    store = opener(clock=lambda: 10.0)
    store.record_intents("b", "masto", 1, "rule")
    store.record_intents("a", "masto", 2, "rule")
    store.record_published("a", "masto", 0, ref(1), rule="rule", chunks=2)
    store.save_source(source_post(1), "rule")
    store.set_cursor("rule", "x")
    store.hold("masto", 99.0, "cap")
    copy = store.copy()
    assert copy.all_entries() == store.all_entries()
    assert copy.due("rule", 10.0) == store.due("rule", 10.0) == [("b", "masto"), ("a", "masto")]
    assert (copy.cursor("rule"), copy.holds(0.0)) == ("x", {"masto": (99.0, "cap")})
    assert copy.load_source(source_post(1).ref.key, "rule") == source_post(1)
    copy.forget("a", "masto")
    assert len(store.entries("a", "masto")) == 2
    copy.close()


def test_the_guard_runs_once_before_the_first_write(opener: Opener) -> None:
    store = opener()
    store.record_intents("old", "masto", 1, "rule")
    calls: list[str] = []
    store.guard(lambda: calls.append("lock"))
    store.due("rule", 0.0)
    store.cursor("rule")
    assert calls == []  # reads take nothing
    store.record_intents("new", "masto", 2, "rule")
    store.set_cursor("rule", "x")
    assert calls == ["lock"]


def test_a_failing_guard_stops_the_write_and_is_asked_again(opener: Opener) -> None:
    store = opener()

    def refuse() -> None:
        raise LockHeldError("another crosspost sync is running")

    store.guard(refuse)
    with pytest.raises(LockHeldError):
        store.record_intents("src", "masto", 1, "rule")
    with pytest.raises(LockHeldError):
        store.record_intents("src", "masto", 3, "rule")
    assert store.all_entries() == []


def test_the_lock_beats_and_is_released(opener: Opener) -> None:
    now = [0.0]
    first = opener(clock=lambda: now[0])
    lock = first.lock(pid=5, host="elsewhere")
    lock.acquire()
    now[0] = 3000.0
    lock.beat()  # still alive: another host's lock is stale only after an hour of silence
    now[0] = 4000.0
    with pytest.raises(LockHeldError, match="pid 5 on elsewhere"):
        opener(clock=lambda: now[0]).lock(pid=6).acquire()
    lock.release()
    with opener(clock=lambda: now[0]).lock(pid=6) as taken:
        assert taken.held


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


def test_the_lock_refuses_a_live_holder_and_takes_over_a_dead_one(opener: Opener) -> None:
    first = opener(clock=lambda: 100.0)
    second = opener(clock=lambda: 200.0)
    with first.lock(pid=11, alive=lambda pid: True):
        with pytest.raises(LockHeldError, match="pid 11"):
            second.lock(pid=22, alive=lambda pid: True).acquire()
        stale = second.lock(pid=22, alive=lambda pid: pid != 11)
        stale.acquire()  # pid 11 died without releasing: stale
        assert stale.held
        stale.release()


def test_another_hosts_lock_goes_stale_without_heartbeat(opener: Opener) -> None:
    opener(clock=lambda: 0.0).lock(pid=1, host="elsewhere").acquire()
    late = opener(clock=lambda: 4000.0).lock(pid=2)
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


def test_schema_3_gains_the_claim_of_each_pending_mirror(tmp_path: Path) -> None:
    from crosspost.state.ledger import MIGRATIONS

    path = tmp_path / "state.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(";".join(MIGRATIONS[:3]) + "; PRAGMA user_version = 3;")
    db.execute(
        "INSERT INTO mirrors (source_key, target, chunk, status, first_intent, updated) "
        "VALUES ('s', 'masto', 0, 'pending', 5.0, 5.0)"
    )
    db.commit()
    db.close()
    with Ledger(path, clock=lambda: 10.0, worker="here:1:1") as store:
        assert store.version == SCHEMA_VERSION == 4
        claim = store.claim("s", "masto", 0)
        assert claim.entry is not None
        assert claim.entry.source_key == "s"


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
