"""Status HTML read by html_read's own tokenizer gives exactly the events html.parser gives: on
every real status of the shared fixtures, on markup built to trip it, and on generated markup.
Markup it does not read alike (comments, raw-text elements, a bare "<", unquoted attributes)
goes to html.parser, and the text read is the same either way."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crosspost.model import RichText
from crosspost.text import html_read
from crosspost.text.html_read import richtext_from_html
from tests.fixtures import fixture_params

Event = tuple[str, str, list[tuple[str, str | None]]]


class _Recorder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[Event] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("startend", tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag, []))

    def handle_data(self, data: str) -> None:
        self.events.append(("data", data, []))


def parser_events(html: str) -> list[Event]:
    recorder = _Recorder()
    with contextlib.suppress(AssertionError, ValueError):
        recorder.feed(html)
        recorder.close()
    return recorder.events


def read_by_html_parser(html: str) -> RichText:
    """What richtext_from_html gave before it had a tokenizer of its own."""
    parser = html_read._StatusParser((), (), ())
    with contextlib.suppress(AssertionError, ValueError):
        parser.feed(html)
        parser.close()
    return parser.finish()


def _contents(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("content"), str):
            yield node["content"]
        for value in node.values():
            yield from _contents(value)
    elif isinstance(node, list):
        for value in node:
            yield from _contents(value)


def _fixture_contents(path: Path) -> list[str]:
    if path.suffix != ".yaml":
        return list(_contents(json.loads(path.read_text(encoding="utf-8"))))
    found: list[str] = []
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        body = interaction["response"]["body"].get("string")
        if isinstance(body, str) and body.lstrip().startswith(("{", "[")):
            found += _contents(json.loads(body))
    return found


@pytest.mark.parametrize(
    "path",
    fixture_params("mastodon-py/tests/cassettes*/*.yaml")
    + fixture_params("mastodon-docs/extracted/*.json"),
)
def test_real_status_html_is_read_by_the_tokenizer_as_html_parser_reads_it(
    path: Path | None,
) -> None:
    assert path is not None
    for html in _fixture_contents(path):
        tokens = html_read._simple_tokens(html)
        assert tokens is not None, html  # the servers' markup takes the fast way
        assert tokens == parser_events(html), html


TRICKY = [
    "",
    "plain words & more &amp; &lt;b&gt; &#39;quoted&#39; &notanentity; &",
    '<p>Hi <a href="https://x.test/?a=1&amp;b=2" class="u-url mention">@<span>bob</span></a></p>',
    '<P CLASS="Big">shouting</P><BR/><br />',
    "<p>one</p>\n<p>two</p>\r\n",
    '<a href="">empty</a><a title="&quot;q&quot;">t</a>',
    "<p>a &amp</p>",
    "tail with an ampersand at the very end &am",
]
FALLBACK = [
    "<!-- a comment --><p>x</p>",
    "<script>if (a < b) { x = '<p>' }</script><p>after</p>",
    "<style>p { color: red }</style>text",
    "<textarea><p>not a tag</p></textarea>",
    "<title>a <b> title</title>",
    "1 < 2 and 3 > 2",
    "<p class=bare>unquoted</p>",
    "<p class='single'>single-quoted</p>",
    "<p hidden>bare attribute</p>",
    '<p\u00a0class="x">a no-break space in a tag</p>',
    "</p >spaced end tag",
    '<p class="a"class="b">no space between</p>',
    '<?xml version="1.0"?><p>x</p>',
    "<![CDATA[x]]>",
    '<p>unclosed <a href="x"',
    '<a href="a<b">a < in a value</a>',
]


@pytest.mark.parametrize("html", TRICKY)
def test_simple_markup_takes_the_fast_way_and_reads_alike(html: str) -> None:
    tokens = html_read._simple_tokens(html)
    assert tokens is not None
    assert tokens == parser_events(html)
    assert richtext_from_html(html) == read_by_html_parser(html)


@pytest.mark.parametrize("html", FALLBACK)
def test_other_markup_goes_to_html_parser(html: str) -> None:
    assert html_read._simple_tokens(html) is None
    assert richtext_from_html(html) == read_by_html_parser(html)


_NAMES = st.sampled_from(["p", "br", "a", "span", "b", "li", "ul", "pre", "P", "A", "h2", "img"])
_ATTRIBUTE_NAMES = st.sampled_from(["href", "class", "rel", "CLASS", "data-x", "src", "alt"])
_PIECES = [*"ab #@\n\t&;<>\"'=/", "&amp;", "&#39;", "&lt;", "é"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_QUOTE = st.sampled_from(['"', '"', "'", ""])
_SPACE = st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", "/", ""])


@st.composite
def _markup(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["text", "start", "end"]))
        name = draw(_NAMES)
        if kind == "text":
            parts.append(draw(_TEXT))
        elif kind == "end":
            parts.append(f"</{name}{draw(st.sampled_from(['', ' ']))}>")
        else:
            attributes = "".join(
                f"{draw(_SPACE)}{key}={draw(_QUOTE)}{value}{draw(_QUOTE)}"
                for key, value in draw(st.lists(st.tuples(_ATTRIBUTE_NAMES, _TEXT), max_size=3))
            )
            parts.append(f"<{name}{attributes}{draw(_SPACE)}{draw(st.sampled_from(['>', '/>']))}")
    return "".join(parts)


@settings(max_examples=400)
@given(_markup())
def test_generated_markup_reads_alike_either_way(html: str) -> None:
    tokens = html_read._simple_tokens(html)
    if tokens is not None:
        assert tokens == parser_events(html)
    assert richtext_from_html(html) == read_by_html_parser(html)
