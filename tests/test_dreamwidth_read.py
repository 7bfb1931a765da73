"""Dreamwidth entries (decoded getevents items, in the shapes of cgi-bin/LJ/Protocol.pm) -> Post."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crosspost.errors import DataError
from crosspost.model import Platform, PostRef, SpanKind, Visibility
from crosspost.platforms.dreamwidth.read import to_post


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "itemid": 11,
        "anum": 113,
        "ditemid": 2929,
        "eventtime": "2009-08-14 21:05:00",
        "logtime": "2009-08-15 04:07:12",
        "subject": "Hello",
        "event": "body",
        "url": "https://alice.dreamwidth.org/2929.html",
        "journal": "alice",
        "props": {},
    }
    base.update(changes)
    return base


def test_ref_is_the_ditemid_of_the_url() -> None:
    post = to_post(entry(), account="alice")
    assert post.ref == PostRef(
        Platform.DREAMWIDTH, "alice", "2929", "https://alice.dreamwidth.org/2929.html"
    )
    no_ditemid = entry()
    del no_ditemid["ditemid"]
    assert to_post(no_ditemid, account="alice").ref.id == str(11 * 256 + 113)
    with pytest.raises(DataError):
        to_post({"event": "x", "eventtime": "2020-01-01 00:00:00"}, account="alice")


def test_created_at_is_logtime_unless_backdated() -> None:
    assert to_post(entry(), account="a").created_at == datetime(2009, 8, 15, 4, 7, 12, tzinfo=UTC)
    backdated = entry(props={"opt_backdated": 1})
    assert to_post(backdated, account="a").created_at == datetime(2009, 8, 14, 21, 5, tzinfo=UTC)
    no_logtime = entry()
    del no_logtime["logtime"]
    assert to_post(no_logtime, account="a").created_at == datetime(2009, 8, 14, 21, 5, tzinfo=UTC)
    assert not to_post(entry(), account="a").undated
    with pytest.raises(DataError, match="neither logtime nor eventtime"):
        to_post(entry(logtime=None, eventtime="soon"), account="a")


def test_edited_at_from_revtime() -> None:
    post = to_post(entry(props={"revtime": 1700000000}), account="a")
    assert post.edited_at == datetime.fromtimestamp(1700000000, UTC)


def test_tags_kept_as_given_and_title_from_subject() -> None:
    post = to_post(entry(subject="007", props={"taglist": "b tag, a, b tag, ,Z"}), account="a")
    assert post.tags == ("b tag", "a", "Z")
    assert post.title == "007"


@pytest.mark.parametrize(
    ("security", "allowmask", "visibility"),
    [
        (None, None, Visibility.PUBLIC),
        ("public", None, Visibility.PUBLIC),
        ("usemask", 1, Visibility.FOLLOWERS),
        ("usemask", 6, Visibility.FOLLOWERS),
        ("usemask", 0, Visibility.FOLLOWERS),
        ("private", None, Visibility.PRIVATE),
        ("friends", None, Visibility.PRIVATE),  # unknown: never wider than the author's own
    ],
)
def test_visibility(security: str | None, allowmask: int | None, visibility: Visibility) -> None:
    native = entry()
    if security is not None:
        native["security"] = security
    if allowmask is not None:
        native["allowmask"] = allowmask
    assert to_post(native, account="a").visibility is visibility


def test_adult_content_is_sensitive_with_its_reason() -> None:
    post = to_post(
        entry(props={"adult_content": "explicit", "adult_content_reason": "gore"}), account="a"
    )
    assert post.sensitive
    assert post.content_warning == "gore"
    concepts = to_post(entry(props={"adult_content": "concepts"}), account="a")
    assert concepts.sensitive
    assert concepts.content_warning == "adult content: viewer discretion advised"
    override = entry(props={"adult_content": "none", "adult_content_maintainer": "explicit"})
    assert to_post(override, account="a").sensitive
    assert not to_post(entry(props={"adult_content": "none"}), account="a").sensitive


def test_a_warning_cut_first_is_the_content_warning() -> None:
    post = to_post(
        entry(event='<cut text="Content warning: spoilers">They win.</cut>'), account="a"
    )
    assert post.content_warning == "spoilers"
    assert post.text.text == "They win."
    assert [u.kind for u in post.unsupported] == []


def test_mood_music_location_and_no_comments_are_notes() -> None:
    props = {
        "current_mood": "tired",
        "current_music": 7,  # digit-only text arrives as an int; the protocol layer gives str
        "current_location": "Montreal",
        "opt_nocomments": 1,
    }
    post = to_post(entry(props=props), account="a")
    assert [(u.kind, u.text) for u in post.unsupported] == [
        ("mood", "Mood: tired"),
        ("music", "Music: 7"),
        ("location", "Location: Montreal"),
        ("comments", ""),
    ]


def test_origin_from_the_marker_only() -> None:
    marked = entry(
        props={"import_source": "https://bsky.app/profile/bob.example/post/3kabc#crosspost-00ff"}
    )
    assert to_post(marked, account="a").origin == PostRef(
        Platform.BLUESKY,
        "bob.example",
        "at://bob.example/app.bsky.feed.post/3kabc",
        "https://bsky.app/profile/bob.example/post/3kabc",
    )
    imported = entry(props={"import_source": "livejournal.com/alice/1234"})  # DW's own importer
    assert to_post(imported, account="a").origin is None
    # And an imported entry is casual HTML without @mentions (CleanHTML.pm's is_imported).
    imported["event"] = "@bob\nhi"
    post = to_post(imported, account="a")
    assert post.text.text == "@bob\nhi"
    assert post.text.spans_of(SpanKind.MENTION) == ()


def test_raw_keeps_the_entry() -> None:
    native = entry(props={"picture_keyword": "me"})
    assert to_post(native, account="a").raw == native
