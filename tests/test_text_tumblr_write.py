"""Tumblr NPF text: code point offsets, malformed input, mentions, tags and the 4096 limit."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from crosspost.model import BLOCK_SPAN_KINDS, RichText, Span, SpanKind
from crosspost.platforms.tumblr.npf import NPF_TEXT_LIMIT, blog_from_url, blog_url, npf_text_length
from crosspost.platforms.tumblr.richtext_read import richtext_from_npf
from crosspost.platforms.tumblr.richtext_split import split_paragraph
from crosspost.platforms.tumblr.richtext_write import npf_from_richtext

FAMILY = "👨\u200d👨\u200d👦"  # five code points, eight UTF-16 units, one grapheme


def block(text: str, *formatting: dict[str, Any], **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "text", "text": text, **extra}
    if formatting:
        out["formatting"] = list(formatting)
    return out


# --- offsets: code points, not UTF-16 units -------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "npf_start"),
    [
        ("🌳 ", 2),  # the spec: 🌳 counts as one character
        (f"{FAMILY} ", 6),  # the spec: 👨‍👨‍👦 is five characters
        ("𓂃 ", 2),  # a hieroglyph (postybirb#737), astral like most emoji
        ("ø ", 2),
    ],
)
def test_astral_characters_before_a_range(prefix: str, npf_start: int) -> None:
    text = prefix + "bold words"
    npf = block(text, {"start": npf_start, "end": npf_start + 4, "type": "bold"})
    rich = richtext_from_npf([npf])
    assert [rich.covered(span) for span in rich.spans] == ["bold"]
    assert npf_from_richtext(rich) == [npf]
    assert npf_text_length(npf) == len(prefix) + 10


def test_utf16_offsets_would_land_elsewhere() -> None:
    """The same text with UTF-16 offsets (what a JS client computes) does not cover "bold"."""
    text = f"{FAMILY} bold"
    utf16_start = len(f"{FAMILY} ".encode("utf-16-le")) // 2
    rich = richtext_from_npf([block(text, {"start": utf16_start, "end": 14, "type": "bold"})])
    assert [rich.covered(span) for span in rich.spans] != ["bold"]


# --- malformed formatting: clipped or dropped, text kept ------------------------------------


@pytest.mark.parametrize(
    ("item", "covered"),
    [
        ({"start": 6, "end": 99, "type": "bold"}, "world"),
        ({"start": -3, "end": 5, "type": "bold"}, "hello"),
        ({"start": 8, "end": 2, "type": "bold"}, None),
        ({"start": 40, "end": 50, "type": "bold"}, None),
        ({"start": "1", "end": 3.0, "type": "italic"}, "el"),
        ({"start": None, "end": 3, "type": "bold"}, None),
        ({"start": True, "end": 3, "type": "bold"}, None),
        ({"start": 0, "end": 5, "type": "blink"}, None),
        ({"start": 0, "end": 5, "type": "link"}, None),
        ({"start": 0, "end": 5, "type": "link", "url": 7}, None),
        ({"start": 0, "end": 5, "type": "mention", "blog": {}}, None),
        ({"start": 0, "end": 5, "type": "color", "hex": "red"}, None),
        ({"start": 0, "end": 5}, None),
        ("bold", None),
    ],
)
def test_malformed_formatting_is_clipped_or_dropped(item: object, covered: str | None) -> None:
    rich = richtext_from_npf([{"type": "text", "text": "hello world", "formatting": [item]}])
    assert rich.text == "hello world"
    assert [rich.covered(span) for span in rich.spans] == ([] if covered is None else [covered])


@pytest.mark.parametrize(
    "content",
    [
        [{"type": "text", "text": "kept", "formatting": "bold"}],
        [{"type": "text", "text": "kept", "subtype": 3, "indent_level": "x"}],
        [{"type": "text", "text": "kept", "subtype": "indented", "indent_level": 10**9}],
        [
            {"type": "text"},
            {"type": "text", "text": None},
            "junk",
            {"type": "text", "text": "kept"},
        ],
        [{"type": "text", "text": "kept", "subtype": "no-such-subtype"}],
    ],
)
def test_malformed_blocks_keep_their_text(content: list[Any]) -> None:
    rich = richtext_from_npf(content)
    assert rich.text == "kept"
    assert len(rich.spans) <= 8


def test_colour_forms_and_redirects() -> None:
    rich = richtext_from_npf(
        [
            block(
                "abc def",
                {"start": 0, "end": 3, "type": "color", "hex": "#FFF"},
                {
                    "start": 4,
                    "end": 7,
                    "type": "link",
                    "url": "https://t.umblr.com/redirect?z=https%3A%2F%2Fexample.org%2Fa%3Fb%3D1&t=x",
                },
            )
        ]
    )
    assert [span.value for span in rich.spans] == ["#ffffff", "https://example.org/a?b=1"]


def test_a_block_with_a_blank_line_gets_one_block_span_per_paragraph() -> None:
    rich = richtext_from_npf([block("one\n\ntwo", subtype="quote")])
    assert [rich.covered(span) for span in rich.spans] == ["one", "two"]
    assert npf_from_richtext(rich) == [
        block("one", subtype="quote"),
        block("two", subtype="quote"),
    ]


# --- writing: tags, mentions, overlaps ------------------------------------------------------


def test_tags_and_code_stay_plain_text() -> None:
    rich = RichText(
        "see #art and `x`", (Span(4, 8, SpanKind.TAG, "art"), Span(13, 16, SpanKind.CODE))
    )
    assert npf_from_richtext(rich) == [block("see #art and `x`")]


@pytest.mark.parametrize(
    ("url", "blog"),
    [
        ("https://staff.tumblr.com/", {"name": "staff"}),
        ("https://www.tumblr.com/changes", {"name": "changes"}),
        ("https://www.tumblr.com/@changes", {"name": "changes"}),
        ("https://www.tumblr.com/t:0aY0xL2Fi1OFJg4YxpmegQ", {"uuid": "t:0aY0xL2Fi1OFJg4YxpmegQ"}),
        ("https://mastodon.social/@alice", None),
        ("https://staff.tumblr.com/post/123", None),
        ("https://64.media.tumblr.com/", None),
        ("https://www.tumblr.com/dashboard", None),
        ("https://www.tumblr.com/", None),
        ("https://[bad/", None),
    ],
)
def test_mentions_of_tumblr_blogs_and_others(url: str, blog: dict[str, str] | None) -> None:
    found = blog_from_url(url)
    assert found == (None if blog is None else {**blog, "url": url})
    (out,) = npf_from_richtext(RichText("hi @x", (Span(3, 5, SpanKind.MENTION, url),)))
    expected = {"type": "link", "url": url} if blog is None else {"type": "mention", "blog": found}
    assert out["formatting"] == [{"start": 3, "end": 5, **expected}]


def test_blog_url_prefers_url_then_name_then_uuid() -> None:
    assert blog_url({"url": "https://davidslog.com/", "name": "david"}) == "https://davidslog.com/"
    assert blog_url({"name": "david", "uuid": "t:1"}) == "https://david.tumblr.com/"
    assert blog_url({"uuid": "t:abc"}) == "https://www.tumblr.com/t:abc"
    assert blog_from_url(blog_url({"uuid": "t:abc"}) or "") == {
        "uuid": "t:abc",
        "url": "https://www.tumblr.com/t:abc",
    }
    assert blog_url({}) is None


def test_overlapping_ranges_of_one_type_are_combined_or_separated() -> None:
    rich = RichText(
        "abcdefghij",
        (
            Span(0, 5, SpanKind.BOLD),
            Span(3, 8, SpanKind.BOLD),
            Span(0, 4, SpanKind.LINK, "https://a.example/"),
            Span(2, 6, SpanKind.LINK, "https://b.example/"),
            Span(1, 2, SpanKind.ITALIC),
        ),
    )
    (out,) = npf_from_richtext(rich)
    assert out["formatting"] == [
        {"start": 0, "end": 8, "type": "bold"},
        {"start": 0, "end": 4, "type": "link", "url": "https://a.example/"},
        {"start": 1, "end": 2, "type": "italic"},
        {"start": 4, "end": 6, "type": "link", "url": "https://b.example/"},
    ]


def test_spans_across_paragraphs_are_split_per_block() -> None:
    rich = RichText("one\n\ntwo", (Span(1, 6, SpanKind.ITALIC),))
    assert npf_from_richtext(rich) == [
        block("one", {"start": 1, "end": 3, "type": "italic"}),
        block("two", {"start": 0, "end": 1, "type": "italic"}),
    ]


def test_empty_list_items_and_empty_text() -> None:
    item = {"type": "text", "subtype": "ordered-list-item"}
    content = [{**item, "text": "a"}, {**item, "text": ""}, {**item, "text": "b"}]
    rich = richtext_from_npf(content)
    assert rich.text == "a\n\nb"
    assert npf_from_richtext(rich) == content
    assert npf_from_richtext(RichText("")) == []
    assert richtext_from_npf([]) == RichText("")


# --- the 4096 code point limit --------------------------------------------------------------


def sentences(count: int) -> str:
    return " ".join(f"Sentence number {i} says something." for i in range(count))


def test_a_long_paragraph_is_split_at_sentence_ends() -> None:
    text = sentences(300)
    blocks = npf_from_richtext(RichText(text, (Span(0, len(text), SpanKind.QUOTE),)))
    assert len(blocks) > 1
    assert "".join(b["text"] for b in blocks) == text
    assert all(npf_text_length(b) <= NPF_TEXT_LIMIT for b in blocks)
    assert all(b["text"].endswith("something. ") for b in blocks[:-1])
    assert all(b["subtype"] == "quote" for b in blocks)


def test_a_link_is_never_cut_and_formatting_follows_the_pieces() -> None:
    text = "word " * 900  # 4500 code points, no sentence ends
    link = Span(4080, 4110, SpanKind.LINK, "https://example.org/")
    bold = Span(4000, 4200, SpanKind.BOLD)
    blocks = npf_from_richtext(RichText(text, (link, bold)))
    first, second = blocks
    assert len(first["text"]) == 4080
    assert first["formatting"] == [{"start": 4000, "end": 4080, "type": "bold"}]
    assert second["formatting"] == [
        {"start": 0, "end": 30, "type": "link", "url": "https://example.org/"},
        {"start": 0, "end": 120, "type": "bold"},
    ]


def test_grapheme_clusters_are_never_cut() -> None:
    text = FAMILY * 1000  # 5000 code points without a space
    pieces = split_paragraph(text, [])
    assert "".join(piece for piece, _ in pieces) == text
    assert all(len(piece) <= NPF_TEXT_LIMIT for piece, _ in pieces)
    assert all(len(regex.findall(r"\X", piece)) * 5 == len(piece) for piece, _ in pieces)


def test_a_space_that_carries_a_combining_mark_is_not_a_cut() -> None:
    text = "abc \u0301" * 1200  # the space and the accent are one grapheme cluster
    pieces = split_paragraph(text, [])
    assert all(piece.endswith("\u0301") for piece, _ in pieces)
    assert all(len(piece) <= NPF_TEXT_LIMIT for piece, _ in pieces)


def test_a_link_longer_than_a_block_is_cut_but_keeps_its_url() -> None:
    text = "x" * 5000
    pieces = split_paragraph(text, [Span(0, 5000, SpanKind.LINK, "https://e.x/")])
    assert [len(piece) for piece, _ in pieces] == [4096, 904]
    assert [spans[0].value for _, spans in pieces] == ["https://e.x/"] * 2


def test_one_grapheme_longer_than_a_block_is_cut_at_the_limit() -> None:
    text = "e" + "\u0301" * 5000
    pieces = split_paragraph(text, [])
    assert [len(piece) for piece, _ in pieces] == [4096, 905]


# --- properties -----------------------------------------------------------------------------

INLINE = (SpanKind.BOLD, SpanKind.ITALIC, SpanKind.STRIKE, SpanKind.SMALL)
VALUED = {
    SpanKind.LINK: st.sampled_from(["https://example.org/", "https://e.x/ü?q=1"]),
    SpanKind.MENTION: st.sampled_from(["https://staff.tumblr.com/", "https://www.tumblr.com/x"]),
    SpanKind.COLOR: st.sampled_from(["#ff492f", "#00b8ff"]),
}
paragraph_texts = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30).filter(
    lambda t: "\n\n" not in t and not t.startswith("\n") and not t.endswith("\n")
)


BLOCK_KINDS = [
    (),
    ((SpanKind.HEADING, "1"),),
    ((SpanKind.HEADING, "2"),),
    ((SpanKind.QUOTE, ""),),
    ((SpanKind.CHAT, ""),),
    ((SpanKind.QUIRKY, ""),),
    ((SpanKind.INDENTED, ""),),
    ((SpanKind.INDENTED, ""), (SpanKind.INDENTED, "")),
    ((SpanKind.LIST_ITEM, "ordered"),),
    ((SpanKind.LIST_ITEM, "unordered:3"),),
]


@st.composite
def rich_paragraphs(draw: st.DrawFn) -> tuple[RichText, frozenset[int]]:
    """Paragraphs and list items laid out as the model says, with inline spans anywhere."""
    units = draw(
        st.lists(
            st.tuples(paragraph_texts | st.just(""), st.sampled_from(BLOCK_KINDS)),
            min_size=1,
            max_size=5,
        )
    )
    units[0] = (units[0][0] or "a", units[0][1])
    units[-1] = (units[-1][0] or "z", units[-1][1])
    text, spans, previous_list, separators = "", [], None, set()
    for unit_text, kinds in units:
        is_list = any(kind is SpanKind.LIST_ITEM for kind, _ in kinds)
        if previous_list is not None:
            separator = "\n" if previous_list and is_list else "\n\n"
            separators |= set(range(len(text), len(text) + len(separator)))
            text += separator
        spans += [Span(len(text), len(text) + len(unit_text), k, v) for k, v in kinds]
        text += unit_text
        previous_list = is_list
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        kind = draw(st.sampled_from(INLINE + tuple(VALUED)))
        value = draw(VALUED[kind]) if kind in VALUED else ""
        if not any(s.kind is kind and s.value != value and s.start < end and start < s.end
                   for s in spans):  # fmt: skip
            spans.append(Span(start, end, kind, value))
    return RichText(text, tuple(spans)), frozenset(separators)


def block_spans(rich: RichText) -> Counter[Span]:
    return Counter(span for span in rich.spans if span.kind in BLOCK_SPAN_KINDS)


def coverage(rich: RichText, separators: frozenset[int]) -> set[tuple[int, SpanKind, str]]:
    """Which character carries which inline span, leaving out the separators between blocks
    (no block holds them, so NPF cannot format them)."""
    return {
        (i, span.kind, span.value)
        for span in rich.spans
        if span.kind not in BLOCK_SPAN_KINDS
        for i in range(span.start, span.end)
        if i not in separators
    }


@settings(max_examples=300)
@given(rich_paragraphs())
def test_paragraphs_with_inline_spans_survive_a_round_trip(
    case: tuple[RichText, frozenset[int]],
) -> None:
    rich, separators = case
    blocks = npf_from_richtext(rich)
    back = richtext_from_npf(blocks)
    assert back.text == rich.text
    assert coverage(back, separators) == coverage(rich, separators)
    assert block_spans(back) == block_spans(rich)
    assert all(npf_text_length(b) <= NPF_TEXT_LIMIT for b in blocks)
    assert npf_from_richtext(back) == blocks


@settings(max_examples=40, deadline=None)
@given(
    # One paragraph's words: no line breaks (a word of "\n\n" would make paragraphs of spaces,
    # which no NPF text block holds; that is another test's case).
    st.text(
        st.characters(exclude_categories=["Cs", "Zl", "Zp"], exclude_characters="\n\r"),
        min_size=1,
        max_size=12,
    ),
    st.integers(300, 700),
    st.lists(st.tuples(st.integers(0, 9999), st.integers(1, 60), st.booleans()), max_size=8),
)
def test_long_paragraphs_split_within_the_limit(
    word: str, repeat: int, raw_spans: list[tuple[int, int, bool]]
) -> None:
    text = " ".join([word] * repeat) + " end."
    spans = [
        Span(a % len(text), min(a % len(text) + n, len(text)), SpanKind.LINK if link else
             SpanKind.BOLD, "https://e.x/" if link else "")
        for a, n, link in raw_spans
    ]  # fmt: skip
    blocks = npf_from_richtext(RichText(text, tuple(spans)))
    assert "".join(b["text"] for b in blocks) == text
    assert all(npf_text_length(b) <= NPF_TEXT_LIMIT for b in blocks)
    cuts, position = [], 0
    for b in blocks[:-1]:
        position += len(b["text"])
        cuts.append(position)
    clusters = {m.end() for m in regex.finditer(r"\X", text)}
    assert all(cut in clusters for cut in cuts)
    assert not any(s.start < cut < s.end for s in spans if s.kind is SpanKind.LINK for cut in cuts)
    formatted, offset = set(), 0
    for b in blocks:
        for f in b.get("formatting", []):
            formatted |= {(offset + i, f["type"]) for i in range(f["start"], f["end"])}
        offset += len(b["text"])
    names = {SpanKind.LINK: "link", SpanKind.BOLD: "bold"}
    assert formatted == {(i, names[s.kind]) for s in spans for i in range(s.start, s.end)}
