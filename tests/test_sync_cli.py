"""`crosspost sync`, `status` and `migrate` end to end: the real CLI against the loopback Tumblr
server and mastodon-mock, with the state in a temporary file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crosspost.accounts import Account
from crosspost.model import Platform
from crosspost.platforms.mastodon.client import MastodonClient
from tests.cli_helpers import run_cli
from tests.mastodon_server import BASE_URL, TOKEN, MockMastodon, mastodon_server
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

__all__ = ["mastodon_server"]

CONFIG = """
[accounts.art]
platform = "tumblr"
blog = "art"
service = "{tumblr}"

[accounts.masto]
platform = "mastodon"
handle = "alice@localhost.test"
service = "{mastodon}"

[[sync]]
name = "art-to-masto"
from = "art"
to = "masto"
include_tags = ["crosspost"]
"""


@pytest.fixture
def tumblr() -> Iterator[TumblrServer]:
    with running() as live:
        yield live


@pytest.fixture
def setup(
    tumblr: TumblrServer,
    mastodon_server: MockMastodon,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(tumblr=tumblr.url, mastodon=BASE_URL))
    monkeypatch.setenv("CROSSPOST_SECRET_ART", ":".join((*CONSUMER, *USER)))
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    monkeypatch.setenv("CROSSPOST_STATE", str(tmp_path / "state.sqlite3"))
    return config


def text_block(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


def masto_texts() -> list[str]:
    client = MastodonClient(
        Account("m", Platform.MASTODON, "alice@localhost.test", BASE_URL), TOKEN
    )
    return [post.text.text for post in client.fetch_page().posts]


def test_sync_mirrors_a_tagged_tumblr_post_to_mastodon_once(
    setup: Path, tumblr: TumblrServer, tmp_path: Path
) -> None:
    state = tumblr.state
    state.add(
        "art",
        {
            "timestamp": 1700000000,
            "content": [text_block("Hello from Tumblr")],
            "tags": ["crosspost", "art"],
        },
    )
    state.add(
        "art",
        {"timestamp": 1700000100, "content": [text_block("Only on Tumblr")], "tags": ["diary"]},
    )
    before = masto_texts()

    dry = run_cli("sync", "--config", str(setup), "--dry-run")
    assert dry.code == 0, dry.err
    assert "-> masto" in dry.out
    assert '"status": "Hello from Tumblr' in dry.out
    assert not (tmp_path / "state.sqlite3").exists()  # a dry run writes nothing
    assert masto_texts() == before

    first = run_cli("sync", "--config", str(setup))
    assert first.code == 0, first.err
    assert "art-to-masto: 2 read, 1 selected, 1 published, 0 failed" in first.out
    mirrored = [t for t in masto_texts() if t not in before]
    assert mirrored == ["Hello from Tumblr\n\n#art"]

    ledger = (tmp_path / "state.sqlite3").read_bytes()
    dry_again = run_cli("sync", "--config", str(setup), "--dry-run")
    assert dry_again.code == 0
    assert (tmp_path / "state.sqlite3").read_bytes() == ledger

    second = run_cli("sync", "--config", str(setup))
    assert "0 published" in second.out
    assert [t for t in masto_texts() if t not in before] == mirrored

    status = run_cli("status", "--config", str(setup))
    assert status.code == 0
    assert "masto: 1 published, 0 to publish, 0 waiting, 0 failed" in status.out


def test_a_second_sync_exits_while_the_first_holds_the_lock(
    setup: Path, tmp_path: Path, tumblr: TumblrServer
) -> None:
    """The lock is taken at a run's first write: with nothing to do the run ends quietly; with
    work, it stops there, before anything is posted."""
    from crosspost.state import Ledger

    before = masto_texts()
    with Ledger(tmp_path / "state.sqlite3").lock(pid=1, alive=lambda pid: True) as lock:
        assert lock.held
        idle = run_cli("sync", "--config", str(setup))
        assert idle.code == 0, idle.err
        tumblr.state.add(
            "art", {"timestamp": 1700000000, "content": [text_block("New")], "tags": ["crosspost"]}
        )
        result = run_cli("sync", "--config", str(setup))
    assert result.code == 1
    assert "another crosspost sync is running (pid 1" in result.err
    assert masto_texts() == before


def test_migrate_copies_a_whole_blog_oldest_first(setup: Path, tumblr: TumblrServer) -> None:
    for n in range(3):
        tumblr.state.add(
            "art", {"timestamp": 1600000000 + n * 60, "content": [text_block(f"old post {n}")]}
        )
    before = masto_texts()
    result = run_cli("migrate", "art", "masto", "--config", str(setup))
    assert result.code == 0, result.err
    new = [t for t in masto_texts() if t not in before]
    assert [t.split("\n")[0] for t in reversed(new)] == [f"old post {n}" for n in range(3)]
    assert "Originally posted on Tumblr on 2020-09-13." in new[0]
    again = run_cli("migrate", "art", "masto", "--config", str(setup))
    assert "0 published" in again.out


def masto_backup(root: Path, count: int) -> Path:
    """A backup of the masto account holding `count` toots a minute apart."""
    from datetime import UTC, datetime, timedelta

    from crosspost.backup.store import BackupStore
    from crosspost.model import Post, PostRef, RichText

    folder = BackupStore(root).account(Platform.MASTODON, "alice@localhost.test")
    for n in range(count):
        ref = PostRef(
            Platform.MASTODON, "alice@localhost.test", str(100 + n), f"{BASE_URL}/@alice/{100 + n}"
        )
        when = datetime(2021, 5, 1, tzinfo=UTC) + timedelta(minutes=n)
        folder.save_post(Post(ref, when, RichText(f"toot {n}")))
    return root


def test_a_daily_cap_stops_migrate_with_exit_6_and_says_what_is_left(
    setup: Path, tumblr: TumblrServer, tmp_path: Path
) -> None:
    backup = masto_backup(tmp_path / "backup", 3)
    tumblr.state.post_cap = 1
    args = ("migrate", "masto", "art", "--config", str(setup), "--from-backup", str(backup))
    first = run_cli(*args)
    assert first.code == 6, first.out + first.err
    assert "1 published, 0 failed, 2 left: run again after" in first.out
    assert "Daily post limit reached" in first.out  # what the server said, not a made-up 250
    assert "250" not in first.out
    status = run_cli("status", "--config", str(setup))
    assert status.code == 0, status.err
    assert "migrate:masto->art: masto -> art" in status.out
    assert "  art: 1 published, 0 to publish, 2 waiting, 0 failed" in status.out
    assert "    2 waiting until " in status.out
    again = run_cli(*args)  # the same day: nothing later slips past the capped post
    assert again.code == 6
    assert "0 published, 0 failed, 2 left" in again.out
    assert len(tumblr.state.posts["art"]) == 1


def test_a_rate_limit_stops_sync_with_exit_6(
    setup: Path, tumblr: TumblrServer, mastodon_server: MockMastodon
) -> None:
    tumblr.state.add(
        "art", {"timestamp": 1700000000, "content": [text_block("Hi")], "tags": ["crosspost"]}
    )
    mastodon_server.fault("/api/v1/statuses", status=429, count=10, headers={"Retry-After": "3600"})
    result = run_cli("sync", "--config", str(setup))
    assert result.code == 6, result.out + result.err
    assert "1 left: run again after" in result.out


def tagged_posts(tumblr: TumblrServer, count: int, start: int = 1700000000) -> None:
    for n in range(count):
        tumblr.state.add(
            "art",
            {
                "timestamp": start + n * 60,
                "content": [text_block(f"tagged post {n}")],
                "tags": ["crosspost"],
            },
        )


def test_a_garbled_ledger_stops_sync_and_status_with_the_repair(
    setup: Path, tumblr: TumblrServer, tmp_path: Path
) -> None:
    from tests.test_state import filled_ledger, garble

    state = tmp_path / "state.sqlite3"
    filled_ledger(state)
    garble(state)
    before = masto_texts()
    tagged_posts(tumblr, 2)
    for command in ("sync", "status"):
        result = run_cli(command, "--config", str(setup))
        assert result.code == 7, (command, result.out, result.err)
        (line,) = result.err.splitlines()
        assert "damaged" in line
        assert "crosspost sync --rebuild-ledger" in line
        assert "Traceback" not in result.out + result.err
    assert masto_texts() == before


def test_the_state_disk_filling_mid_sync_is_one_line_and_loses_nothing(
    setup: Path, tumblr: TumblrServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills after the third post is on Mastodon: that post's record cannot be
    written. The run ends with one line (exit 7); the next finds the post by its marker."""
    from crosspost.state import Ledger

    tagged_posts(tumblr, 6)
    before = masto_texts()
    published = Ledger.record_published
    done = [0]

    def fill_then_record(self: Ledger, *args: object, **kwargs: object) -> None:
        done[0] += 1
        if done[0] == 3:  # no room for one more page: this and every later write fails
            pages = self.db.execute("PRAGMA page_count").fetchone()[0]
            self.db.execute(f"PRAGMA max_page_count = {pages}")
            self.db.execute("CREATE TABLE filler (x)")
        published(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "record_published", fill_then_record)
    full = run_cli("sync", "--config", str(setup))
    assert full.code == 7, full.out + full.err
    assert "Traceback" not in full.out + full.err
    (line,) = full.err.splitlines()
    assert "could not be written" in line
    assert "run the same command again" in line
    assert len([t for t in masto_texts() if t not in before]) == 3

    monkeypatch.setattr(Ledger, "record_published", published)  # room again
    again = run_cli("sync", "--config", str(setup))
    assert again.code == 0, again.out + again.err
    assert "1 found already published" in again.out
    mirrored = [t for t in masto_texts() if t not in before]
    assert sorted(mirrored) == sorted(f"tagged post {n}" for n in range(6))
