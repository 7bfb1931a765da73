"""The readers carry what the viewer needs to show a post as its platform does: Tumblr's block
order and rows (real NPF examples from Tumblr's docs), and polls (Mastodon's documented status)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from crosspost.model import Piece, Platform, Post, PostRef
from crosspost.platforms.mastodon.read import to_post as mastodon_post
from crosspost.platforms.tumblr.read import npf_body
from tests.fixtures import fixture_path

NPF = "tumblr-docs/extracted/"


def test_a_photoset_row_is_kept_as_one_row_above_its_text() -> None:
    data = json.loads(
        fixture_path(NPF + "npf-spec.md_L1292_layout-block-type-rows.json").read_text()
    )
    body = npf_body(data["content"], data["layout"])
    assert body.layout == [Piece(0, 0), Piece(0, 1), Piece(1, -1, 0, 42)]
    assert body.text.text[0:42] == "This is a paragraph underneath two images."


def test_heading_image_text_keeps_its_order() -> None:
    data = json.loads(
        fixture_path(NPF + "npf-spec.md_L1292_layout-block-type-rows.json").read_text()
    )
    image = data["content"][0]
    content = [
        {"type": "text", "subtype": "heading1", "text": "Title"},
        image,
        {"type": "text", "text": "After the picture."},
    ]
    body = npf_body(content, None)
    pieces = body.layout
    assert [p.media for p in pieces] == [-1, 0, -1]
    assert [body.text.text[p.start : p.end] for p in (pieces[0], pieces[2])] == [
        "Title",
        "After the picture.",
    ]


def test_text_then_single_images_needs_no_layout() -> None:
    data = json.loads(
        fixture_path(NPF + "npf-spec.md_L1292_layout-block-type-rows.json").read_text()
    )
    content = [{"type": "text", "text": "Hello"}, data["content"][0]]
    assert npf_body(content, None).layout == []


def test_a_mastodon_poll_keeps_its_options_and_counts() -> None:
    path = fixture_path(
        "mastodon-docs/extracted/methods_statuses.md_L0488_delete-a-status_200.json"
    )
    post = mastodon_post(json.loads(path.read_text()), account="me")
    assert post.poll is not None
    assert [(o.text, o.votes) for o in post.poll.options] == [("test 1", 1), ("test 2", 0)]
    assert post.poll.voters == 1
    assert post.poll.expires_at is not None


def test_a_post_written_before_layout_and_poll_still_reads() -> None:
    post = Post(PostRef(Platform.TUMBLR, "a", "1"), datetime(2024, 1, 2, tzinfo=UTC))
    data = post.to_json()
    del data["layout"], data["poll"]
    assert Post.from_json(data) == post
