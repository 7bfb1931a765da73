"""A sync with nothing new (cron, every few minutes) writes nothing to the ledger: no write
transaction, no change SQLite counts, the file's mtime as it was; the run lock is taken only at
a run's first write. Engine runs on the fake platforms with the ledger in a file; the CLI against
the loopback Tumblr server and the Mastodon mock."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from crosspost.config import SyncRule
from crosspost.state import Ledger, LedgerError, LockHeldError
from crosspost.sync import SyncEngine
from tests.cli_helpers import run_cli
from tests.fake_platform import World, make_config
from tests.mastodon_server import mastodon_server
from tests.test_sync_cli import setup, text_block, tumblr
from tests.tumblr_server import TumblrServer

__all__ = ["mastodon_server", "setup", "tumblr"]

RULE = SyncRule(name="xp", source="art", targets=("masto", "sky"), include_tags=("crosspost",))
WRITING = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "CREATE", "DROP", "ALTER")


def traced(ledger: Ledger) -> list[str]:
    """The writing statements run on the ledger from now on."""
    seen: list[str] = []

    def note(sql: str) -> None:
        if sql.lstrip().upper().startswith(WRITING):
            seen.append(sql)

    ledger.db.set_trace_callback(note)
    return seen


def test_a_run_with_nothing_new_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    world = World(state=Ledger(path))
    world.add("art", "first #crosspost", tags=("crosspost",))
    world.add("art", "second, at the same minute #crosspost", tags=("crosspost",))
    report = SyncEngine(make_config(RULE), world.store, world.client).run()
    assert report.rules[0].published == 4
    world.store.close()

    state = Ledger(path)
    world.state = state
    writes = traced(state)
    changes = state.db.total_changes
    idle = SyncEngine(make_config(RULE), state, world.client).run()
    assert idle.rules[0].published == 0
    assert writes == []
    assert state.db.total_changes == changes
    state.close()


def test_a_post_at_exactly_the_cursor_is_still_mirrored_once(tmp_path: Path) -> None:
    """The cursor keeps the post at its own time (another may share that time): a post made
    at that time after a run is mirrored by the next, and an idle run still writes nothing."""
    world = World(state=Ledger(tmp_path / "state.sqlite3"))
    first = world.add("art", "one #crosspost", tags=("crosspost",))
    SyncEngine(make_config(RULE), world.store, world.client).run()
    later = world.add("art", "same time #crosspost", tags=("crosspost",))  # minutes=0 too
    assert later.created_at == first.created_at
    again = SyncEngine(make_config(RULE), world.store, world.client).run()
    assert again.rules[0].published == 2
    writes = traced(world.store)
    assert SyncEngine(make_config(RULE), world.store, world.client).run().rules[0].published == 0
    assert writes == []
    assert len(world.network.of("masto")) == len(world.network.of("sky")) == 2


def test_the_lock_is_taken_at_the_first_write_and_stops_the_run_when_held(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite3"
    world = World(state=Ledger(path))
    world.add("art", "new #crosspost", tags=("crosspost",))
    other = Ledger(path)
    with other.lock(pid=1, host="elsewhere", alive=lambda pid: True):
        lock = world.store.lock()
        world.store.guard(lock.acquire)
        with pytest.raises(LockHeldError, match="pid 1 on elsewhere"):
            SyncEngine(make_config(RULE), world.store, world.client).run()
        assert isinstance(LockHeldError("x"), LedgerError)  # the engine stops at once on it
        assert not lock.held
    assert world.network.of("masto") == []  # nothing was posted while the other run held it
    lock = world.store.lock()
    world.store.guard(lock.acquire)
    report = SyncEngine(make_config(RULE), world.store, world.client).run()
    assert lock.held
    assert report.rules[0].published == 2
    lock.release()
    other.close()


def test_an_idle_sync_from_the_cli_leaves_the_state_file_untouched(
    setup: Path, tumblr: TumblrServer, tmp_path: Path
) -> None:
    tumblr.state.add(
        "art",
        {"timestamp": 1700000000, "content": [text_block("Hello")], "tags": ["crosspost"]},
    )
    assert run_cli("sync", "--config", str(setup)).code == 0
    assert run_cli("sync", "--config", str(setup)).code == 0
    path = tmp_path / "state.sqlite3"
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # any change would show
    content = path.read_bytes()
    idle = run_cli("sync", "--config", str(setup))
    assert idle.code == 0, idle.err
    assert "0 published" in idle.out
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert path.read_bytes() == content
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(path) as db:  # and no lock was left behind
        assert db.execute("SELECT COUNT(*) FROM locks").fetchone() == (0,)
