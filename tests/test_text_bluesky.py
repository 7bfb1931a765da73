"""Bluesky facets <-> RichText: offsets, emoji, garbage tolerance, round trips, link display."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crosspost.model import RichText, Span, SpanKind
from crosspost.platforms.bluesky.richtext import (
    FACET_TYPE,
    LINK_TYPE,
    MENTION_TYPE,
    TAG_TYPE,
    byte_offset,
    char_index,
    facets_from_richtext,
    grapheme_count,
    richtext_from_facets,
    shorten_links_for_display,
)

FAMILY = "👨\u200d👩\u200d👧\u200d👧"  # 4 people joined by 3 ZWJs: 25 bytes, 7 code points
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def facet(start: int, end: int, *features: dict[str, Any]) -> dict[str, Any]:
    return {
        "$type": FACET_TYPE,
        "index": {"byteStart": start, "byteEnd": end},
        "features": list(features),
    }


def link(uri: str) -> dict[str, Any]:
    return {"$type": LINK_TYPE, "uri": uri}


def mention(did: str) -> dict[str, Any]:
    return {"$type": MENTION_TYPE, "did": did}


def tag(name: str) -> dict[str, Any]:
    return {"$type": TAG_TYPE, "tag": name}


# --- offsets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "index", "offset"),
    [
        ("hello", 3, 3),
        ("é!", 1, 2),
        ("€!", 1, 3),
        ("🦋!", 1, 4),
        (FAMILY + "x", 7, 25),
        ("🇫🇷 ok", 2, 8),
        ("👍🏽!", 2, 8),
    ],
)
def test_byte_offset_and_char_index_are_inverse(text: str, index: int, offset: int) -> None:
    assert byte_offset(text, index) == offset
    assert char_index(text, offset) == index


@pytest.mark.parametrize(
    ("text", "offset"), [("é", 1), ("🦋", 2), ("€", 1), ("abc", 4), ("abc", -1)]
)
def test_char_index_refuses_offsets_inside_a_character_or_outside(text: str, offset: int) -> None:
    assert char_index(text, offset) is None


def test_lengths_from_the_official_richtext_tests() -> None:
    # bluesky-social/atproto packages/api/tests/rich-text.test.ts, "calculates bytelength and
    # grapheme length correctly" (RichText.length is the UTF-8 length).
    for text, length, graphemes in [
        ("Hello!", 6, 6),
        (FAMILY, 25, 1),
        (FAMILY + "🔥 good!✅", 38, 9),
    ]:
        assert byte_offset(text, len(text)) == length
        assert grapheme_count(text) == graphemes


# --- facets -> RichText --------------------------------------------------------------------------


def test_the_docs_example_links_this_site() -> None:
    rich = richtext_from_facets("Go to this site", [facet(6, 15, link("https://example.com"))])
    assert rich.spans == (Span(6, 15, SpanKind.LINK, "https://example.com"),)
    assert rich.covered(rich.spans[0]) == "this site"


def test_utf8_indices_over_zwj_families() -> None:
    # rich-text.test.ts, "RichText#segments uses utf8 indices": 0-28, 29-57, 58-88.
    text = f"one{FAMILY} two{FAMILY} three{FAMILY}"
    features = [tag("one"), tag("two"), tag("three")]
    rich = richtext_from_facets(
        text,
        [facet(s, e, f) for (s, e), f in zip([(0, 28), (29, 57), (58, 88)], features, strict=True)],
    )
    assert [rich.covered(s) for s in rich.spans] == [
        f"one{FAMILY}",
        f"two{FAMILY}",
        f"three{FAMILY}",
    ]
    assert [(s.start, s.end) for s in rich.spans] == [(0, 10), (11, 21), (22, 34)]


@pytest.mark.parametrize(
    ("text", "start", "end", "covered"),
    [
        ("🇫🇷 #paris", 9, 15, "#paris"),  # a flag (two regional indicators, 8 bytes) before
        ("#paris🇫🇷 x", 0, 14, "#paris🇫🇷"),  # ... inside at the end
        ("go 👍🏽#yes", 11, 15, "#yes"),  # a skin-toned thumb (8 bytes) right before
        (f"#fam{FAMILY}ily end", 0, 32, f"#fam{FAMILY}ily"),  # a ZWJ family inside
        (f"{FAMILY}{FAMILY} @a.test {FAMILY}", 51, 58, "@a.test"),  # emoji on both sides
        ("e\u0301 café #thé", 10, 15, "#thé"),  # combining accent and precomposed é
    ],
)
def test_emoji_before_inside_and_after_facets(
    text: str, start: int, end: int, covered: str
) -> None:
    rich = richtext_from_facets(text, [facet(start, end, tag("t"))])
    assert [rich.covered(s) for s in rich.spans] == [covered]
    assert text.encode()[start:end].decode() == covered


def test_every_feature_kind_maps_and_several_features_share_a_range() -> None:
    text = "hi @alice.test see example.com #tag"
    facets = [
        facet(3, 14, mention(DID)),
        facet(19, 30, link("https://example.com"), tag("example")),
        facet(31, 35, tag("tag")),
    ]
    assert richtext_from_facets(text, facets).spans == (
        Span(3, 14, SpanKind.MENTION, DID),
        Span(19, 30, SpanKind.LINK, "https://example.com"),
        Span(19, 30, SpanKind.TAG, "example"),
        Span(31, 35, SpanKind.TAG, "tag"),
    )


def test_facets_are_read_in_position_order_whatever_their_order_in_the_record() -> None:
    facets = [facet(4, 7, tag("b")), facet(0, 3, tag("a"))]
    assert [s.value for s in richtext_from_facets("aaa bbb", facets).spans] == ["a", "b"]


GARBAGE: list[tuple[str, object]] = [
    ("end past the text", [facet(0, 99, tag("x"))]),
    ("negative start", [facet(-1, 2, tag("x"))]),
    ("start inside the butterfly", [facet(1, 5, tag("x"))]),
    ("end inside the butterfly", [facet(0, 2, tag("x"))]),
    ("reversed", [facet(5, 4, tag("x"))]),
    ("empty", [facet(4, 4, tag("x"))]),
    ("string offsets", [facet("0", "4", tag("x"))]),  # type: ignore[arg-type]
    ("float offsets", [facet(0.0, 4.0, tag("x"))]),  # type: ignore[arg-type]
    ("bool offsets", [facet(False, True, tag("x"))]),
    ("no index", [{"features": [tag("x")]}]),
    ("index not an object", [{"index": [0, 4], "features": [tag("x")]}]),
    ("no features", [{"index": {"byteStart": 0, "byteEnd": 4}}]),
    ("features not a list", [{"index": {"byteStart": 0, "byteEnd": 4}, "features": tag("x")}]),
    ("features a string", [{"index": {"byteStart": 0, "byteEnd": 4}, "features": "tag"}]),
    ("unknown feature", [facet(0, 4, {"$type": "blue.moji.richtext.facet", "name": "x"})]),
    ("untyped feature", [facet(0, 4, {"uri": "https://example.com"})]),
    ("unhashable $type", [facet(0, 4, {"$type": ["x"], "tag": "x"})]),
    ("feature not an object", [facet(0, 4, "link")]),  # type: ignore[arg-type]
    ("value missing", [facet(0, 4, {"$type": LINK_TYPE})]),
    ("value not a string", [facet(0, 4, {"$type": MENTION_TYPE, "did": 42})]),
    ("value empty", [facet(0, 4, tag(""))]),
    ("facet not an object", ["facet", None, 3]),
    ("facets an object", {"index": {"byteStart": 0, "byteEnd": 4}}),
    ("facets a string", "facets"),
]


@pytest.mark.parametrize(("why", "facets"), GARBAGE, ids=[why for why, _ in GARBAGE])
def test_garbage_facets_are_skipped_and_the_text_kept(why: str, facets: Any) -> None:
    text = "🦋 is a butterfly"
    rich = richtext_from_facets(text, facets)
    assert rich == RichText(text, ())


def test_a_bad_facet_does_not_hide_the_good_ones() -> None:
    text = "🦋 #a #b"
    facets = [facet(2, 6, tag("bad")), facet(5, 7, tag("a")), facet(8, 10, tag("b"))]
    assert [s.value for s in richtext_from_facets(text, facets).spans] == ["a", "b"]


def test_overlapping_facets_keep_the_one_starting_first() -> None:
    # post-richtext docs: "sort them by byteStart and discard any facets which overlap".
    text = "abcdefghij"
    facets = [facet(2, 6, tag("second")), facet(0, 4, tag("first")), facet(6, 8, tag("third"))]
    assert [s.value for s in richtext_from_facets(text, facets).spans] == ["first", "third"]


def test_an_unmappable_facet_does_not_shadow_an_overlapping_link() -> None:
    facets = [facet(0, 5, {"$type": "com.example#custom"}), facet(2, 9, link("https://a.b"))]
    assert [s.kind for s in richtext_from_facets("see a.b/c now", facets).spans] == [SpanKind.LINK]


def test_none_and_empty_facets() -> None:
    assert richtext_from_facets("hi", None) == RichText("hi")
    assert richtext_from_facets("hi", []) == RichText("hi")
    assert richtext_from_facets("", [facet(0, 0, tag("x"))]) == RichText("")


# --- RichText -> facets --------------------------------------------------------------------------


def test_entities_become_facets_as_the_official_sdk_writes_them() -> None:
    # rich-text.test.ts, "converts entities to facets correctly" ("other" is dropped).
    rich = RichText(
        "test",
        (
            Span(0, 1, SpanKind.LINK, "https://example.com"),
            Span(1, 2, SpanKind.MENTION, "did:plc:1234"),
            Span(2, 3, SpanKind.BOLD),
        ),
    )
    assert facets_from_richtext(rich) == [
        {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": 0, "byteEnd": 1},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}],
        },
        {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": 1, "byteEnd": 2},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:1234"}],
        },
    ]


def test_entity_indices_become_utf8_offsets() -> None:
    # rich-text.test.ts, "converts entity utf16 indices to facet utf8 indices": 0-25, 25-50.
    rich = RichText(
        FAMILY * 3,
        (
            Span(0, 7, SpanKind.LINK, "https://example.com"),
            Span(7, 14, SpanKind.MENTION, "did:plc:1234"),
        ),
    )
    assert [f["index"] for f in facets_from_richtext(rich)] == [
        {"byteStart": 0, "byteEnd": 25},
        {"byteStart": 25, "byteEnd": 50},
    ]


@pytest.mark.parametrize(
    "span",
    [
        Span(0, 5, SpanKind.MENTION, "@alice.bsky.social"),  # a handle is not a DID
        Span(0, 5, SpanKind.MENTION, "https://mastodon.social/@alice"),
        Span(0, 5, SpanKind.LINK, "example.com/no-scheme"),
        Span(0, 5, SpanKind.LINK, "https://"),
        Span(0, 5, SpanKind.TAG, ""),
        Span(0, 5, SpanKind.TAG, "x" * 65),  # over 64 graphemes
        Span(0, 5, SpanKind.TAG, "\u00e9" * 330),  # 660 bytes, over 640
        Span(2, 2, SpanKind.LINK, "https://example.com"),  # empty
        Span(0, 5, SpanKind.BOLD),
        Span(0, 5, SpanKind.HEADING, "1"),
    ],
    ids=str,
)
def test_spans_bluesky_cannot_carry_make_no_facet(span: Span) -> None:
    assert facets_from_richtext(RichText("hello world", (span,))) == []


def test_a_long_emoji_tag_within_64_graphemes_is_kept() -> None:
    name = "👍🏽" * 64  # 64 graphemes, 128 code points, 512 bytes
    assert len(facets_from_richtext(RichText(name, (Span(0, 128, SpanKind.TAG, name),)))) == 1


def test_overlapping_spans_keep_the_first_and_same_range_spans_share_a_facet() -> None:
    rich = RichText(
        "0123456789",
        (
            Span(4, 8, SpanKind.TAG, "late"),
            Span(0, 6, SpanKind.LINK, "https://a.example"),
            Span(0, 6, SpanKind.TAG, "same"),
            Span(0, 6, SpanKind.TAG, "same"),
            Span(8, 10, SpanKind.TAG, "after"),
        ),
    )
    assert facets_from_richtext(rich) == [
        facet(0, 6, link("https://a.example"), tag("same")),
        facet(8, 10, tag("after")),
    ]


def test_lone_surrogates_do_not_crash() -> None:
    rich = RichText("\ud83d #x", (Span(2, 4, SpanKind.TAG, "x"),))
    facets = facets_from_richtext(rich)
    assert facets == [facet(4, 6, tag("x"))]
    assert richtext_from_facets(rich.text, facets) == rich


# --- the round trip over arbitrary text ----------------------------------------------------------

dids = st.from_regex(r"did:(plc|web|key):[a-zA-Z0-9._:%-]{0,30}[a-zA-Z0-9._-]", fullmatch=True)
# Link facets are written for web, mail and at:// links only (never `javascript:`).
uris = st.from_regex(
    r"(https?://|at://)[!-.0-~][!-~]{0,30}|mailto:[a-z]{1,8}@[a-z]{1,8}\.[a-z]{2,3}", fullmatch=True
).filter(str.isascii)
tag_names = st.text(min_size=1, max_size=20)


def feature_spans(start: int, end: int) -> st.SearchStrategy[list[Span]]:
    one = st.one_of(
        uris.map(lambda v: Span(start, end, SpanKind.LINK, v)),
        dids.map(lambda v: Span(start, end, SpanKind.MENTION, v)),
        tag_names.map(lambda v: Span(start, end, SpanKind.TAG, v)),
    )
    return st.lists(one, min_size=1, max_size=3, unique=True)


@st.composite
def rich_texts(draw: st.DrawFn) -> RichText:
    text = draw(st.text(max_size=60))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8, unique=True)))
    spans: list[Span] = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if start < end and draw(st.booleans()):
            spans.extend(draw(feature_spans(start, end)))
    return RichText(text, tuple(spans))


@settings(max_examples=300)
@given(rich_texts())
def test_facets_round_trip_every_valid_span(rich: RichText) -> None:
    facets = facets_from_richtext(rich)
    assert richtext_from_facets(rich.text, facets) == rich
    data = rich.text.encode("utf-8", "surrogatepass")
    for item in facets:
        index = item["index"]
        covered = data[index["byteStart"] : index["byteEnd"]].decode("utf-8", "surrogatepass")
        assert covered in {rich.covered(s) for s in rich.spans}


# --- display -------------------------------------------------------------------------------------

LONG = "https://example.com/very/long/path/to/something"


def test_a_long_bare_url_is_shortened_and_keeps_its_full_value() -> None:
    text = f"read {LONG} now #tag"
    rich = RichText(
        text,
        (
            Span(5, 5 + len(LONG), SpanKind.LINK, LONG),
            Span(len(text) - 4, len(text), SpanKind.TAG, "tag"),
            Span(0, len(text), SpanKind.BOLD),
            Span(0, 4, SpanKind.ITALIC),
        ),
    )
    short = shorten_links_for_display(rich)
    assert short.text == "read example.com/very/long/path/... now #tag"
    assert [(short.covered(s), s.value) for s in short.spans] == [
        ("example.com/very/long/path/...", LONG),
        ("#tag", "tag"),
        (short.text, ""),
        ("read", ""),
    ]


@pytest.mark.parametrize(
    ("visible", "url", "shown"),
    [
        ("example.com/very/long/path/to/something", LONG, "example.com/very/long/path/..."),
        ("https://example.com/", "https://example.com/", "https://example.com/"),  # short
        (
            "https://www.example.com/abcdefghijklm/",
            "https://www.example.com/abcdefghijklm/",
            "www.example.com/abcdefghijklm/",
        ),  # 30 without the scheme: fits
        (
            "https://a-very-long-host-name.example.com/",
            "https://a-very-long-host-name.example.com/",
            "a-very-long-host-name.example.com",
        ),  # the trailing slash goes, as in the app
        (
            "https://a-very-long-host-name.example.org/x/y/z",
            "https://a-very-long-host-name.example.org/x/y/z",
            "a-very-long-host-name.example.org...",
        ),  # the host is never cut
        (
            "a link whose words the author chose, long",
            LONG,
            "a link whose words the author chose, long",
        ),
        (
            "ftp://example.com/a/very/long/path/on/a/server",
            "ftp://example.com/a/very/long/path/on/a/server",
            "ftp://example.com/a/very/long/path/on/a/server",
        ),  # the app leaves other schemes alone
        (
            f"https://example.com/{FAMILY * 5}",
            f"https://example.com/{FAMILY * 5}",
            f"example.com/{FAMILY * 2}...",
        ),  # never cut inside a grapheme cluster
    ],
)
def test_link_display_forms(visible: str, url: str, shown: str) -> None:
    rich = RichText(f"({visible})", (Span(1, 1 + len(visible), SpanKind.LINK, url),))
    short = shorten_links_for_display(rich)
    assert short.text == f"({shown})"
    assert [(short.covered(s), s.value) for s in short.spans] == [(shown, url)]


def test_several_links_shorten_and_spans_between_them_move() -> None:
    one, two = LONG, LONG + "/and/more"
    text = f"{one} and #mid {two} end"
    mid = text.index("#mid")
    rich = RichText(
        text,
        (
            Span(0, len(one), SpanKind.LINK, one),
            Span(mid, mid + 4, SpanKind.TAG, "mid"),
            Span(mid + 5, mid + 5 + len(two), SpanKind.LINK, two),
        ),
    )
    short = shorten_links_for_display(rich, max_chars=20)
    assert short.text == "example.com/very/... and #mid example.com/very/... end"
    assert [short.covered(s) for s in short.spans] == [
        "example.com/very/...",
        "#mid",
        "example.com/very/...",
    ]
    assert [s.value for s in short.spans] == [one, "mid", two]


def test_formatting_inside_a_shortened_url_follows_its_characters_or_goes() -> None:
    rich = RichText(
        LONG,
        (
            Span(0, len(LONG), SpanKind.LINK, LONG),
            Span(len(LONG) - 4, len(LONG), SpanKind.ITALIC),  # "hing": in the removed tail
            Span(8, 15, SpanKind.BOLD),  # "example": kept, moves past the dropped scheme
            Span(2, 12, SpanKind.STRIKE),  # "tps://exam": clamped to what is left, "exam"
        ),
    )
    short = shorten_links_for_display(rich)
    assert [(s.kind, short.covered(s)) for s in short.spans] == [
        (SpanKind.LINK, "example.com/very/long/path/..."),
        (SpanKind.BOLD, "example"),
        (SpanKind.STRIKE, "exam"),
    ]


def test_nothing_to_shorten_returns_the_same_richtext() -> None:
    rich = RichText("see https://a.b/c", (Span(4, 17, SpanKind.LINK, "https://a.b/c"),))
    assert shorten_links_for_display(rich) is rich


@given(
    st.text(max_size=20),
    st.from_regex(r"https?://[a-z]{1,12}\.[a-z]{2,4}(/[\w.~-]{0,15}){0,6}", fullmatch=True),
    st.text(max_size=20),
    st.integers(0, 60),
)
def test_shortening_moves_every_other_span_onto_the_same_characters(
    before: str, url: str, after: str, max_chars: int
) -> None:
    text = f"{before}#a {url} #b{after}"
    start = len(before) + 3
    rich = RichText(
        text,
        (
            Span(len(before), len(before) + 2, SpanKind.TAG, "a"),
            Span(start, start + len(url), SpanKind.LINK, url),
            Span(start + len(url) + 1, start + len(url) + 3, SpanKind.TAG, "b"),
            Span(0, len(text), SpanKind.BOLD),
        ),
    )
    short = shorten_links_for_display(rich, max_chars)
    tag_a, shown, tag_b, bold = short.spans
    assert (short.covered(tag_a), short.covered(tag_b), bold) == (
        "#a",
        "#b",
        Span(0, len(short.text), SpanKind.BOLD),
    )
    assert short.text == text[:start] + short.covered(shown) + text[start + len(url) :]
    assert shown.value == url
    if len(url) <= max_chars:
        assert short is rich
    else:
        host = url.split("://", 1)[1].split("/", 1)[0]
        assert short.covered(shown).startswith(host)
        assert len(short.covered(shown)) <= max(max_chars, len(host) + 3)
