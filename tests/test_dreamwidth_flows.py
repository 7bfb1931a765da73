"""Dreamwidth in the real CLI, end to end: a Tumblr blog migrated into a journal (dates and order
kept, resumable, never twice), journal entries announced on Tumblr by excerpt, a locked entry
never reaching a public target, and a day's posts gathered into one digest entry.

The target is looked at through its own state (the Dreamwidth-shaped server's entries, the
Tumblr server's posts), not through crosspost."""

from __future__ import annotations

import json
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import run_cli
from tests.dreamwidth_server import KEY, DreamwidthServer, journal
from tests.mastodon_server import BASE_URL as MASTODON_URL
from tests.mastodon_server import TOKEN, MockMastodon, mastodon_server
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

CONFIG = """
[accounts.art]
platform = "tumblr"
blog = "art"
service = "{tumblr}"

[accounts.journal]
platform = "dreamwidth"
journal = "alice"
service = "{dreamwidth}"
"""
__all__ = ["mastodon_server"]

BASE = 1_600_000_000  # 2020-09-13
DAY = 86_400


@pytest.fixture
def tumblr() -> Iterator[TumblrServer]:
    with running() as live:
        yield live


@pytest.fixture
def dw() -> Iterator[DreamwidthServer]:
    with journal("alice") as live:
        yield live


def configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tumblr: TumblrServer, dw: DreamwidthServer,
    rules: str = "",
) -> Path:  # fmt: skip
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(tumblr=tumblr.url, dreamwidth=dw.base_url) + rules)
    monkeypatch.setenv("CROSSPOST_SECRET_ART", ":".join((*CONSUMER, *USER)))
    monkeypatch.setenv("CROSSPOST_SECRET_JOURNAL", KEY)
    monkeypatch.setenv("CROSSPOST_STATE", str(tmp_path / "state.sqlite3"))
    return config


def text(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}


def entries(dw: DreamwidthServer) -> list:  # type: ignore[type-arg]
    return sorted(dw.users["alice"].entries.values(), key=lambda e: e.itemid)


def markers(dw: DreamwidthServer) -> Counter[str]:
    return Counter(e.props.get("import_source", "") for e in entries(dw))


def test_300_tumblr_posts_migrate_into_a_journal_in_order_with_dates_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tumblr: TumblrServer, dw: DreamwidthServer
) -> None:
    for n in range(300):  # one post every 7 hours, newest listed first by the server
        tumblr.state.add(
            "art",
            {"timestamp": BASE + n * 25_200, "content": [text(f"post {n}")], "tags": [f"t{n % 3}"]},
        )
    tumblr.state.add(  # a private post: never migrated unless asked for, never made public
        "art", {"timestamp": BASE + 301 * 25_200, "content": [text("only me")], "state": "private"}
    )
    config = configure(tmp_path, monkeypatch, tumblr, dw)
    dw.post_limit = 120  # the site's posting limit stops the first run part-way
    dw.crash_after("postevent", times=1)  # and one reply is lost after its entry was made
    first = run_cli("migrate", "art", "journal", "--config", str(config))
    assert first.code == 6, first.err  # rate limited: run it again later
    assert "again" in first.err + first.out
    assert len(entries(dw)) == 120
    assert all(count == 1 for count in markers(dw).values())
    dw.post_limit = None  # the window renewed
    second = run_cli("migrate", "art", "journal", "--config", str(config), "--watch")
    assert second.code == 0, second.err
    final = run_cli("migrate", "art", "journal", "--config", str(config))
    assert final.code == 0, final.err
    assert "0 published" in final.out
    got = entries(dw)
    assert len(got) == 300  # no duplicate, the private post left out
    assert all(count == 1 for count in markers(dw).values())
    assert [e.event for e in got] == [f"<p>post {n}</p>" for n in range(300)]  # oldest first
    for n, entry in enumerate(got):
        when = datetime.fromtimestamp(BASE + n * 25_200, UTC)
        assert entry.eventtime == when.strftime("%Y-%m-%d %H:%M:00")
        assert entry.props.get("opt_backdated") == "1"  # off the readers' reading pages
        assert entry.props.get("taglist") == f"t{n % 3}"
        assert entry.security == "public"
    assert "only me" not in {e.event for e in got}


def test_a_migration_asked_to_be_private_makes_private_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tumblr: TumblrServer, dw: DreamwidthServer
) -> None:
    tumblr.state.add("art", {"timestamp": BASE, "content": [text("for me")]})
    config = configure(tmp_path, monkeypatch, tumblr, dw)
    done = run_cli("migrate", "art", "journal", "--config", str(config), "--private")
    assert done.code == 0, done.err
    (entry,) = entries(dw)
    assert entry.security == "private"


def test_journal_entries_are_announced_by_excerpt_and_a_locked_one_is_never_public(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tumblr: TumblrServer,
    dw: DreamwidthServer,
    mastodon_server: MockMastodon,
) -> None:
    now = time.strftime("%Y-%m-%d %H:%M:00", time.gmtime())
    long_body = "<p>We queued for an hour; worth it.</p>" + "<p>More of the day.</p>" * 40
    announced = dw.add_entry("alice", "Worldcon, day one", long_body, now)
    dw.add_entry("alice", "Locked", "<p>friends only</p>", now, security="usemask", allowmask=1)
    rules = f"""
[accounts.masto]
platform = "mastodon"
handle = "alice@localhost.test"
service = "{MASTODON_URL}"

[[sync]]
name = "announce"
from = "journal"
to = ["masto", "art"]
visibility = ["public", "followers"]
"""
    config = configure(tmp_path, monkeypatch, tumblr, dw, rules)
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    done = run_cli("sync", "--config", str(config))
    assert done.code == 0, done.err
    entry_url = f"{dw.journal_url('alice')}/{announced.ditemid}.html"
    # Mastodon, through its own API: the title, the first paragraph, a link; the locked entry
    # only for followers.
    statuses = sorted(mastodon_statuses(), key=lambda s: "friends" in s["content"])
    assert [s["visibility"] for s in statuses] == ["public", "private"]
    assert "Worldcon, day one" in statuses[0]["content"]
    assert "We queued for an hour; worth it." in statuses[0]["content"]
    assert "More of the day." not in statuses[0]["content"]
    assert entry_url in statuses[0]["content"]
    # Tumblr takes any length: the whole entry by default; the locked one as a private post.
    post, locked = sorted(tumblr.state.posts["art"], key=lambda p: "friends" in str(p))
    assert (post["state"], locked["state"]) == ("published", "private")
    texts = [block.get("text", "") for block in post["content"]]
    assert texts[:2] == ["Worldcon, day one", "We queued for an hour; worth it."]
    assert texts.count("More of the day.") == 40
    assert run_cli("sync", "--config", str(config)).code == 0
    assert len(tumblr.state.posts["art"]) == 2  # nothing twice
    assert len(mastodon_statuses()) == 2


def mastodon_statuses() -> list[dict[str, Any]]:
    def get(path: str) -> Any:
        request = urllib.request.Request(
            MASTODON_URL + path, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    me = get("/api/v1/accounts/verify_credentials")
    found: list[dict[str, Any]] = get(f"/api/v1/accounts/{me['id']}/statuses?limit=40")
    return found


def test_a_days_posts_become_one_digest_entry_once_the_day_is_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tumblr: TumblrServer, dw: DreamwidthServer
) -> None:
    today = int(time.time()) // DAY * DAY
    two_days_ago, yesterday = today - 2 * DAY, today - DAY

    def post(when: int, words: str) -> None:
        tumblr.state.add(
            "art", {"timestamp": when, "content": [text(words)], "tags": ["crosspost"]}
        )

    post(two_days_ago + 3600, "early bird")
    post(yesterday + 3600, "morning sketch")
    post(yesterday + 7200, "evening sketch")
    rules = """
[[sync]]
name = "digest"
from = "art"
to = "journal"
include_tags = ["crosspost"]
digest = "daily"
"""
    config = configure(tmp_path, monkeypatch, tumblr, dw, rules)
    done = run_cli("sync", "--config", str(config))
    assert done.code == 0, done.err
    got = entries(dw)
    assert len(got) == 2  # one entry a day
    day = datetime.fromtimestamp(yesterday, UTC)
    assert got[1].subject == f"Posts of {day.day} {day:%B %Y}"
    assert got[1].event.index("morning sketch") < got[1].event.index("evening sketch")
    assert "early bird" in got[0].event
    assert got[1].props.get("taglist") == "crosspost" or "taglist" not in got[1].props
    assert run_cli("sync", "--config", str(config)).code == 0
    assert len(entries(dw)) == 2  # a rerun makes no digest twice
    # A post of yesterday that shows up late gets a part of its own; today's waits for its day.
    post(yesterday + 9000, "late one")
    post(today + 60, "still today")
    assert run_cli("sync", "--config", str(config)).code == 0
    got = entries(dw)
    assert [e.subject for e in got][2:] == [f"Posts of {day.day} {day:%B %Y} (2)"]
    assert "late one" in got[2].event
    assert "still today" not in "".join(e.event for e in got)
    assert run_cli("sync", "--config", str(config)).code == 0
    assert len(entries(dw)) == 3


def test_a_digest_rule_onto_a_short_form_target_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tumblr: TumblrServer, dw: DreamwidthServer
) -> None:
    rules = """
[accounts.sky]
platform = "bluesky"
handle = "alice.bsky.social"

[[sync]]
name = "digest"
from = "journal"
to = "sky"
digest = "daily"
"""
    config = configure(tmp_path, monkeypatch, tumblr, dw, rules)
    result = run_cli("config", "check", "--config", str(config))
    assert result.code != 0
    assert "too short for a digest" in result.err


def test_a_tumblr_backup_migrates_into_a_journal_with_reblogs_as_quotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tumblr: TumblrServer, dw: DreamwidthServer
) -> None:
    original = {
        "blog": {"name": "dave-birds"},
        "post": {"id": "747000000000000002"},
        "content": [text("A heron at dawn.")],
        "layout": [],
    }
    tumblr.state.add("art", {"timestamp": BASE, "content": [text("my own words")]})
    tumblr.state.add(
        "art",
        {
            "timestamp": BASE + 60,
            "content": [text("Lovely.")],
            "trail": [original],
            "parent_post_url": "https://dave-birds.tumblr.com/post/747000000000000002",
            "reblogged_root_name": "dave-birds",
            "parent_tumblelog_uuid": "t:dave",
        },
    )
    config = configure(tmp_path, monkeypatch, tumblr, dw)
    backup = tmp_path / "backup"
    saved = run_cli("backup", "art", "--config", str(config), "--dir", str(backup))
    assert saved.code == 0, saved.err
    tumblr.state.posts["art"].clear()  # the blog is gone: only the backup has the posts
    moved = run_cli(
        "migrate", "art", "journal", "--config", str(config), "--from-backup", str(backup)
    )
    assert moved.code == 0, moved.err
    own, reblog = entries(dw)
    assert own.event == "<p>my own words</p>"
    assert "dave-birds" in reblog.event
    assert "<blockquote><p>A heron at dawn.</p></blockquote>" in reblog.event
    assert reblog.event.endswith("<p>Lovely.</p>")
    assert reblog.eventtime == datetime.fromtimestamp(BASE + 60, UTC).strftime("%Y-%m-%d %H:%M:00")
