"""Counting as each target counts: graphemes, UTF-8 bytes, Mastodon's weighted length."""

from __future__ import annotations

import pytest

from crosspost.model import Platform, RichText
from crosspost.platforms.mastodon.length import mastodon_entities, mastodon_length
from crosspost.platforms.registry import spec
from crosspost.text.count import (
    Measure,
    fits,
    grapheme_boundaries,
    grapheme_count,
    measure,
    utf8_length,
)

BLUESKY_LIMITS = spec(Platform.BLUESKY).limits
MASTODON_LIMITS = spec(Platform.MASTODON).limits
TUMBLR_LIMITS = spec(Platform.TUMBLR).limits


FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, 7 code points, 25 bytes
FLAG = "🇫🇷"  # regional indicator pair: one grapheme, 8 bytes
E_ACUTE = "e\u0301"  # combining mark: one grapheme, 3 bytes


@pytest.mark.parametrize(
    ("text", "graphemes", "size"),
    [
        ("", 0, 0),
        ("hello", 5, 5),
        (FAMILY, 1, 25),
        (FLAG + FLAG, 2, 16),
        (E_ACUTE * 3, 3, 9),
        ("日本語", 3, 9),
        ("a\r\nb", 3, 4),  # CR LF is one cluster
        ("👍🏽", 1, 8),  # emoji with a skin tone modifier
        ("क्षि", 1, 12),  # Devanagari conjunct with virama
    ],
)
def test_graphemes_and_bytes(text: str, graphemes: int, size: int) -> None:
    assert grapheme_count(text) == graphemes
    assert utf8_length(text) == size
    assert measure(text, BLUESKY_LIMITS) == Measure(graphemes, size, graphemes)


def test_grapheme_boundaries_never_split_a_cluster() -> None:
    text = "a" + FAMILY + FLAG + E_ACUTE + "\r\n"
    assert grapheme_boundaries(text) == [0, 1, 8, 10, 12, 14]


def test_bluesky_300_emoji_fit_graphemes_but_not_bytes() -> None:
    text = FAMILY * 300  # 300 graphemes, 7500 bytes
    size = measure(text, BLUESKY_LIMITS)
    assert size.graphemes == 300
    assert size.bytes == 7500
    assert not fits(text, BLUESKY_LIMITS)
    assert fits("😀" * 300, BLUESKY_LIMITS)  # 1200 bytes
    assert not fits("😀" * 301, BLUESKY_LIMITS)


def test_bluesky_bytes_limit_edge() -> None:
    assert fits("é" * 300, BLUESKY_LIMITS)  # 600 bytes
    three_k = "😀" * 250  # 250 graphemes, exactly 1000 bytes
    assert measure(three_k, BLUESKY_LIMITS).bytes == 1000
    heavy = ("a" + "\u0301" * 150) * 10  # 10 graphemes, 3010 bytes
    assert measure(heavy, BLUESKY_LIMITS).graphemes == 10
    assert not fits(heavy, BLUESKY_LIMITS)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("plain words", 11),
        ("see https://example.com/a/very/long/path/that/goes/on/and/on", 4 + 23),
        ("http://x.co", 23),  # short URLs weigh 23 too
        ("two https://a.example.org and http://b.example.net/x?y=1", 4 + 23 + 5 + 23),
        ("example.com without a protocol", 30),
        ("https://example.com.", 24),  # the final full stop is not part of the URL
        ("hi @alice@mastodon.social!", 10),  # "hi @alice!": the domain is free
        ("@bob", 4),
        ("mail me: bob@example.com", 24),  # not a mention: "@" follows a word character
        ("日本語 " + FAMILY, 5),  # graphemes, not code points
        ("   ", 0),  # a blank text counts nothing
    ],
)
def test_mastodon_length(text: str, length: int) -> None:
    assert mastodon_length(text) == length
    assert measure(text, MASTODON_LIMITS).chars == length


def test_mastodon_entities_and_content_warning() -> None:
    text = "@a@b.social https://x.org"
    entities = mastodon_entities(text)
    assert [(e.start, e.end, e.countable) for e in entities] == [
        (0, 11, "@a"),
        (12, 25, "x" * 23),
    ]
    assert mastodon_length(text, content_warning="spoilers") == 8 + 2 + 1 + 23
    assert mastodon_length(text, url_weight=10) == 2 + 1 + 10


def test_mastodon_limit_with_urls() -> None:
    long_url = "https://example.com/" + "x" * 600
    assert fits(RichText(long_url), MASTODON_LIMITS)  # 23 characters, however long
    assert not fits("a" * 501, MASTODON_LIMITS)
    assert fits("a" * 500, MASTODON_LIMITS)


def test_tumblr_counts_code_points_and_always_fits_text() -> None:
    text = FAMILY * 1000
    assert measure(text, TUMBLR_LIMITS).chars == 7000
    assert fits(text, TUMBLR_LIMITS)  # the NPF writer splits long blocks itself
