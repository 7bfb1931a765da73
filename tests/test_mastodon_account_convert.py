"""Profiles, collection entries and edit histories from real Mastodon answers: the API docs'
examples and the Mastodon.py cassettes recorded against a real server (read in place)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from crosspost.account_data import Collection, Entry
from crosspost.model import MediaKind, PostKind
from crosspost.platforms.mastodon import collections
from crosspost.platforms.mastodon.collections import CollectionReader, repost_entries
from crosspost.platforms.mastodon.history import history_to_posts
from crosspost.platforms.mastodon.profile import person_from_account, profile_from_account
from crosspost.platforms.mastodon.rawget import _next_max_id
from crosspost.platforms.mastodon.read import to_post
from tests.fixtures import fixture_params, fixture_path

DOCS = "mastodon-docs/extracted"
CASSETTES = "mastodon-py/tests/cassettes"


def doc(name: str) -> Any:
    return json.loads(fixture_path(f"{DOCS}/{name}").read_text(encoding="utf-8"))


def answers(cassette: str, method: str, path_part: str) -> list[Any]:
    """The JSON bodies a cassette recorded for requests whose address contains `path_part`."""
    path = fixture_path(f"{CASSETTES}/{cassette}")
    found = []
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        request = interaction["request"]
        if request["method"] == method and path_part in request["uri"]:
            found.append(json.loads(interaction["response"]["body"]["string"]))
    return found


def test_a_remote_account_from_the_docs() -> None:
    profile = profile_from_account(doc("entities_Account.md_L0037_example.json"))
    assert profile.handle == "noiob@awoo.space"
    assert profile.id == "https://awoo.space/@noiob"  # no `uri` in the example: the URL
    assert profile.display_name == "ikea shark fan account"
    assert profile.bio.startswith(":ms_rainbow_flag:")
    assert "compsci student" in profile.bio
    assert "<" not in profile.bio
    assert profile.bio_html.startswith("<p>")
    assert [f.name for f in profile.fields] == ["Pronouns", "Alt", "Bots", "Website"]
    website = profile.fields[-1]
    assert website.verified_at == datetime(2019, 11, 10, 10, 31, 10, 744000, tzinfo=UTC)
    assert website.value.startswith("<a href=")  # kept as HTML, as the server sent it
    assert profile.avatar is not None
    assert profile.avatar.alt == "a shark"
    assert profile.avatar.kind is MediaKind.IMAGE
    assert profile.avatar.mime == "image/png"
    assert profile.banner is not None
    assert profile.banner.alt == "sharks in the sea"
    assert profile.counts == {"posts": 28468, "followers": 547, "following": 404}
    assert profile.created_at == datetime(2017, 2, 8, 2, 0, 53, 274000, tzinfo=UTC)
    assert profile.raw["feature_approval"]["current_user"] == "automatic"


def test_verify_credentials_gives_the_bio_as_typed() -> None:
    native = doc("methods_accounts.md_L0183_verify-account-credentials_200.json")
    profile = profile_from_account(native)
    assert profile.bio == native["source"]["note"]
    assert "\n" in profile.bio  # the paragraphs as typed, not the rendered HTML
    assert profile.handle == "trwnh@mastodon.social"


def test_a_real_server_default_avatar_and_header_are_no_images() -> None:
    (native,) = answers("test_verify_credentials.yaml", "GET", "verify_credentials")[:1]
    assert native["avatar"].endswith("/avatars/original/missing.png")
    profile = profile_from_account(native)
    assert profile.avatar is None
    assert profile.banner is None
    assert profile.media() == ()
    assert profile.id == native["uri"]  # the ActivityPub id, not the profile page
    assert profile.url == native["url"]
    assert profile.handle == "mastodonpy_test@localhost"


def test_a_suspended_account_with_missing_png() -> None:
    person = person_from_account(doc("methods_accounts.md_L0722_get-account_200.json"))
    assert person.handle == "stigatle@quitter.no"
    assert person.avatar_url is None


@pytest.mark.parametrize("path", fixture_params(f"{DOCS}/*ccount*_200.json"))
def test_every_documented_account_names_a_person(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    accounts = [a for a in (data if isinstance(data, list) else [data]) if "url" in a]
    for account in accounts:
        person = person_from_account(account)
        assert "@" in person.handle
        assert person.id.startswith("https://")


def test_boosts_from_a_real_server() -> None:
    (boost,) = answers("test_status_reblog_unreblog.yaml", "POST", "/reblog")
    (entry,) = repost_entries([boost])
    assert entry.id == boost["uri"]
    assert entry.id.endswith("/activity")  # the Announce's id, as an archive's outbox names it
    assert entry.subject is not None
    assert entry.subject.id == boost["reblog"]["id"]
    assert entry.post is not None
    assert entry.post.ref == entry.subject
    assert entry.post.kind is not PostKind.REPOST  # the boosted post itself
    assert entry.created_at is not None
    assert "reblog" not in entry.raw  # the post keeps it
    assert Entry.from_json(json.loads(json.dumps(entry.to_json()))) == entry
    assert repost_entries([boost["reblog"]]) == []  # an own status is not a boost


def test_favourites_page_by_the_link_headers_cursor_not_by_status_ids() -> None:
    """The docs' favourites answer: its Link header's max_id names a favourite, no status."""
    statuses = answers("test_public_tl.yaml", "GET", "/timelines/public")[0][:2]
    link = (
        "<https://mastodon.example/api/v1/favourites?limit=2&max_id=23716836>; "
        'rel="next", <https://mastodon.example/api/v1/favourites?limit=2&min_id=23716978>; '
        'rel="prev"'
    )
    cursor = _next_max_id(link)
    sent: list[Mapping[str, Any]] = []

    def get(what: str, endpoint: str, params: Mapping[str, Any]) -> tuple[Any, str | None]:
        sent.append({"endpoint": endpoint, **params})
        return (statuses, cursor) if len(sent) == 1 else ([], None)

    reader = CollectionReader(get, lambda: "1")
    first = reader.fetch(Collection.LIKES, None)
    assert first.cursor == "23716836"
    assert [e.subject.id for e in first.entries if e.subject] == [s["id"] for s in statuses]
    last = reader.fetch(Collection.LIKES, first.cursor)
    assert sent == [
        {"endpoint": "/api/v1/favourites", "limit": 40},
        {"endpoint": "/api/v1/favourites", "max_id": "23716836", "limit": 40},
    ]
    assert (last.entries, last.cursor) == ([], None)


def test_boosts_are_looked_for_past_pages_without_any(monkeypatch: pytest.MonkeyPatch) -> None:
    own = answers("test_status_reblog_unreblog.yaml", "POST", "/api/v1/statuses")[0]
    (boost,) = answers("test_status_reblog_unreblog.yaml", "POST", "/reblog")
    pages = {None: ([own], "p2"), "p2": ([own], "p3"), "p3": ([boost], "p4"), "p4": ([], None)}
    calls: list[str | None] = []

    def get(what: str, endpoint: str, params: Mapping[str, Any]) -> tuple[Any, str | None]:
        calls.append(params.get("max_id"))
        return pages[params.get("max_id")]

    page = CollectionReader(get, lambda: "7").fetch(Collection.REPOSTS, None)
    assert len(page.entries) == 1
    assert page.cursor == "p4"
    assert calls == [None, "p2", "p3"]
    monkeypatch.setattr(collections, "REPOST_SCAN_PAGES", 1)
    calls.clear()
    page = CollectionReader(get, lambda: "7").fetch(Collection.REPOSTS, None)
    assert (list(page.entries), page.cursor) == ([], "p2")  # an empty page, and go on


def test_the_documented_edit_history() -> None:
    edits = doc("methods_statuses.md_L2079_view-edit-history-of-a-status_200.json")
    # The status as it is now: the last version's content, the first one's date.
    status = {
        **edits[-1],
        "id": "1089427",
        "visibility": "public",
        "created_at": edits[0]["created_at"],
    }
    posts = history_to_posts(edits, status, account="trwnh@mastodon.social")
    assert [p.text.text for p in posts] == [
        "this is a status that will be edited",
        "this is a status that has been edited",
        "this is a status that has been edited twice",
        "this is a status that has been edited three times. this time a poll has been added.",
        "this is a status that has been edited three times. this time a poll has been added.",
    ]
    assert posts[0].edited_at is None
    edited = [p.edited_at for p in posts[1:] if p.edited_at is not None]
    assert edited == sorted(edited)
    assert len(edited) == 4
    assert {p.created_at for p in posts} == {datetime(2022, 9, 4, 23, 22, 13, 704000, UTC)}
    assert not posts[2].unsupported
    (poll,) = posts[3].unsupported
    assert "spiderman" in poll.text
    assert "spiderman (this option has been changed)" in posts[4].unsupported[0].text
    assert posts[-1].raw == edits[-1]  # each version keeps its StatusEdit
    assert all(p.ref.id == status["id"] for p in posts)


def test_a_real_servers_edit_history_ends_with_the_status_as_it_is() -> None:
    *_, history = answers("test_status_edit.yaml", "GET", "/history")
    statuses = answers("test_status_edit.yaml", "GET", "/api/v1/statuses/")
    status = next(s for s in statuses if isinstance(s, dict) and "visibility" in s)
    posts = history_to_posts(history, status, account="mastodonpy_test_2@localhost")
    assert len(posts) == len(history) >= 2
    current = to_post(status, account="mastodonpy_test_2@localhost")
    assert posts[-1].text == current.text
    assert posts[-1].edited_at == current.edited_at
    assert posts[-1].visibility is current.visibility
    assert posts[0].text != posts[-1].text
    assert posts[0].created_at == current.created_at
