"""Mastodon status HTML -> RichText: the real statuses of the shared fixtures, golden pairs."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from crosspost.model import RichText, Span, SpanKind
from crosspost.text.html_read import richtext_from_html
from crosspost.text.urls import is_url_display
from tests.fixtures import fixture_params, fixture_path, fixtures_root

CASSETTES = "mastodon-py/tests/cassettes*/*.yaml"
DOCS = "mastodon-docs/extracted/*.json"


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every status-like object in a response: statuses, nested reblogs and quotes, StatusEdits,
    translations (anything with HTML `content` and a status's own fields)."""
    if isinstance(node, dict):
        if isinstance(node.get("content"), str) and (
            "created_at" in node or "spoiler_text" in node or "mentions" in node
        ):
            yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _cassette_statuses(path: Path) -> list[dict[str, Any]]:
    statuses: list[dict[str, Any]] = []
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        body = interaction["response"]["body"].get("string")
        if not isinstance(body, str) or not body.lstrip().startswith(("{", "[")):
            continue
        statuses += _walk(json.loads(body))
    return statuses


def _statuses(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".yaml":
        return _cassette_statuses(path)
    return list(_walk(json.loads(path.read_text(encoding="utf-8"))))


def _parse(status: dict[str, Any]) -> RichText:
    return richtext_from_html(
        status["content"],
        mentions=status.get("mentions") or (),
        tags=status.get("tags") or (),
        emojis=status.get("emojis") or (),
    )


def _naive_words(content: str) -> list[str]:
    """The words of the HTML by the crudest reading: block tags become spaces, inline tags
    vanish, entities are decoded."""
    spaced = re.sub(r"<(?:br|/?p|/?li|/?h\d|/?blockquote)\b[^>]*>", " ", content)
    return re.findall(r"\w+", html.unescape(re.sub(r"<[^>]*>", "", spaced)))


_SHORTENED = re.compile(r'<a href="([^"]*)"[^>]*>\s*<span class="invisible">')


def _check_status(status: dict[str, Any]) -> None:
    content = status["content"]
    rich = _parse(status)
    text = rich.text
    assert re.findall(r"\w+", text) == _naive_words(content)
    assert "…" not in text
    assert not re.search(r"</?[a-z][^>]*>|&(?:#\d+|[a-z]+);", text), text
    assert text == text.strip()
    for mention in status.get("mentions") or ():
        found = [s for s in rich.spans_of(SpanKind.MENTION) if s.value == mention["url"]]
        assert found, f"mention {mention['acct']} missing in {rich}"
        assert all(rich.covered(s).startswith("@" + mention["username"]) for s in found)
    for tag in status.get("tags") or ():
        names = [s.value.lower() for s in rich.spans_of(SpanKind.TAG)]
        assert tag["name"].lower() in names, f"tag {tag['name']} missing in {rich}"
        assert all(rich.covered(s) == "#" + s.value for s in rich.spans_of(SpanKind.TAG))
    for href in _SHORTENED.findall(content):
        url = html.unescape(href)
        links = [s for s in rich.spans_of(SpanKind.LINK) if s.value == url]
        assert links, f"link {url} missing in {rich}"
        assert all(rich.covered(s) == url for s in links)
    for span in rich.spans_of(SpanKind.LINK):
        assert rich.covered(span) == span.value or not is_url_display(
            rich.covered(span), span.value
        )


@pytest.mark.parametrize("path", fixture_params(CASSETTES) + fixture_params(DOCS))
def test_real_status_content(path: Path | None) -> None:
    assert path is not None
    for status in _statuses(path):
        _check_status(status)


def test_real_statuses_are_many() -> None:
    """Guards the walk above: if it stopped finding statuses, the test above would pass empty."""
    root = fixtures_root()
    if root is None:
        pytest.skip("shared fixtures not found")
    cassettes = sum(len(_statuses(p)) for p in sorted(root.glob(CASSETTES)))
    docs = sum(len(_statuses(p)) for p in sorted(root.glob(DOCS)))
    assert cassettes >= 150
    assert docs >= 10


# --- golden pairs: real statuses, expected text and spans written out ---------------------------


def _status_with(relative: str, needle: str) -> dict[str, Any]:
    path = fixture_path(relative)
    for status in _statuses(path):
        if needle in status["content"]:
            return status
    raise AssertionError(f"no status with {needle!r} in {relative}")


GOLDEN = [
    pytest.param(
        "mastodon-py/tests/cassettes/test_toot.yaml",
        "Toot!",
        RichText("Toot!"),
        id="plain",
    ),
    pytest.param(
        "mastodon-py/tests/cassettes/test_hashtag_tl.yaml",
        "hoot",
        RichText("#hoot (hashtag toot)", (Span(0, 5, SpanKind.TAG, "hoot"),)),
        id="hashtag",
    ),
    pytest.param(
        "mastodon-py/tests/cassettes/test_public_tl.yaml",
        "jeep",
        RichText(
            "@mastodonpy_test beep beep I'm a jeep",
            (Span(0, 16, SpanKind.MENTION, "http://localhost:3000/@mastodonpy_test"),),
        ),
        id="mention-and-entity",
    ),
    pytest.param(
        "mastodon-py/tests/cassettes/test_status_card.yaml",
        "example.org",
        RichText("http://example.org/", (Span(0, 19, SpanKind.LINK, "http://example.org/"),)),
        id="short-link",
    ),
    pytest.param(
        "mastodon-docs/extracted/entities_Status.md_L0021_example.json",
        "theguardian",
        RichText(
            '"I lost my inheritance with one wrong digit on my sort code"\n\n'
            "https://www.theguardian.com/money/2019/dec/07/"
            "i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code",
            (
                Span(
                    62,
                    173,
                    SpanKind.LINK,
                    "https://www.theguardian.com/money/2019/dec/07/"
                    "i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code",
                ),
            ),
        ),
        id="ellipsis-link-and-paragraphs",
    ),
    pytest.param(
        "mastodon-py/tests/cassettes/test_status_post_with_quote.yaml",
        "quote-inline",
        RichText(
            "RE: http://localhost:3000/@mastodonpy_test/117020582917124092\n\nyoooooooo",
            (
                Span(
                    4,
                    61,
                    SpanKind.LINK,
                    "http://localhost:3000/@mastodonpy_test/117020582917124092",
                ),
            ),
        ),
        id="quote-inline-fallback",
    ),
]


@pytest.mark.parametrize(("relative", "needle", "expected"), GOLDEN)
def test_golden_real_status(relative: str, needle: str, expected: RichText) -> None:
    assert _parse(_status_with(relative, needle)) == expected


# --- other servers' HTML (shapes from GoToSocial, Akkoma/Pleroma, Misskey via Mastodon) ----------


def test_pleroma_hashtag_and_mention_without_mastodon_markup() -> None:
    content = (
        '<span class="h-card"><a class="u-url mention" data-user="9x" '
        'href="https://pl.example/users/alice" rel="ugc">@<span>alice</span></a></span> '
        'I love <a class="hashtag" data-tag="cofe" href="https://pl.example/tag/cofe" '
        'rel="tag ugc">#cofe</a><br/>second line'
    )
    mentions = [{"url": "https://pl.example/users/alice", "username": "alice", "acct": "a@b"}]
    rich = richtext_from_html(content, mentions=mentions)
    assert rich == RichText(
        "@alice I love #cofe\nsecond line",
        (
            Span(0, 6, SpanKind.MENTION, "https://pl.example/users/alice"),
            Span(14, 19, SpanKind.TAG, "cofe"),
        ),
    )


def test_mention_matched_by_name_when_href_is_the_actor_id() -> None:
    content = (
        '<p><a href="https://mk.example/users/9abc" class="u-url mention">@bob@mk.example</a></p>'
    )
    mentions = [{"url": "https://mk.example/@bob", "username": "bob", "acct": "bob@mk.example"}]
    rich = richtext_from_html(content, mentions=mentions)
    assert rich.spans == (Span(0, 15, SpanKind.MENTION, "https://mk.example/@bob"),)


def test_unclassed_hashtag_link_known_from_the_tags_array() -> None:
    rich = richtext_from_html(
        '<p><a href="https://mk.example/tags/Cats">#Cats</a></p>', tags=[{"name": "cats"}]
    )
    assert rich.spans == (Span(0, 5, SpanKind.TAG, "Cats"),)


def test_link_shown_shortened_by_other_servers_is_written_in_full() -> None:
    rich = richtext_from_html(
        '<p>see <a href="https://www.ex.com/a/long/path">ex.com/a/lo…</a></p>'
    )
    assert rich == RichText(
        "see https://www.ex.com/a/long/path",
        (Span(4, 34, SpanKind.LINK, "https://www.ex.com/a/long/path"),),
    )


def test_link_with_its_own_words_keeps_them() -> None:
    rich = richtext_from_html('<p><a href="https://ex.com/">the example site</a>.</p>')
    assert rich == RichText("the example site.", (Span(0, 16, SpanKind.LINK, "https://ex.com/"),))


def test_custom_emoji_shortcodes_and_images() -> None:
    emojis = [{"shortcode": "blobcat", "url": "https://x/e/blobcat.png", "static_url": "s"}]
    content = (
        '<p>hi :party: <img src="https://x/e/blobcat.png" alt="cat"> '
        '<img class="emoji" alt="neko"> <img class="custom-emoji" alt=":wave:" src="y"> '
        '<img alt="a photo" src="z"> <img class="emoji" alt="😀"></p>'
    )
    rich = richtext_from_html(content, emojis=emojis)
    assert rich.text == "hi :party: :blobcat: :neko: :wave:  😀"


def test_formatting_from_gotosocial_and_akkoma() -> None:
    content = (
        "<h1>Title</h1><p><strong>bold</strong> <em>it</em> <del>gone</del> <code>x=1</code> "
        "<b><i>both</i></b> <small>tiny</small> <u>under</u></p>"
        "<ul><li>one</li><li><p>two</p><ol><li>deep</li></ol></li></ul>"
        "<blockquote><p>said</p><p>twice<br>lines</p></blockquote>"
        "<pre><code>\nline 1\n  line 2\n</code></pre><h3>Small head</h3>"
    )
    rich = richtext_from_html(content)
    assert rich.text == (
        "Title\n\nbold it gone x=1 both tiny under\n\none\ntwo\ndeep\n\nsaid\n\ntwice\nlines"
        "\n\nline 1\n  line 2\n\nSmall head"
    )
    expected = {
        (0, 5, SpanKind.HEADING, "1"),
        (7, 11, SpanKind.BOLD, ""),
        (12, 14, SpanKind.ITALIC, ""),
        (15, 19, SpanKind.STRIKE, ""),
        (20, 23, SpanKind.CODE, ""),
        (24, 28, SpanKind.BOLD, ""),
        (24, 28, SpanKind.ITALIC, ""),
        (29, 33, SpanKind.SMALL, ""),
        (41, 44, SpanKind.LIST_ITEM, "unordered"),
        (45, 48, SpanKind.LIST_ITEM, "unordered"),
        (49, 53, SpanKind.LIST_ITEM, "ordered:1"),
        (55, 59, SpanKind.QUOTE, ""),
        (61, 72, SpanKind.QUOTE, ""),
        (74, 89, SpanKind.CODE, ""),
        (91, 101, SpanKind.HEADING, "2"),
    }
    assert {(s.start, s.end, s.kind, s.value) for s in rich.spans} == expected


def test_whitespace_between_blocks_and_author_spaces() -> None:
    rich = richtext_from_html("\n<p>  two  spaces\n   here </p>\n\n<p>\tnext</p>\n")
    assert rich.text == "two  spaces here\n\nnext"


@pytest.mark.parametrize(
    "content",
    [
        "<p>unclosed <strong>bold <em>both",
        "</p></a></strong>stray closers",
        "<a href='https://x.y'>link <p>block in link</p></a>",
        "<ul><li>a<li>b</ul></li></li>",
        "<p>a<br><br><br><br>b</p>",
        "<![CDATA[x]]><!-- c --><!doctype html><?php ?>",
        "<a href=>empty</a><a>no href</a><img><img src>",
        "<script>alert(1)</script><style>p{}</style>text",
        "&amp;&lt;&gt;&nbsp;&#x1F600;&bogus; &",
        "<p>a</p",
        "<",
        "",
    ],
)
def test_malformed_html_never_crashes(content: str) -> None:
    rich = richtext_from_html(content)
    assert "<script" not in rich.text
    assert "alert" not in rich.text


def test_breaks_collapse_to_a_paragraph() -> None:
    assert richtext_from_html("<p>a<br><br><br><br>b</p>").text == "a\n\nb"
    assert richtext_from_html("<p><br>a<br></p><p><br>b</p>").text == "a\n\nb"
