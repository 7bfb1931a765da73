"""Reblog trail items on real documented examples: their own dates where Tumblr gives one, else
`undated`; and the images, GIFs and videos inside them as media of the trail posts, with URLs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from crosspost.model import MediaKind, Post
from crosspost.platforms.tumblr.read import to_post
from tests.fixtures import fixture_path

REBLOGGED_AT = 1700000000


def reblog(trail: list[Any], content: list[Any] | None = None) -> Post:
    raw = {
        "id_string": "1",
        "type": "blocks",
        "timestamp": REBLOGGED_AT,
        "content": content or [],
        "layout": [],
        "trail": trail,
    }
    return to_post(raw, account="reblogger")


def load(relative: str) -> Any:
    return json.loads(fixture_path(relative).read_text(encoding="utf-8"))


def test_trail_items_without_a_timestamp_are_undated() -> None:
    # The older documented trail (kotlr's copy): `post` holds only an id.
    data = load("kotlr/lib/samples/officialSamples/post/reblogTrail.json")
    post = reblog(data["trail"], data["content"])
    assert [item.ref.id for item in post.trail] == ["1234", "3456"]
    assert all(item.undated for item in post.trail)
    # The latest each can be: the reblog's own date, never shown as theirs.
    assert {item.created_at for item in post.trail} == {post.created_at}
    assert not post.undated


def test_trail_items_with_a_timestamp_keep_their_own_date() -> None:
    # The current npf-spec example: `post` has "possibly a `timestamp` field".
    data = load("tumblr-docs/extracted/npf-spec.md_L1564_reblog-trail.json")
    post = reblog(data["trail"], data["content"])
    stamps = [item["post"]["timestamp"] for item in data["trail"]]
    assert [item.created_at for item in post.trail] == [
        datetime.fromtimestamp(stamp, UTC) for stamp in stamps
    ]
    assert not any(item.undated for item in post.trail)


def test_broken_trail_items_are_undated_and_keep_their_blog_name() -> None:
    data = load("kotlr/lib/samples/officialSamples/post/reblogTrail_brokenTrailItems.json")
    post = reblog(data["trail"])
    assert [item.ref.account for item in post.trail] == ["old-broken-blog", "another-broken-blog"]
    assert all(item.undated for item in post.trail)
    assert Post.from_json(post.to_json()) == post


def trail_item(relative: str) -> dict[str, Any]:
    """A trail item holding the blocks of one documented content example."""
    content = load(relative)["content"]
    return {"post": {"id": "42"}, "blog": {"name": "artist"}, "content": content, "layout": []}


def test_images_gifs_and_videos_in_trail_items_are_media_with_urls() -> None:
    image = trail_item("tumblr-docs/extracted/npf-spec.md_L0676_content-block-type-image.json")
    gif = trail_item("tumblr-docs/extracted/npf-spec.md_L0768_gif-posters.json")
    video = trail_item("tumblr-docs/extracted/npf-spec.md_L0962_content-block-type-video.json")
    post = reblog([image, gif, video])
    assert not post.media  # the reblog itself added nothing: the media are the trail's
    (photo,), (animated,), (film,) = (item.media for item in post.trail)
    assert photo.kind == MediaKind.IMAGE
    assert photo.width == 1280
    assert photo.url is not None
    assert photo.url.endswith("_1280.jpg")
    assert photo.alt == "Sonic the Hedgehog and friends"
    assert animated.kind == MediaKind.GIF
    assert animated.url is not None
    assert animated.poster_url is not None
    assert animated.poster_url.endswith("_500.jpg")
    assert film.kind == MediaKind.VIDEO
    assert film.url is not None
    assert film.url.endswith(".mp4")
    assert film.poster_url is not None
    assert film.poster_url.endswith("_500.jpg")
    assert Post.from_json(post.to_json()) == post


def test_legacy_html_trail_items_keep_their_inline_images() -> None:
    item = {
        "blog": {"name": "old-blog"},
        "post": {"id": "7"},
        "content": '<p>old words</p><img src="https://64.media.tumblr.com/x/s500x750/old.gif">',
    }
    (trail,) = reblog([item]).trail
    assert [(m.kind, m.url) for m in trail.media] == [
        (MediaKind.GIF, "https://64.media.tumblr.com/x/s500x750/old.gif")
    ]
    assert trail.undated
