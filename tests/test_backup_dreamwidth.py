"""`crosspost backup` of a Dreamwidth journal end to end, through the CLI, against the
Dreamwidth-shaped server (tests/dreamwidth_server.py): entries with their subjects, HTML, tags,
security and dates; comments with their threads and states; the userpic as the avatar; a rerun
that costs what the README states; changes picked up exactly; an interrupted run resumed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crosspost.account_data import Collection, Entry
from crosspost.backup.account_files import read_collection
from crosspost.backup.store import BackupStore
from crosspost.model import Platform, Post, Visibility
from crosspost.platforms.dreamwidth import client as dw_client
from tests.cli_helpers import Run, run_cli
from tests.dreamwidth_server import KEY, PNG, Comment, DreamwidthServer, journal

START = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC: the server's clock, moved by the tests


@dataclass
class World:
    dw: DreamwidthServer
    config: Path
    out: Path
    now: list[float] = field(default_factory=lambda: [START])

    def backup(self, *extra: str) -> Run:
        return run_cli("backup", "alice", "-c", str(self.config), "-d", str(self.out), *extra)

    def backup_json(self, *extra: str) -> dict[str, object]:
        run = self.backup("--json", "-q", *extra)
        assert run.code == 0, run.err
        result: dict[str, object] = json.loads(run.out)
        return result

    def tick(self, seconds: float = 60) -> None:
        self.now[0] += seconds

    @property
    def folder(self) -> Path:
        return self.out / "dreamwidth" / "alice"

    def posts(self) -> dict[str, Post]:
        backup = BackupStore(self.out).locate(Platform.DREAMWIDTH, "alice")
        return {p.title: p for p in backup.iter_posts()}

    def comments(self) -> dict[str, Entry]:
        backup = BackupStore(self.out).locate(Platform.DREAMWIDTH, "alice")
        _, entries = read_collection(backup, Collection.COMMENTS)
        return {e.id: e for e in entries}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    now = [START]
    with journal(clock=lambda: now[0]) as dw:
        seed(dw)
        config = tmp_path / "config.toml"
        config.write_text(
            f'[accounts.alice]\nplatform = "dreamwidth"\njournal = "alice"\n'
            f'service = "{dw.base_url}"\n'
        )
        monkeypatch.setenv("CROSSPOST_SECRET_ALICE", KEY)
        yield World(dw, config, tmp_path / "out", now)


PNG_CAT = PNG + b"cat"  # a second, different file


def seed(dw: DreamwidthServer) -> None:
    """Three entries (public with tags, access-locked and backdated, private), a userpic, and a
    thread of comments: a reply to a reply, an anonymous one, a screened and a deleted one."""
    bob = dw.add_user("bob", "bobkey")
    alice = dw.users["alice"]
    alice.pickws, alice.defaultpicid = {"me": 7, "cat": 8}, 7
    alice.userpics = {7: PNG, 8: PNG_CAT}
    hello = dw.add_entry(
        "alice", "Hello", "<b>Bold</b> words\nand a <lj user=\"bob\">", "2025-12-31 10:00:00",
        props={"taglist": "cats, long walks"},
    )  # fmt: skip
    dw.add_entry(
        "alice", "Locked", "for friends", "2019-05-01 09:30:00",
        security="usemask", allowmask=1, props={"opt_backdated": "1"},
    )  # fmt: skip
    dw.add_entry("alice", "Private", "mine alone", "2025-12-31 11:00:00", security="private")
    alice.comments = {
        1: Comment(1, hello.itemid, bob.userid, subject="Hi", body="Nice <i>post</i>",
                   datepost="2025-12-31 12:00:00"),
        2: Comment(2, hello.itemid, alice.userid, parentid=1, body="Thanks, bob",
                   datepost="2025-12-31 12:05:00"),
        3: Comment(3, hello.itemid, 0, parentid=2, body="anonymous here",
                   datepost="2025-12-31 12:10:00"),
        4: Comment(4, hello.itemid, bob.userid, state="S", body="screened one",
                   datepost="2025-12-31 12:20:00"),
        5: Comment(5, hello.itemid, bob.userid, parentid=1, state="D"),
    }  # fmt: skip


def test_a_backup_keeps_entries_comments_and_the_userpic(world: World) -> None:
    first = world.backup()
    assert first.code == 0, first.err
    posts = world.posts()
    assert set(posts) == {"Hello", "Locked", "Private"}
    hello = posts["Hello"]
    assert "<b>Bold</b> words" in hello.raw["event"]  # the entry's HTML, as the site keeps it
    assert hello.text.text.startswith("Bold words")
    assert sorted(hello.tags) == ["cats", "long walks"]
    assert hello.visibility is Visibility.PUBLIC
    assert posts["Locked"].visibility is Visibility.FOLLOWERS  # usemask: never public
    assert posts["Private"].visibility is Visibility.PRIVATE
    # A backdated entry is dated by its eventtime, not by when it was uploaded.
    assert posts["Locked"].created_at == datetime(2019, 5, 1, 9, 30, tzinfo=UTC)
    assert hello.created_at == datetime.fromtimestamp(START, UTC)  # logtime: posted now

    comments = world.comments()
    assert sorted(comments, key=int) == ["1", "2", "3", "4", "5"]
    assert {c.subject.id for c in comments.values() if c.subject} == {hello.ref.id}
    first_comment = comments["1"]
    assert first_comment.person is not None
    assert first_comment.person.handle == "bob"
    assert first_comment.post is not None
    assert first_comment.post.title == "Hi"
    assert first_comment.raw["body"] == "Nice <i>post</i>"
    assert first_comment.created_at == datetime(2025, 12, 31, 12, 0, tzinfo=UTC)
    assert comments["3"].person is None  # anonymous
    assert comments["3"].raw["parentid"] == 2
    assert comments["4"].raw["state"] == "S"
    assert comments["4"].raw["body"] == "screened one"
    assert comments["5"].raw["state"] == "D"
    assert comments["5"].post is not None
    assert comments["5"].post.deleted

    profile = json.loads((world.folder / "profile.json").read_text())["profile"]
    avatar = profile["avatar"]
    assert avatar["local_path"]
    assert (world.out / avatar["local_path"]).read_bytes() == PNG
    pictures = {p["alt"]: (world.out / p["local_path"]).read_bytes() for p in profile["pictures"]}
    assert pictures == {"me": PNG, "cat": PNG_CAT}  # every userpic, with its keyword
    site = world.out / "site"
    assert run_cli("view", str(world.out), "--out", str(site)).code == 0
    page = next((site / "accounts").glob("*.html")).read_text(encoding="utf-8")
    assert page.count('class="avatar"') >= 2
    assert ">cat</span>" in page
    checked = run_cli("verify", str(world.out), "--json")
    assert checked.code == 0, checked.out
    assert json.loads(checked.out)["posts"] == 3


def test_a_rerun_with_nothing_new_reads_no_entry(world: World) -> None:
    world.backup_json()
    world.tick()
    world.dw.requests.clear()
    again = world.backup_json()
    assert again["new"] == again["updated"] == 0
    # syncitems from the last mark, the profile (login), the comment export's metadata (a
    # session, then one page): each call with its own challenge.
    assert dict(world.dw.requests) == {
        "getchallenge": 3, "syncitems": 1, "login": 1, "sessiongenerate": 1,
        "export_comments": 1,
    }  # fmt: skip
    assert sum(world.dw.requests.values()) == 7


def test_a_rerun_picks_up_exactly_a_new_entry_an_edit_and_a_comment(world: World) -> None:
    world.backup_json()
    world.tick()
    dw = world.dw
    locked = next(e for e in dw.users["alice"].entries.values() if e.subject == "Locked")
    locked.event, locked.revtime = "for friends, edited", world.now[0]  # an old entry edited
    new = dw.add_entry("alice", "Newer", "just posted", "2026-01-01 00:01:00")
    bob = dw.users["bob"].userid
    dw.users["alice"].comments[6] = Comment(
        6, new.itemid, bob, body="first!", datepost="2026-01-01 00:01:00"
    )
    dw.users["alice"].comments[4].state = "A"  # unscreened
    world.tick()
    dw.requests.clear()
    again = world.backup_json()
    assert (again["new"], again["updated"], again["listed"]) == (1, 1, 2)
    assert dw.requests["getevents"] == 1  # the two changed entries, in one call
    collections = again["collections"]
    assert isinstance(collections, dict)
    assert collections["comments"] == {"new": 1, "changed": 1, "entries": 6, "removed": 0}
    posts = world.posts()
    assert posts["Locked"].raw["event"] == "for friends, edited"
    assert posts["Locked"].visibility is Visibility.FOLLOWERS
    comments = world.comments()
    assert comments["6"].subject is not None
    assert comments["6"].subject.id == posts["Newer"].ref.id
    assert comments["4"].raw["state"] == "A"
    assert comments["4"].raw["body"] == "screened one"
    # The bodies read were the new comment's range only: one metadata and one body page.
    assert dw.requests["export_comments"] == 2


def test_an_interrupted_backup_resumes_with_nothing_lost(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dw_client, "PAGE_SIZE", 1)  # three pages of one entry
    world.dw.fail_next("getevents", fault=406, after=1)  # the second page is refused
    stopped = world.backup()
    assert stopped.code != 0 or "stopped early" in stopped.out + stopped.err
    manifest = json.loads((world.folder / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["run"]["pages"] == 1
    world.tick()
    resumed = world.backup_json()
    assert resumed["resumed"] is True
    assert resumed["complete"] is True
    assert set(world.posts()) == {"Hello", "Locked", "Private"}
    assert len(world.comments()) == 5
    world.tick()
    world.dw.requests.clear()
    again = world.backup_json()
    assert again["new"] == 0
    assert "getevents" not in world.dw.requests


def test_the_viewer_shows_the_comment_thread_and_the_public_site_does_not(world: World) -> None:
    world.backup_json()
    site = world.out / "site"
    shown = run_cli("view", str(world.out), "-o", str(site))
    assert shown.code == 0, shown.err
    pages = {p: p.read_text(encoding="utf-8") for p in (site / "posts").glob("*.html")}
    (html,) = [text for text in pages.values() if 'class="comments"' in text]
    assert "Bold" in html  # the page of the entry they answer, and of no other
    section = html[html.index('<section class="comments"') :]
    assert "5 comments" in section
    # 2 answers 1, 3 answers 2: each inside its parent's item, so indented under it.
    first = section.index('id="comment-1"')
    second = section.index('id="comment-2"')
    third = section.index('id="comment-3"')
    assert first < second < third
    assert section.count("<ol", first, third) == 2
    assert "Anonymous" in section[third:]
    assert "deleted comment" in section
    assert "screened" in section
    assert "Nice <em>post</em>" in section  # read as the site shows it, then sanitised
    assert (site / "accounts").is_dir()  # the account page is there, without a comments list
    assert not list((site / "accounts").rglob("comments*.html"))

    public = world.out / "public"
    published = run_cli("site", str(world.out), "-o", str(public))
    assert published.code == 0, published.err
    texts = [p.read_text(encoding="utf-8") for p in public.rglob("*.html")]
    assert texts
    assert not [t for t in texts if 'class="comments"' in t or "Nice" in t]
    assert not [t for t in texts if "for friends" in t or "mine alone" in t]
