"""A blog's profile, people and likes read from the documented answers (api.md's examples, read in
place from ../shared/fixtures), and how the pages of likes and lists follow each other."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from crosspost.account_data import Entry, Profile
from crosspost.errors import DataError
from crosspost.model import MediaKind, Platform
from crosspost.platforms.tumblr.profile import plain_bio, to_profile
from crosspost.platforms.tumblr.social import (
    LIST_LIMIT,
    LikesCursor,
    like_entry,
    next_likes,
    next_offset,
    parse_offset,
    to_person,
)
from tests.fixtures import fixture_path

DOCS = "tumblr-docs/extracted/"
AVATAR_512 = "https://api.tumblr.com/v2/blog/david/avatar/512"


def response(name: str) -> Any:
    return json.loads(fixture_path(DOCS + name).read_text(encoding="utf-8"))["response"]


def test_profile_from_the_documented_info_example() -> None:
    blog = response("api.md_L0735_info-retrieve-blog-info_response.json")["blog"]
    profile = to_profile(blog, avatar_url=AVATAR_512)
    assert (profile.platform, profile.handle, profile.title) == (
        Platform.TUMBLR,
        "david",
        blog["title"],
    )
    assert profile.id == "david"  # the example has no uuid: the name stands in
    assert profile.display_name == "David's Log"
    assert profile.url == "https://david.tumblr.com/"
    assert profile.bio_html == blog["description"]
    assert profile.bio.startswith("Mr. Karp is tall and skinny")
    assert "<" not in profile.bio
    assert profile.counts == {"posts": 3456, "likes": 12345}
    # No `avatar` sizes in the example: the /avatar/512 endpoint serves the picture.
    assert profile.avatar is not None
    assert profile.avatar.url == AVATAR_512
    assert profile.banner is None
    assert profile.theme == {}
    assert Profile.from_json(profile.to_json()) == profile


def test_profile_from_kotlr_blog_sample_and_a_partial_response() -> None:
    sample = json.loads(
        fixture_path("kotlr/lib/samples/officialSamples/blog/getBlog.json").read_text("utf-8")
    )
    assert to_profile(sample).handle == "david"
    partial = response("api.md_L0669_info-retrieve-blog-info_partial-responses.json")["blog"]
    profile = to_profile(partial)  # only name and updated were asked for
    assert (profile.handle, profile.bio, profile.avatar, profile.counts) == ("david", "", None, {})


def test_profile_takes_the_largest_avatar_and_the_theme_as_given() -> None:
    theme = {
        "avatar_shape": "square",
        "background_color": "#FAFAFA",
        "header_image": "https://static.tumblr.com/abc/header.gif",
        "header_image_poster": "https://static.tumblr.com/abc/header_poster.jpg",
        "header_image_focused": "https://static.tumblr.com/abc/focused.gif",
        "title_color": "#444444",
        "title_font": "Gibson",
        "header_full_width": 3000,
        "header_full_height": 1000,
    }
    info = {
        "name": "art",
        "uuid": "t:0aY0xL2Fi1OFJg4YxpmegQ",
        "title": "Art",
        "description": "plain words\nover two lines &amp; more",
        "url": "https://art.tumblr.com/",
        "avatar": [
            {"width": 64, "height": 64, "url": "https://64.media.tumblr.com/avatar_64.pnj"},
            {"width": 512, "height": 512, "url": "https://64.media.tumblr.com/avatar_512.pnj"},
        ],
        "theme": theme,
        "posts": 10,
        "followers": 3,
        "share_likes": False,
    }
    profile = to_profile(info, avatar_url=AVATAR_512)
    assert profile.id == "t:0aY0xL2Fi1OFJg4YxpmegQ"
    assert profile.bio == "plain words\nover two lines & more"
    assert profile.avatar is not None
    assert (profile.avatar.url, profile.avatar.width) == (
        "https://64.media.tumblr.com/avatar_512.pnj",
        512,
    )
    assert profile.theme == theme  # all of it, as Tumblr names it
    assert profile.banner is not None
    assert profile.banner.kind == MediaKind.GIF
    assert profile.banner.url == "https://static.tumblr.com/abc/header.gif"
    assert profile.banner.poster_url == theme["header_image_poster"]
    assert (profile.banner.width, profile.banner.height) == (3000, 1000)
    assert profile.counts == {"posts": 10, "followers": 3}
    assert [m.url for m in profile.media()] == [profile.avatar.url, profile.banner.url]


def test_plain_bio_of_html() -> None:
    assert plain_bio("<p>one <b>two</b></p>") == "one two"


def test_people_from_the_documented_followers_following_and_blocks() -> None:
    followers = response("api.md_L1052_followers-retrieve-a-blog-s-followers_response.json")
    people = [to_person(user) for user in followers["users"]]
    assert [(p.id, p.handle, p.url) for p in people] == [
        ("david", "david", "https://www.davidslog.com"),
        ("ben", "ben", "http://bengold.tv"),
    ]
    following = response(
        "api.md_L2775_user-following-retrieve-the-blogs-a-user-is-following_response.json"
    )
    first = to_person(following["blogs"][0])
    assert (first.handle, first.display_name) == ("david", "David’s Log")
    blocks = response("api.md_L0825_blocks-retrieve-blog-s-blocks_response.json")
    harry = to_person(blocks["blocked_tumblelogs"][1])
    assert harry.url == "https://harryblog19.tumblr.com"  # given without a scheme
    sample = fixture_path("kotlr/lib/samples/officialSamples/blog/getFollowing.json")
    assert to_person(json.loads(sample.read_text("utf-8"))).handle == "david"


def test_a_person_takes_the_uuid_as_id_and_the_largest_avatar() -> None:
    blog = {
        "name": "art",
        "uuid": "t:abc",
        "avatar": [
            {"width": 64, "height": 64, "url": "a64"},
            {"width": 128, "height": 128, "url": "a128"},
        ],
    }
    person = to_person(blog)
    assert (person.id, person.url, person.avatar_url) == (
        "t:abc",
        "https://art.tumblr.com/",
        "a128",
    )
    with pytest.raises(DataError, match="name or uuid"):
        to_person({"title": "no name"})


def liked(posts: list[dict[str, Any]], start: int = 1700000000) -> list[dict[str, Any]]:
    return [{**post, "liked_timestamp": start - n * 60} for n, post in enumerate(posts)]


def test_liked_documented_posts_keep_their_content_and_when_they_were_liked() -> None:
    posts = [
        *response("api.md_L1246_posts-retrieve-published-posts_legacy-text-posts.json")["posts"],
        *response("api.md_L1318_posts-retrieve-published-posts_legacy-photo-posts.json")["posts"],
    ]
    entries = [like_entry(record) for record in liked(posts)]
    for entry, post in zip(entries, posts, strict=True):
        assert entry.id == str(post.get("id_string") or post["id"])
        assert entry.subject is not None
        assert entry.subject.account == post["blog_name"]
        assert entry.subject.url == post["post_url"]
        assert entry.post is not None
        assert entry.post.ref == entry.subject
        assert Entry.from_json(entry.to_json()) == entry
    assert entries[0].created_at == datetime.fromtimestamp(1700000000, UTC)
    assert entries[1].post is not None
    assert entries[1].post.media


def test_a_liked_post_the_model_cannot_read_keeps_its_reference_and_payload() -> None:
    record = {"id_string": "9", "blog_name": "x", "liked_timestamp": 5}  # no date at all
    entry = like_entry(record)
    assert entry.post is None
    assert entry.subject is not None
    assert entry.raw == record


def record(ident: int, stamp: int) -> dict[str, Any]:
    return {"id_string": str(ident), "liked_timestamp": stamp}


def test_likes_page_on_by_before_and_keep_a_tied_second() -> None:
    first = [record(n, 1000 - n) for n in range(LIST_LIMIT - 1)] + [record(99, 981)]
    fresh, after = next_likes(LikesCursor(), first, 500)
    assert len(fresh) == LIST_LIMIT
    assert after is not None
    assert after.params()["before"] == 982  # last + 1: the likes of 981 come again ...
    again = [record(99, 981), record(100, 981), record(101, 970)]
    fresh, later = next_likes(LikesCursor.parse(after.dump()), again, 500)
    assert [r["id_string"] for r in fresh] == ["100", "101"]  # ... and are not counted twice
    assert later is not None
    assert later.count == LIST_LIMIT + 2
    assert next_likes(later, [], 500) == ([], None)


def test_a_page_all_in_one_second_already_read_steps_past_it() -> None:
    where = LikesCursor(50, tuple(str(n) for n in range(LIST_LIMIT)), LIST_LIMIT)
    page = [record(n, 50) for n in range(LIST_LIMIT)]
    fresh, after = next_likes(where, page, None)
    assert fresh == []
    assert after is not None
    assert after.strict
    assert after.params()["before"] == 50


def test_a_short_last_page_ends_the_likes_once_the_count_is_reached() -> None:
    fresh, after = next_likes(LikesCursor(), [record(1, 10), record(2, 9)], 2)
    assert len(fresh) == 2
    assert after is None
    # Short, but Tumblr counts more likes than it showed: ask once more (tumblr/docs#92).
    assert next_likes(LikesCursor(), [record(1, 10)], 5)[1] is not None


def test_cursors_this_version_did_not_write_are_refused() -> None:
    with pytest.raises(DataError, match="likes cursor"):
        LikesCursor.parse("posts:1:2:")
    with pytest.raises(DataError, match="list cursor"):
        parse_offset("before:3")


def test_lists_step_by_the_limit_up_to_the_total_even_on_short_pages() -> None:
    assert next_offset(0, 15, 60, None) == "offset:20"  # 15 came back, 20 places were read
    assert next_offset(40, 18, 60, None) is None
    blocks = response("api.md_L0825_blocks-retrieve-blog-s-blocks_response.json")
    assert next_offset(0, 2, None, blocks["_links"]) == "offset:20"
    assert next_offset(20, 3, None, {}) is None  # `_links` without `next`: the last page
    assert next_offset(20, 0, None, None) is None
