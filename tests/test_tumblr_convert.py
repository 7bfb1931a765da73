"""to_post golden checks on named Tumblr doc examples, and the cases the docs only describe."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from crosspost.model import MediaKind, Platform, PostKind, SpanKind, Visibility
from crosspost.platforms.tumblr.marker import marker_url, origin_from_source_url
from crosspost.platforms.tumblr.read import to_post
from tests.fixtures import fixture_path
from tests.test_tumblr_fixtures import as_posts, envelope


def doc_post(name: str) -> Any:
    path = fixture_path(f"tumblr-docs/extracted/{name}")
    posts, _ = as_posts(json.loads(path.read_text(encoding="utf-8")))
    return to_post(posts[0], account="me")


def test_image_keeps_alt_text_and_the_largest_size() -> None:
    post = doc_post("npf-spec.md_L0676_content-block-type-image.json")
    (image,) = post.media
    assert image.kind is MediaKind.IMAGE
    assert image.alt == "Sonic the Hedgehog and friends"
    assert (image.width, image.height) == (1280, 1073)
    assert image.url is not None
    assert image.url.endswith("_1280.jpg")


def test_gif_keeps_its_poster() -> None:
    (gif,) = doc_post("npf-spec.md_L0768_gif-posters.json").media
    assert gif.kind is MediaKind.GIF
    assert gif.poster_url is not None
    assert gif.poster_url.endswith("_500.jpg")


def test_link_block_is_a_link_card() -> None:
    card = doc_post("npf-spec.md_L0814_content-block-type-link.json").link_card
    assert card is not None
    assert card.title.startswith("Secrecy Surrounding Senate Health Bill")
    assert card.thumb_url is not None
    assert "facebookJumbo" in card.thumb_url


def test_native_audio_is_media_and_an_embed_is_a_card() -> None:
    (audio,) = doc_post("npf-spec.md_L0869_content-block-type-audio.json").media
    assert audio.kind is MediaKind.AUDIO
    assert audio.mime == "audio/mp3"
    assert audio.alt == "Track Artist – Track Title – Track Album"
    embed = doc_post("npf-spec.md_L0897_content-block-type-audio.json")
    assert embed.media == ()
    assert embed.link_card is not None
    assert embed.link_card.url == "https://soundcloud.com/neilcic/mouth-sounds"


def test_native_video_and_youtube() -> None:
    (video,) = doc_post("npf-spec.md_L0962_content-block-type-video.json").media
    assert video.kind is MediaKind.VIDEO
    assert video.poster_url is not None
    youtube = doc_post("npf-spec.md_L1004_content-block-type-video.json")
    assert youtube.link_card is not None
    assert youtube.link_card.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def test_paywalled_content_is_not_carried() -> None:
    post = doc_post("npf-spec.md_L1039_content-block-type-paywall.json")
    assert post.text.text == "pre-paywall, free content here, we call this the post teaser"
    (paywall,) = post.unsupported
    assert paywall.kind == "paywall"
    assert "1 block(s)" in paywall.reason


def test_rows_layout_orders_blocks_and_read_more_is_reported() -> None:
    post = doc_post("npf-spec.md_L1292_layout-block-type-rows.json")
    assert len(post.media) == 2
    assert post.text.text == "This is a paragraph underneath two images."
    folded = doc_post("npf-spec.md_L1456_read-more.json")
    assert "read_more" in [part.kind for part in folded.unsupported]


def test_ask_names_the_asker_and_keeps_the_answer_as_text() -> None:
    post = doc_post("npf-spec.md_L1755_attribution-type-blog.json")
    assert post.text.text == "This is my response to the ask from @randerson!"
    ask = post.unsupported[0]
    assert ask.kind == "ask"
    assert ask.text.startswith("https://randerson.tumblr.com asked:\nThis is an ask to @cyle")


def test_reblog_with_comment_keeps_the_trail_oldest_first() -> None:
    post = doc_post("npf-spec.md_L1564_reblog-trail.json")
    assert post.kind is PostKind.REBLOG_WITH_COMMENT
    assert [item.ref.id for item in post.trail] == ["1234", "3456"]
    assert post.trail[0].text.text == "this is the root Post"
    assert post.repost_of == post.trail[-1].ref
    assert post.trail[1].created_at == datetime.fromtimestamp(1618950001, UTC)


def test_pure_reblog_of_broken_trail() -> None:
    post = doc_post("npf-spec.md_L1636_broken-trail-items.json")
    assert post.kind is PostKind.REPOST
    assert [item.ref.account for item in post.trail] == ["old-broken-blog", "another-broken-blog"]


def test_reblog_without_trail_is_seen_from_parent_fields() -> None:
    raw = envelope(parent_post_url="https://staff.tumblr.com/post/123456", content=[])
    post = to_post(raw, account="me")
    assert post.kind is PostKind.REPOST
    assert post.repost_of is not None
    assert post.repost_of.id == "123456"


def test_text_formatting_comes_through_the_text_module() -> None:
    post = doc_post("npf-spec.md_L0525_inline-formatting-within-a-text-block.json")
    assert post.text.spans
    assert {span.kind for span in post.text.spans} & {SpanKind.BOLD, SpanKind.ITALIC}


@pytest.mark.parametrize(
    ("state", "visibility"),
    [
        ("published", Visibility.PUBLIC),
        ("queued", Visibility.PRIVATE),
        ("draft", Visibility.PRIVATE),
        ("private", Visibility.PRIVATE),
    ],
)
def test_state_sets_visibility(state: str, visibility: Visibility) -> None:
    assert to_post(envelope(state=state), account="me").visibility is visibility


def test_tags_exactly_as_written() -> None:
    tags = ["milky dog", "Q&A: 2024!", "#not-a-hash", "émoji 🌳"]
    assert to_post(envelope(tags=tags), account="me").tags == tuple(tags)


def test_legacy_posts_are_readable() -> None:
    text = doc_post("api.md_L1246_posts-retrieve-published-posts_legacy-text-posts.json")
    assert text.title == "Milky Dog"
    assert "Milky Dog was inspired" in text.text.text
    assert text.media[0].url == "https://media.tumblr.com/tumblr_lh6x8d7LBB1qa6gy3.jpg"
    assert text.tags == ("tumblrize", "milky dog", "mini comic")
    photo = doc_post("api.md_L1318_posts-retrieve-published-posts_legacy-photo-posts.json")
    assert photo.media[0].width == 1280
    answer = doc_post("api.md_L1759_posts-retrieve-published-posts_legacy-answer-posts.json")
    assert answer.unsupported[0].text.startswith("aperfectfacade asked:")


def test_poll_and_unknown_blocks_become_unsupported() -> None:
    # Hand-made, in the shape real poll blocks have (kotlr's onceFailed samples are not here).
    poll = {
        "type": "poll",
        "question": "Tea or coffee?",
        "answers": [{"answer_text": "Tea"}, {"answer_text": "Coffee"}],
    }
    post = to_post(envelope(content=[poll, {"type": "hologram"}]), account="me")
    assert [(u.kind, u.text) for u in post.unsupported] == [
        ("poll", "Tea or coffee?\n- Tea\n- Coffee"),
        ("hologram", ""),
    ]


def test_origin_marker_is_read_back() -> None:
    from crosspost.model import PostRef

    page = "https://bsky.app/profile/alice.test/post/3k"
    source = PostRef(Platform.BLUESKY, "alice.test", "at://alice.test/app.bsky.feed.post/3k", page)
    url = marker_url(source, "key-1")
    assert url is not None
    assert url.startswith(page + "#crosspost-")
    post = to_post(envelope(source_url=url), account="me")
    assert post.origin is not None
    assert (post.origin.platform, post.origin.url) == (Platform.BLUESKY, page)
    # A Tumblr reblog's ordinary source link is not a mirror marker.
    assert origin_from_source_url("https://staff.tumblr.com/post/1") is None
    mastodon = origin_from_source_url("https://mastodon.social/@alice/1234")
    assert mastodon is not None
    assert mastodon.account == "alice@mastodon.social"
