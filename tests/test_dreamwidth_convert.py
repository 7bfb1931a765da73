"""Dreamwidth's rich text both ways, on entry HTML from Dreamwidth's own tests (t/cleaner-*.t in
dreamwidth/dreamwidth) and bodies in the shapes LiveJournal-era entries use; golden pairs of
whole entries, and their fitting to Bluesky, Mastodon and Tumblr.

The golden entries go through the same code as every platform's pairs (tests/test_golden_pairs.py).
"""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from crosspost.model import Media, MediaKind, Platform, RichText, Span, SpanKind
from crosspost.platforms.dreamwidth.limits import LIMITS
from crosspost.platforms.dreamwidth.richtext_read import FORMATS, Fold, body_format, read_body
from crosspost.platforms.dreamwidth.richtext_write import html_from_richtext
from tests import test_golden_pairs as pairs
from tests.golden import GOLDEN_ROOT

RAW = FORMATS["html_raw0"]
CASUAL = FORMATS["html_casual1"]
CASUAL0 = FORMATS["html_casual0"]


# --- reading -------------------------------------------------------------------------------------


def test_user_tags_are_mentions_of_profile_urls() -> None:
    # t/cleaner-ljtags.t: "<lj user=system>", unquoted; <lj comm=...>; <user> with a site.
    body = read_body(
        'some text <lj user=system> more <lj comm="dw_news"> and '
        '<user name="frank" site="livejournal.com"> or <user name=x_y site=ij>',
        RAW,
    )
    mentions = body.text.spans_of(SpanKind.MENTION)
    assert [body.text.covered(s) for s in mentions] == ["system", "dw_news", "frank", "x_y"]
    assert [s.value for s in mentions] == [
        "https://system.dreamwidth.org/",
        "https://dw-news.dreamwidth.org/",
        "https://frank.livejournal.com/",
        "https://x-y.insanejournal.com/",
    ]
    assert body.text.text == "some text system more dw_news and frank or x_y"


def test_a_user_on_a_site_crosspost_does_not_know_stays_their_name() -> None:
    body = read_body('<user name="someone" site="plurk.com"> said', RAW)
    assert body.text == RichText("someone said")


def test_cuts_keep_the_whole_text_and_note_the_fold() -> None:
    # t/cleaner-ljtags.t and t/cleaner-event.t: old and new cut tags, a div cut, nested cuts.
    body = read_body("And a cut:<lj-cut text='foo'>foooooooooooooo</lj-cut>", RAW)
    assert body.text.text == "And a cut:foooooooooooooo"
    assert body.folds == [Fold(10, "foo")]
    nested = read_body('<cut text="outer">out <cut text="inner">in</cut></cut>', RAW)
    assert nested.text.text == "out in"
    assert nested.folds == [Fold(0, "outer"), Fold(4, "inner")]
    div = read_body('New cut: <div class="ljcut" text="This is my div cut">baaaar</div>', RAW)
    assert div.text.text == "New cut:\n\nbaaaar"
    assert div.folds == [Fold(10, "This is my div cut")]
    bare = read_body("<cut>hidden</cut>", RAW)
    assert bare.folds == [Fold(0, "Read more...")]


def test_casual_html_breaks_lines_and_links_bare_urls() -> None:
    event = "first line\nsecond line\n\nnew paragraph https://example.com/a_b?x=1 end"
    body = read_body(event, CASUAL)
    assert (
        body.text.text == "first line\nsecond line\n\nnew paragraph https://example.com/a_b?x=1 end"
    )
    (link,) = body.text.spans_of(SpanKind.LINK)
    assert link.value == "https://example.com/a_b?x=1"
    # Raw HTML (opt_preformatted) takes newlines as spaces, as a browser does.
    assert read_body(event, RAW).text.text.startswith("first line second line new paragraph")


def test_casual_html_keeps_pre_as_written() -> None:
    body = read_body("<pre>a\n  b</pre>\nafter", CASUAL)
    assert body.text.text == "a\n  b\n\nafter"


def test_at_mentions_only_where_the_format_has_them() -> None:
    # t/cleaner-markdown.t: "@system" becomes a user; not inside code, not inside a URL.
    event = (
        "hi @system and @bob.lj, see https://medium.com/@username/title-of-page <code>@no</code>"
    )
    body = read_body(event, CASUAL)
    mentions = body.text.spans_of(SpanKind.MENTION)
    assert [s.value for s in mentions] == [
        "https://system.dreamwidth.org/",
        "https://bob.livejournal.com/",
    ]
    (link,) = body.text.spans_of(SpanKind.LINK)
    assert link.value == "https://medium.com/@username/title-of-page"
    assert read_body(event, CASUAL0).text.spans_of(SpanKind.MENTION) == ()


def test_images_are_media_with_their_alt_text() -> None:
    body = read_body(
        '<img src="https://pics.example/a.jpg" alt="a cat" width="640" height="480">'
        '<img src="https://pics.example/b.gif?x=1" title="dancing"><img src="/local.png">',
        RAW,
    )
    assert body.media == [
        Media(
            MediaKind.IMAGE, url="https://pics.example/a.jpg", alt="a cat", width=640, height=480
        ),
        Media(MediaKind.GIF, url="https://pics.example/b.gif?x=1", alt="dancing"),
    ]


def test_embeds_and_polls_are_noted_not_dropped_silently() -> None:
    body = read_body(
        '<lj-embed id="1" /> text <poll name="p"><poll-question>Q?</poll-question></poll>', RAW
    )
    assert body.text.text == "text"
    assert [u.kind for u in body.unsupported] == ["embed", "poll"]


def test_formatting_tags_become_spans() -> None:
    body = read_body(
        "<h2>Title</h2><p><b>bold</b> <i>it</i> <s>gone</s> <code>x</code></p>"
        "<blockquote>quoted</blockquote><ul><li>one</li><li>two</li></ul>",
        RAW,
    )
    kinds = [(body.text.covered(s), s.kind) for s in body.text.spans]
    assert ("Title", SpanKind.HEADING) in kinds
    assert ("bold", SpanKind.BOLD) in kinds
    assert ("it", SpanKind.ITALIC) in kinds
    assert ("gone", SpanKind.STRIKE) in kinds
    assert ("x", SpanKind.CODE) in kinds
    assert ("quoted", SpanKind.QUOTE) in kinds
    assert ("two", SpanKind.LIST_ITEM) in kinds


def test_the_format_follows_the_site_rules() -> None:
    assert body_format({"editor": "html_raw0"}, None, "").name == "html_raw0"
    assert body_format({"editor": "markdown0"}, None, "").name == "markdown0"
    assert body_format({}, None, "!markdown\n*hi*").name == "markdown0"
    assert body_format({"opt_preformatted": 1}, None, "").name == "html_raw0"
    assert body_format({"import_source": "livejournal.com/a/1"}, None, "").name == "html_casual0"
    assert body_format({}, "2009-01-02 03:04:05", "").name == "html_casual0"
    assert body_format({}, "2024-01-02 03:04:05", "").name == "html_casual1"


def test_markdown_entries_are_read_as_text_and_noted() -> None:
    body = read_body("!markdown\nline one\nline two", FORMATS["markdown0"])
    assert body.text.text == "line one\nline two"
    assert [u.kind for u in body.unsupported] == ["markdown"]


# --- writing -------------------------------------------------------------------------------------


def test_dreamwidth_people_become_user_tags_others_links() -> None:
    text = "hi alice, bob and carol"
    rich = RichText(
        text,
        (
            Span(3, 8, SpanKind.MENTION, "https://alice.dreamwidth.org/"),
            Span(10, 13, SpanKind.MENTION, "https://bob.livejournal.com/"),
            Span(18, 23, SpanKind.MENTION, "https://mastodon.example/@carol"),
        ),
    )
    html = html_from_richtext(rich)
    assert html == (
        '<p>hi <user name="alice">, <user name="bob" site="livejournal.com"> and '
        '<a href="https://mastodon.example/@carol" rel="nofollow noopener noreferrer" '
        'target="_blank">carol</a></p>'
    )


def test_a_fold_is_a_cut() -> None:
    rich = RichText("intro\n\nthe rest", (Span(7, 10, SpanKind.BOLD),))
    html = html_from_richtext(rich, fold_at=7, fold_text='"More"')
    assert html == '<p>intro</p><cut text="&quot;More&quot;"><p><strong>the</strong> rest</p></cut>'


def _payloads() -> tuple[str, ...]:
    from tests.test_view_browser import PAYLOADS

    return PAYLOADS


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


_SAFE_TAGS = {"p", "br", "a", "strong", "em", "del", "code", "user", "cut", "blockquote"}
_SAFE_TAGS |= {"h1", "h2", "ul", "ol", "li", "small"}


@pytest.mark.parametrize("payload", _payloads())
def test_the_xss_corpus_comes_out_inert(payload: str) -> None:
    text = f"xss {payload} end"
    start = text.index(payload)
    rich = RichText(
        text,
        (
            Span(start, start + len(payload), SpanKind.LINK, payload),
            Span(0, 3, SpanKind.MENTION, payload),
            Span(0, 3, SpanKind.TAG, payload),
        ),
    )
    html = html_from_richtext(rich, fold_at=4, fold_text=payload)
    parser = _Tags()
    parser.feed(html)
    for tag, attributes in parser.tags:
        assert tag in _SAFE_TAGS, html
        assert not any(name.startswith("on") for name in attributes), html
        assert attributes.get("href", "https://").startswith(("https://", "http://", "mailto:"))
    # What Dreamwidth shows reads back as the same words.
    assert read_body(html_from_richtext(rich), RAW).text.text == text


@pytest.mark.parametrize(
    "event",
    [
        '<p>Hello <lj user="some_one"> and <user name="bob" site="lj">!<br>'
        'Second <i>line</i> <a href="https://example.com/x">example</a>.</p>',
        "<h1>Head</h1><blockquote><p>quoted <b>bold</b></p></blockquote>"
        "<ol><li>one</li><li>two <s>x</s></li></ol><p>caf\u00e9 \U0001f600 &lt;tag&gt;</p>",
        "<p>a &amp; b</p><ul><li>x<ul><li>nested</li></ul></li></ul>",
    ],
)
def test_read_write_read_keeps_the_text(event: str) -> None:
    first = read_body(event, RAW).text
    again = read_body(html_from_richtext(first), RAW).text
    assert again == first


def test_a_fold_round_trips() -> None:
    first = read_body("<p>intro</p><cut text='more'><p>rest <em>here</em></p></cut>", RAW)
    html = html_from_richtext(first.text, fold_at=first.folds[0].at, fold_text="more")
    again = read_body(html, RAW)
    assert again.text == first.text
    assert again.folds == first.folds


# --- golden pairs --------------------------------------------------------------------------------

CASES = sorted((GOLDEN_ROOT / "dreamwidth").glob("*.native.json"))
TARGETS = (Platform.BLUESKY, Platform.MASTODON, Platform.TUMBLR, Platform.DREAMWIDTH)


def _case(path: Path) -> pairs.Case:
    return pairs.Case(Platform.DREAMWIDTH, path.name.removesuffix(".native.json"), path)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_entry_reads_as_its_golden_post(path: Path) -> None:
    from tests.golden import check_golden

    check_golden(_case(path).golden(".post.json"), pairs.post_json(_case(path)))


@pytest.mark.parametrize(
    ("path", "target"),
    [(p, t) for p in CASES for t in TARGETS],
    ids=lambda v: v.name if isinstance(v, Path) else v.value,
)
def test_entry_fits_its_golden_payloads(path: Path, target: Platform) -> None:
    from tests.golden import check_golden

    check_golden(
        _case(path).golden(f".{target.value}.json"), pairs.conversion_json(_case(path), target)
    )


def test_there_are_golden_entries() -> None:
    assert len(CASES) >= 3


def test_limits_take_a_whole_entry() -> None:
    assert LIMITS.text.one_post
    assert LIMITS.text.free_tags
    assert replace(LIMITS).max_chars == 300_000
