"""RichText -> Mastodon plain text, HTML and Markdown: golden cases, round trips, properties."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from crosspost.model import ATOMIC_SPAN_KINDS, BLOCK_SPAN_KINDS, RichText, Span, SpanKind
from crosspost.platforms.mastodon.richtext_write import richtext_for_mastodon
from crosspost.text.html_read import richtext_from_html
from crosspost.text.html_write import html_from_richtext, markdown_from_richtext
from crosspost.text.urls import mention_handle

L, M, T = SpanKind.LINK, SpanKind.MENTION, SpanKind.TAG
FORMATS = (SpanKind.BOLD, SpanKind.ITALIC, SpanKind.STRIKE, SpanKind.CODE, SpanKind.SMALL)


def _covered(rich: RichText) -> list[tuple[str, SpanKind, str]]:
    return [(rich.covered(s), s.kind, s.value) for s in rich.spans]


# --- plain text for Mastodon ---------------------------------------------------------------------


def test_plain_text_lists_quotes_headings_and_links() -> None:
    text = "Title\n\nintro see docs and @ann and #Tag\n\nfirst\nsecond\nnested\n\nwise words\nagain"
    rich = RichText(
        text,
        (
            Span(0, 5, SpanKind.HEADING, "1"),
            Span(17, 21, L, "https://ex.com/docs"),
            Span(26, 30, M, "https://m.example/@ann"),
            Span(35, 39, T, "Tag"),
            Span(41, 46, SpanKind.LIST_ITEM, "ordered"),
            Span(47, 53, SpanKind.LIST_ITEM, "ordered"),
            Span(54, 60, SpanKind.LIST_ITEM, "unordered:1"),
            Span(62, 78, SpanKind.QUOTE),
            Span(7, 12, SpanKind.BOLD),
        ),
    )
    out = richtext_for_mastodon(rich)
    assert out.text == (
        "Title\n\nintro see docs (https://ex.com/docs) and @ann@m.example and #Tag\n\n"
        "1. first\n2. second\n  • nested\n\n> wise words\n> again"
    )
    assert _covered(out) == [
        ("https://ex.com/docs", L, "https://ex.com/docs"),
        ("@ann@m.example", M, "https://m.example/@ann"),
        ("#Tag", T, "Tag"),
    ]


def test_plain_text_mentions_never_reach_a_stranger() -> None:
    rich = RichText(
        "@bob @carol @alice.bsky.social @dan@else.where",
        (
            Span(0, 4, M, "https://m.example/@bob@remote.example"),
            Span(5, 11, M, "https://m.example/profile/carol"),
            Span(12, 30, M, "did:plc:abc"),
            Span(31, 46, M, "https://else.where/users/dan"),
        ),
    )
    out = richtext_for_mastodon(rich)
    assert out.text == "@bob@remote.example carol alice.bsky.social @dan@else.where"
    assert [s.kind for s in out.spans] == [M, M]


def test_plain_text_link_variants() -> None:
    rich = RichText(
        "example.org/page https://a.example/x mail me here",
        (
            Span(0, 16, L, "https://www.example.org/page"),
            Span(17, 36, L, "https://a.example/x"),
            Span(45, 49, L, "mailto:me@example.org"),
        ),
    )
    out = richtext_for_mastodon(rich)
    assert out.text == (
        "https://www.example.org/page https://a.example/x mail me here (mailto:me@example.org)"
    )
    assert [out.covered(s) for s in out.spans] == [
        "https://www.example.org/page",
        "https://a.example/x",
    ]


def test_plain_text_tags_mastodon_cannot_link_lose_only_the_span() -> None:
    rich = RichText(
        "#good #not ok #123",
        (Span(0, 5, T, "good"), Span(6, 13, T, "not ok"), Span(14, 18, T, "123")),
    )
    out = richtext_for_mastodon(rich)
    assert out.text == rich.text
    assert _covered(out) == [("#good", T, "good")]


# --- HTML and Markdown for GoToSocial / Akkoma ---------------------------------------------------


def test_html_escapes_text_and_attributes() -> None:
    text = '<script>alert("x")</script> & co'
    rich = RichText(text, (Span(0, 8, L, 'https://ex.com/?a=1&b="2"'),))
    out = html_from_richtext(rich)
    assert "<script>" not in out
    assert 'href="https://ex.com/?a=1&amp;b=&quot;2&quot;"' in out
    assert richtext_from_html(out) == rich


def test_html_for_servers_leaves_mentions_and_tags_to_them() -> None:
    rich = RichText(
        "hi @ann #Tag", (Span(3, 7, M, "https://m.example/@ann"), Span(8, 12, T, "Tag"))
    )
    assert html_from_richtext(rich) == "<p>hi @ann@m.example #Tag</p>"
    anchored = html_from_richtext(rich, anchors=True)
    assert 'class="u-url mention"' in anchored
    assert 'class="mention hashtag"' in anchored


def test_markdown_output() -> None:
    text = "Head\n\n**not bold** a_b see site\nnext\n\n1. literal\n\none\ntwo\n\nquoted"
    rich = RichText(
        text,
        (
            Span(0, 4, SpanKind.HEADING, "2"),
            Span(23, 26, SpanKind.BOLD),
            Span(27, 31, L, "https://ex.com/a_(b)"),
            Span(50, 53, SpanKind.LIST_ITEM, "unordered"),
            Span(54, 57, SpanKind.LIST_ITEM, "ordered:1"),
            Span(59, 65, SpanKind.QUOTE),
            Span(24, 26, SpanKind.CODE),
        ),
    )
    assert markdown_from_richtext(rich) == (
        "## Head\n\n\\*\\*not bold\\*\\* a\\_b **s`ee`** [site](https://ex.com/a_%28b%29)  \nnext"
        "\n\n1\\. literal\n\n- one\n    1. two\n\n> quoted"
    )


def test_markdown_leaves_urls_mentions_and_tags_bare() -> None:
    rich = RichText(
        "https://ex.com/a_b_c @al_ice #snake_case",
        (
            Span(0, 20, L, "https://ex.com/a_b_c"),
            Span(21, 28, M, "https://m.example/@al_ice"),
            Span(29, 40, T, "snake_case"),
        ),
    )
    assert markdown_from_richtext(rich) == "https://ex.com/a_b_c @al_ice@m.example #snake_case"


# --- generated rich text -------------------------------------------------------------------------

WORD = st.text(
    st.characters(categories=("L", "N", "P", "S"), exclude_characters="\u2028\u2029"),
    min_size=1,
    max_size=6,
)
NAME = st.text("abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8).filter(
    lambda s: any(c.isalpha() for c in s)
)
HOST = st.sampled_from(["m.example", "social.example.org", "gts.example"])


@dataclass
class Item:
    text: str
    formats: frozenset[SpanKind]
    atomic: tuple[SpanKind, str] | None = None


@st.composite
def items(draw: st.DrawFn) -> Item:
    formats = frozenset(draw(st.sets(st.sampled_from(FORMATS), max_size=2)))
    choice = draw(st.integers(0, 5))
    if choice == 1:
        words = " ".join(draw(st.lists(WORD, min_size=1, max_size=3)))
        url = f"https://{draw(HOST)}/{draw(NAME)}"
        text = draw(st.sampled_from([words, url]))
        if text != url and text.startswith(("@", "#")):
            text = "x" + text
        return Item(text, formats, (L, url))
    if choice == 2:
        user = draw(NAME)
        return Item(f"@{user}", formats, (M, f"https://{draw(HOST)}/@{user}"))
    if choice == 3:
        name = draw(NAME)
        return Item(f"#{name}", formats, (T, name))
    return Item(draw(WORD), formats)


def _line(draw: st.DrawFn, start: int, spans: list[Span]) -> str:
    """Items joined by spaces; a format spans the longest runs of items that carry it."""
    parts = draw(st.lists(items(), min_size=1, max_size=5))
    position = start
    runs: dict[SpanKind, int] = {}
    out: list[str] = []
    previous_end = start
    for index, item in enumerate(parts):
        if index:
            out.append(" ")
            position += 1
        for kind in list(runs):
            if kind not in item.formats:
                spans.append(Span(runs.pop(kind), previous_end, kind))
        for kind in item.formats:
            runs.setdefault(kind, position)
        if item.atomic:
            spans.append(Span(position, position + len(item.text), *item.atomic))
        out.append(item.text)
        position += len(item.text)
        previous_end = position
    spans += [Span(begin, position, kind) for kind, begin in runs.items()]
    return "".join(out)


@st.composite
def rich_texts(draw: st.DrawFn) -> RichText:
    text = ""
    spans: list[Span] = []
    for _ in range(draw(st.integers(1, 4))):
        if text:
            text += "\n\n"
        block = draw(st.sampled_from(["p", "heading", "quote", "list"]))
        if block == "list":
            flags = draw(st.lists(st.booleans(), min_size=3, max_size=3))
            level = 0
            for index in range(draw(st.integers(1, 4))):
                level = draw(st.integers(0, level + 1 if index and level < 2 else level))
                if index:
                    text += "\n"
                start = len(text)
                text += _line(draw, start, spans)
                kind = "ordered" if flags[level] else "unordered"
                spans.append(
                    Span(start, len(text), SpanKind.LIST_ITEM, f"{kind}:{level}" if level else kind)
                )
            continue
        start = len(text)
        lines = 1 if block == "heading" else draw(st.integers(1, 3))
        for index in range(lines):
            if index:
                text += "\n"
            text += _line(draw, len(text), spans)
        if block == "heading":
            spans.append(Span(start, len(text), SpanKind.HEADING, draw(st.sampled_from("12"))))
        elif block == "quote":
            spans.append(Span(start, len(text), SpanKind.QUOTE))
    return RichText(text, tuple(spans))


def _normal(rich: RichText) -> tuple[set[tuple[int, int, SpanKind, str]], dict[SpanKind, set[int]]]:
    """Exact links, mentions, tags and blocks; formatting as the visible characters it covers
    (markup may split a span where another overlaps it, and bold on a space shows nothing)."""
    exact = {
        (s.start, s.end, s.kind, s.value)
        for s in rich.spans
        if s.kind in ATOMIC_SPAN_KINDS or s.kind in BLOCK_SPAN_KINDS
    }
    cover: dict[SpanKind, set[int]] = defaultdict(set)
    for span in rich.spans:
        if span.kind in FORMATS:
            cover[span.kind].update(
                i for i in range(span.start, span.end) if not rich.text[i].isspace()
            )
    return exact, dict(cover)


@settings(max_examples=300, deadline=None)
@given(rich_texts())
def test_html_round_trip(rich: RichText) -> None:
    back = richtext_from_html(html_from_richtext(rich, anchors=True))
    assert back.text == rich.text
    assert _normal(back) == _normal(rich)


def _words_in_order(before: str, after: str, *, cut_ok: bool = False) -> bool:
    """Every word of `before` appears in `after`, in order; with `cut_ok` a word may have grown
    (a URL shown cut short, "ex.com/pa", is written out in full)."""
    remaining = iter(re.findall(r"\w+", after))
    for word in re.findall(r"\w+", before):
        if not any(w == word or (cut_ok and w.startswith(word)) for w in remaining):
            return False
    return True


def _check_mastodon_spans(out: RichText, *, strict: bool = True) -> None:
    for span in out.spans:
        covered = out.covered(span)
        if span.kind is L:
            assert covered == span.value
        elif span.kind is T:
            assert covered.lower() == "#" + span.value.lower()
        else:
            assert span.kind is M
            handle = (mention_handle(span.value) or "").lower()
            assert covered.lower() == handle or (
                not strict and re.fullmatch(r"@[^@\s]*@[^@\s]*", covered)
            ), covered


@settings(max_examples=300, deadline=None)
@given(rich_texts())
def test_plain_text_spans_name_their_text_and_words_survive(rich: RichText) -> None:
    out = richtext_for_mastodon(rich)
    _check_mastodon_spans(out)
    assert _words_in_order(rich.text, out.text)
    assert len(out.spans_of(L, M, T)) == len(rich.spans_of(L, M, T))


def test_a_link_ending_inside_a_word_gets_its_url_after_the_word() -> None:
    url = "https://example.com/cali"
    rich = RichText("supercalifragilistic, again", (Span(5, 9, L, url),))
    out = richtext_for_mastodon(rich)
    assert out.text == f"supercalifragilistic ({url}), again"
    assert out.covered(out.spans[0]) == url
    # Found by the property below: the URL in the middle of "10" split the word.
    long_label = RichText("10", (Span(0, 1, L, "https://x.org"),))
    assert richtext_for_mastodon(long_label).text == "10 (https://x.org)"
    # A link to no web address keeps its label only.
    assert richtext_for_mastodon(RichText("10", (Span(0, 1, L, "0"),))).text == "10"
    # Spaces at the label's edges stay: "0000000 " linked, then "0", is still two words.
    edged = RichText("0000000 0", (Span(0, 8, L, ""),))
    assert richtext_for_mastodon(edged).text == "0000000 0"
    spaced = RichText("see  this page ok", (Span(4, 15, L, "https://x.example"),))
    assert richtext_for_mastodon(spaced).text == "see  this page (https://x.example) ok"
    # The word stops at the next link, mention or tag: each keeps its own place.
    two = RichText("ab", (Span(0, 1, L, "https://a.example"), Span(1, 2, L, "https://b.example")))
    assert richtext_for_mastodon(two).text == "a (https://a.example)b (https://b.example)"


@settings(max_examples=300, deadline=None)
@given(
    st.text(),
    st.lists(
        st.tuples(
            st.integers(0, 60),
            st.integers(0, 20),
            st.sampled_from(list(SpanKind)),
            st.text(max_size=30),
        )
    ),
)
def test_plain_text_on_arbitrary_spans(
    text: str, raw: list[tuple[int, int, SpanKind, str]]
) -> None:
    spans = tuple(
        Span(min(s, len(text)), min(s + n, len(text)), kind, value) for s, n, kind, value in raw
    )
    rich = RichText(text, spans)
    out = richtext_for_mastodon(rich)
    _check_mastodon_spans(out, strict=False)
    assert _words_in_order(text, out.text, cut_ok=True)
    markdown_from_richtext(rich)
    html_from_richtext(rich)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"<>/=\"' abp&;#!-?[]",
                *("<a href='", "<p>", "</a>", "<br>", "<li>", "<pre>", "<![", "<!--", "&#"),
                *('<span class="invisible">', '<a class="mention">'),
            ]
        )
    ).map("".join)
)
def test_reading_any_markup_never_crashes(markup: str) -> None:
    rich = richtext_from_html(markup)
    assert all(0 <= s.start < s.end <= len(rich.text) for s in rich.spans)
