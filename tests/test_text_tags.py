"""Tumblr-style tags rendered as hashtags each target accepts."""

from __future__ import annotations

import pytest

from crosspost.model import Platform, TagStyle
from crosspost.platforms.registry import spec
from crosspost.text.tags import is_valid_hashtag, render_tags, tag_name

TUMBLR_TAGS = ("my art", "star wars: the clone wars", "wip!!", "iPhone")


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (TagStyle.CAMEL, ("MyArt", "StarWarsTheCloneWars", "wip", "iPhone")),
        (TagStyle.LOWER, ("myart", "starwarstheclonewars", "wip", "iphone")),
        (TagStyle.SNAKE, ("my_art", "star_wars_the_clone_wars", "wip", "iphone")),
    ],
)
def test_tag_styles(style: TagStyle, expected: tuple[str, ...]) -> None:
    assert tuple(tag_name(tag, style) for tag in TUMBLR_TAGS) == expected
    for platform in (Platform.MASTODON, Platform.BLUESKY):
        rendered = render_tags(TUMBLR_TAGS, spec(platform).limits.text, style)
        assert rendered.names == expected
        assert rendered.dropped == ()


def test_unusable_tags_are_dropped_and_reported() -> None:
    tags = ("2024", "???", "", "x" * 65, "art", "ART", "日本語 タグ")
    bluesky = render_tags(tags, spec(Platform.BLUESKY).limits.text)
    assert bluesky.names == ("art", "日本語タグ")  # "ART" is the same tag
    # Tags with words no hashtag can spell are kept as text; tags without any are left out.
    assert bluesky.plain == ("2024", "x" * 65)
    assert bluesky.dropped == ("???", "")
    assert bluesky.hashtags() == ("#art", "#日本語タグ")
    mastodon = render_tags(tags, spec(Platform.MASTODON).limits.text)
    assert mastodon.plain == ("2024",)  # Mastodon has no 64-grapheme rule
    assert mastodon.dropped == ("???", "")


@pytest.mark.parametrize(
    ("tag", "mastodon", "bluesky"),
    [
        ("C++", None, "C++"),  # "#C" would be another tag
        ("a,b", None, "a,b"),  # "#AB" would join two words
        ("rock'n'roll", None, "rock'n'roll"),
        ("AT&T", None, "AT&T"),
        ("wip!!", "wip", "wip"),  # punctuation at an end says nothing
        ("star wars: the clone wars", "StarWarsTheCloneWars", "StarWarsTheCloneWars"),
        ("my-art", "MyArt", "MyArt"),
    ],
)
def test_a_tag_becomes_a_hashtag_only_when_it_says_the_same(
    tag: str, mastodon: str | None, bluesky: str | None
) -> None:
    for platform, expected in ((Platform.MASTODON, mastodon), (Platform.BLUESKY, bluesky)):
        rendered = render_tags((tag,), spec(platform).limits.text)
        assert rendered.names == ((expected,) if expected else ())
        assert rendered.plain == (() if expected else (tag,))


@pytest.mark.parametrize(
    ("name", "mastodon", "bluesky"),
    [
        ("art", True, True),
        ("a1", True, True),
        ("1a", True, True),
        ("123", False, False),
        ("٣٤", False, False),  # Arabic-Indic digits are digits too
        ("my_art", True, True),
        ("_", False, False),
        ("x" * 64, True, True),
        ("x" * 65, True, False),
        ("has space", False, False),
        ("ends.", False, False),
        ("café", True, True),
    ],
)
def test_hashtag_validity(name: str, mastodon: bool, bluesky: bool) -> None:
    assert is_valid_hashtag(name, spec(Platform.MASTODON).limits.text) is mastodon
    assert is_valid_hashtag(name, spec(Platform.BLUESKY).limits.text) is bluesky


def test_tumblr_keeps_tags_as_written() -> None:
    rendered = render_tags(("my art", " wip!! ", "#x", " "), spec(Platform.TUMBLR).limits.text)
    assert rendered.names == ("my art", "wip!!", "x")
    assert rendered.dropped == (" ",)
