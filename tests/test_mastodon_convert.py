"""to_post on reality: every status in the recorded Mastodon.py responses and the API docs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from crosspost.model import (
    MediaKind,
    Platform,
    Post,
    PostKind,
    PostRef,
    RichText,
    Visibility,
)
from crosspost.platforms.mastodon.marker import origin_from_url, split_marker, with_marker
from crosspost.platforms.mastodon.read import plain_json, to_post
from tests.fixtures import SKIP_REASON, fixture_path, fixtures_root

ME = "mastodonpy_test@localhost"
CASSETTES = "mastodon-py/tests/cassettes"
DOCS = "mastodon-docs/extracted"


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every status in a response, including nested reblogs, quotes and contexts."""
    if isinstance(value, dict):
        if {"id", "created_at", "content", "account"} <= value.keys():
            yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _bodies(path: Path) -> Iterator[Any]:
    if path.suffix == ".json":
        yield json.loads(path.read_text(encoding="utf-8"))
        return
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        body = interaction["response"]["body"]["string"]
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        if body[:1] in ("{", "["):
            yield json.loads(body)


def real_statuses() -> list[Any]:
    root = fixtures_root()
    if root is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=SKIP_REASON), id="no-fixtures")]
    params = []
    files = sorted((root / CASSETTES).glob("*.yaml")) + sorted((root / DOCS).glob("*.json"))
    for path in files:
        for number, status in enumerate(s for body in _bodies(path) for s in _walk(body)):
            ident = f"{path.name}#{number}:{status['id']}"
            params.append(pytest.param(status, id=ident))
    return params


STATUSES = real_statuses()


@pytest.mark.parametrize("status", STATUSES)
def test_every_real_status_converts(status: dict[str, Any]) -> None:
    post = to_post(status, account=ME)
    assert post.ref.platform is Platform.MASTODON
    assert post.ref.id == str(status["id"])
    assert post.created_at.tzinfo is not None
    assert post.content_warning == (status.get("spoiler_text") or "")
    assert post.sensitive is bool(status.get("sensitive"))
    assert Post.loads(post.dumps()) == post  # JSON round trip, raw included
    if status.get("reblog"):
        assert post.kind is PostKind.REPOST
        assert post.repost_of == post.trail[0].ref
    if status.get("poll"):
        assert [u.kind for u in post.unsupported] == ["poll"]
        assert post.unsupported[0].text.startswith("Poll (")
    if status.get("edited_at"):
        assert post.edited_at is not None
    assert len(post.media) + len(post.unsupported) >= len(status.get("media_attachments") or [])


def test_the_real_fixtures_hold_what_the_adapter_must_read() -> None:
    statuses = [p.values[0] for p in STATUSES if p.values[0] is not None]
    if not statuses:
        pytest.skip(SKIP_REASON)
    posts = [to_post(s, account=ME) for s in statuses]
    kinds = Counter(p.kind for p in posts)
    assert len(posts) >= 150
    assert kinds[PostKind.REPOST] >= 1
    assert kinds[PostKind.QUOTE] >= 1
    assert sum(1 for p in posts if p.edited_at) >= 1
    assert sum(1 for p in posts if p.content_warning) >= 1
    assert sum(1 for p in posts if p.media) >= 1
    assert sum(1 for p in posts if p.unsupported) >= 1
    assert {p.visibility for p in posts} >= {Visibility.PUBLIC, Visibility.UNLISTED}


def _docs_status() -> dict[str, Any]:
    path = fixture_path(f"{DOCS}/entities_Status.md_L0021_example.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _docs_media(kind: str) -> dict[str, Any]:
    line = {"image": "0023", "video": "0056", "gifv": "0096", "audio": "0133"}[kind]
    path = fixture_path(f"{DOCS}/entities_MediaAttachment.md_L{line}_example.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("image", MediaKind.IMAGE),
        ("video", MediaKind.VIDEO),
        ("gifv", MediaKind.GIF),
        ("audio", MediaKind.AUDIO),
    ],
)
def test_documented_media_keep_type_alt_and_size(kind: str, expected: MediaKind) -> None:
    attachment = _docs_media(kind)
    post = to_post({**_docs_status(), "media_attachments": [attachment]}, account=ME)
    (media,) = post.media
    assert media.kind is expected
    assert media.url == attachment["url"]
    assert media.alt == (attachment.get("description") or "")
    original = attachment["meta"].get("original") or {}
    assert media.width == original.get("width")
    if expected is not MediaKind.IMAGE:
        assert media.poster_url == attachment["preview_url"]


def test_documented_poll_becomes_readable_unsupported_text() -> None:
    poll = json.loads(fixture_path(f"{DOCS}/entities_Poll.md_L0017_example.json").read_text())
    post = to_post({**_docs_status(), "poll": poll}, account=ME)
    (part,) = post.unsupported
    assert part.kind == "poll"
    assert "polls exist only on Mastodon" in part.reason
    for option in poll["options"]:
        assert option["title"] in part.text


def _status(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "110",
        "created_at": "2024-05-01T10:00:00.000Z",
        "content": "<p>Hello</p>",
        "visibility": "public",
        "spoiler_text": "",
        "sensitive": False,
        "language": "en",
        "url": "https://example.social/@me/110",
        "account": {"id": "1", "acct": "me", "url": "https://example.social/@me"},
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("native", "expected"),
    [
        ("public", Visibility.PUBLIC),
        ("unlisted", Visibility.UNLISTED),
        ("private", Visibility.FOLLOWERS),
        ("direct", Visibility.DIRECT),
        ("local", Visibility.DIRECT),  # unknown scopes: the narrowest audience
    ],
)
def test_visibility_mapping(native: str, expected: Visibility) -> None:
    assert to_post(_status(visibility=native), account=ME).visibility is expected


def test_content_warning_language_and_self_reply() -> None:
    status = _status(
        spoiler_text="spoilers", sensitive=True, in_reply_to_id="109", in_reply_to_account_id="1"
    )
    post = to_post(status, account="me@example.social")
    assert post.content_warning == "spoilers"
    assert post.sensitive
    assert post.langs == ("en",)
    assert post.kind is PostKind.REPLY
    assert post.reply_to == PostRef(Platform.MASTODON, "me@example.social", "109")


def test_reply_to_someone_else_is_named_by_the_mention() -> None:
    mention = {"id": "7", "acct": "bob@other.host", "url": "https://other.host/@bob"}
    post = to_post(
        _status(in_reply_to_id="50", in_reply_to_account_id="7", mentions=[mention]), account=ME
    )
    assert post.reply_to is not None
    assert post.reply_to.account == "bob@other.host"


def test_boost_carries_the_boosted_post() -> None:
    inner = _status(id="99", account={"id": "7", "acct": "bob@other.host"})
    post = to_post(_status(id="111", content="", reblog=inner), account=ME)
    assert post.kind is PostKind.REPOST
    assert post.repost_of == PostRef(
        Platform.MASTODON, "bob@other.host", "99", "https://example.social/@me/110"
    )
    assert post.trail[0].text.text == "Hello"


def test_mastodon_py_entities_with_datetimes_convert_like_json() -> None:
    status = _status(created_at=datetime(2024, 5, 1, 10, tzinfo=UTC), edited_at=None)
    post = to_post(status, account=ME)
    assert post.raw["created_at"] == "2024-05-01T10:00:00+00:00"
    assert json.dumps(plain_json(status))


def test_origin_marker_is_read_back_and_stripped() -> None:
    url = "https://bsky.app/profile/alice.example.com/post/3kabc"
    html = (
        '<p>Hi there</p><p>Crossposted from <a href="' + url + '" rel="nofollow noopener">'
        '<span class="invisible">https://</span><span class="ellipsis">bsky.app/profile/'
        'alice.example.com</span><span class="invisible">/post/3kabc</span></a></p>'
    )
    post = to_post(_status(content=html), account=ME)
    assert post.text.text == "Hi there"
    assert post.origin == PostRef(
        Platform.BLUESKY,
        "alice.example.com",
        "at://alice.example.com/app.bsky.feed.post/3kabc",
        url,
    )


@pytest.mark.parametrize(
    ("url", "platform", "account", "ident"),
    [
        ("https://bsky.app/profile/did:plc:abc/post/3k", Platform.BLUESKY, "did:plc:abc", None),
        ("https://staff.tumblr.com/post/123/slug", Platform.TUMBLR, "staff", "123"),
        ("https://www.tumblr.com/staff/123", Platform.TUMBLR, "staff", "123"),
        ("https://mas.to/@bob/456", Platform.MASTODON, "bob@mas.to", "456"),
        ("https://mas.to/users/bob/statuses/456", Platform.MASTODON, "bob@mas.to", "456"),
    ],
)
def test_origin_urls_of_the_three_platforms(
    url: str, platform: Platform, account: str, ident: str | None
) -> None:
    ref = origin_from_url(url)
    assert ref is not None
    assert (ref.platform, ref.account) == (platform, account)
    if ident:
        assert ref.id == ident


def test_marker_round_trip_and_unknown_urls_stay_in_the_text() -> None:
    marked = with_marker(RichText("body"), "https://example.org/x")
    assert split_marker(marked) == (RichText("body"), "https://example.org/x")
    post = to_post(
        _status(content="<p>a</p><p>Crossposted from https://example.org/x</p>"), account=ME
    )
    assert post.origin is None
    assert "Crossposted from" in post.text.text
