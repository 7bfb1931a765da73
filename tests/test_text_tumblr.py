"""Tumblr NPF text <-> RichText on the documented NPF examples, kotlr's samples and golden pairs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from crosspost.model import RichText, Span, SpanKind
from crosspost.platforms.tumblr.richtext_read import mentioned_blogs, richtext_from_npf
from crosspost.platforms.tumblr.richtext_write import npf_from_richtext
from tests.fixtures import fixture_params, fixture_path

DOCS = "tumblr-docs/extracted/*.json"
KOTLR = "kotlr/lib/samples/**/*.json"
# NPF formatting type -> the span kind it must become (written out here, not imported, so a
# wrong table in the code cannot agree with itself).
FORMAT_KINDS = {
    "bold": SpanKind.BOLD,
    "italic": SpanKind.ITALIC,
    "strikethrough": SpanKind.STRIKE,
    "small": SpanKind.SMALL,
    "link": SpanKind.LINK,
    "mention": SpanKind.MENTION,
    "color": SpanKind.COLOR,
}


def content_lists(data: object) -> Iterator[list[dict[str, Any]]]:
    """Every NPF content list in a fixture (posts, trails, paywall views), or a lone text block."""
    if isinstance(data, dict):
        if data.get("type") == "text" and isinstance(data.get("text"), str):
            yield [data]
        for key, value in data.items():
            if key == "content" and isinstance(value, list):
                yield value
            else:
                yield from content_lists(value)
    elif isinstance(data, list):
        for item in data:
            yield from content_lists(item)


def text_blocks(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [block for block in content if block.get("type") == "text"]


def npf_params(pattern: str) -> list[Any]:
    """One parameter per fixture file that holds at least one NPF text block."""
    params = []
    for param in fixture_params(pattern):
        path = param.values[0]
        if path is None or any(
            text_blocks(c) for c in content_lists(json.loads(Path(path).read_text()))
        ):
            params.append(param)
    return params


def load_contents(path: Path) -> list[list[dict[str, Any]]]:
    return [c for c in content_lists(json.loads(path.read_text())) if text_blocks(c)]


def expected_npf(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What NPF allows us to write for `content`: its text blocks with empty ones trimmed at the
    ends (Tumblr trims them), formatting sorted by start, `indent_level: 0` left out."""
    blocks = [dict(block) for block in text_blocks(content)]
    while blocks and blocks[0]["text"] == "":
        blocks.pop(0)
    while blocks and blocks[-1]["text"] == "":
        blocks.pop()
    for block in blocks:
        if block.get("indent_level") == 0:
            del block["indent_level"]
        if "formatting" in block:
            block["formatting"] = sorted(block["formatting"], key=lambda item: item["start"])
    return blocks


def check_ranges_land(content: list[dict[str, Any]], rich: RichText) -> int:
    """Each formatting range covers the same characters in the RichText as in its block."""
    position, wanted = 0, Counter[tuple[str, SpanKind]]()
    for block in text_blocks(content):
        found = rich.text.find(block["text"], position)
        assert found >= 0, f"block text {block['text']!r} is missing from {rich.text!r}"
        position = found + len(block["text"])
        for item in block.get("formatting", []):
            covered = block["text"][item["start"] : item["end"]]
            wanted[(covered, FORMAT_KINDS[item["type"]])] += 1
    got = Counter(
        (rich.covered(span), span.kind) for span in rich.spans if span.kind in FORMAT_KINDS.values()
    )
    assert got == wanted
    return sum(wanted.values())


@pytest.mark.parametrize("path", npf_params(DOCS))
def test_documented_examples_parse_and_round_trip(path: Path) -> None:
    for content in load_contents(path):
        rich = richtext_from_npf(content)
        check_ranges_land(content, rich)
        back = npf_from_richtext(rich, blogs=mentioned_blogs(content))
        assert back == expected_npf(content)


@pytest.mark.parametrize("path", npf_params(KOTLR))
def test_kotlr_samples_parse_and_round_trip(path: Path) -> None:
    for content in load_contents(path):
        rich = richtext_from_npf(content)
        check_ranges_land(content, rich)
        assert npf_from_richtext(rich, blogs=mentioned_blogs(content)) == expected_npf(content)


def test_the_fixture_globs_find_what_they_should() -> None:
    """Guards the parametrised tests above against a glob that silently matches nothing."""
    docs = fixture_path("tumblr-docs/extracted")
    kotlr = fixture_path("kotlr/lib/samples")
    doc_blocks = [b for p in sorted(docs.glob("*.json")) for c in load_contents(p) for b in c]
    kotlr_files = [p for p in sorted(kotlr.glob("**/*.json")) if load_contents(p)]
    assert len(text_blocks(doc_blocks)) >= 60
    assert len(kotlr_files) >= 20


def spec_example(line: int) -> list[dict[str, Any]]:
    docs = fixture_path("tumblr-docs/extracted")
    (path,) = docs.glob(f"npf-spec.md_L{line:04d}_*.json")
    data = json.loads(path.read_text())
    return list(data["content"]) if "content" in data else [data]


def test_golden_list_items() -> None:
    rich = richtext_from_npf(spec_example(343))
    assert rich == RichText(
        "Sward's Shopping List\n\nSword\nCandy\n\nBut especially don't forget:\n\n"
        "Death, which is uncountable on this list.",
        (
            Span(0, 21, SpanKind.HEADING, "1"),
            Span(23, 28, SpanKind.LIST_ITEM, "ordered"),
            Span(29, 34, SpanKind.LIST_ITEM, "ordered"),
            Span(66, 107, SpanKind.LIST_ITEM, "unordered"),
        ),
    )
    assert npf_from_richtext(rich) == spec_example(343)


def test_golden_nested_list_items_carry_their_level() -> None:
    rich = richtext_from_npf(spec_example(401))
    items = [(rich.covered(s), s.value) for s in rich.spans_of(SpanKind.LIST_ITEM)]
    assert items == [
        ("First level: Fruit", "ordered"),
        ("Second level: Apples", "unordered:1"),
        ("Third Level: Green", "ordered:2"),
        ("Second level: Pears", "unordered:1"),
        ("First level: Pears", "ordered"),
    ]
    assert "\n\n" not in rich.text.split("Sward's Shopping List\n\n", 1)[1]


def test_golden_nested_blockquotes_are_stacked_indented_spans() -> None:
    rich = richtext_from_npf(spec_example(464))
    depth = Counter(rich.covered(s) for s in rich.spans_of(SpanKind.INDENTED))
    assert depth == {"1: blockquote, not nested": 1, "2: blockquote, nested": 2,
                     "1: back to level 1, no nesting": 1}  # fmt: skip
    assert npf_from_richtext(rich)[1] == {
        "type": "text",
        "subtype": "indented",
        "text": "2: blockquote, nested",
        "indent_level": 1,
    }


def test_golden_inline_formatting() -> None:
    rich = richtext_from_npf(spec_example(525))
    assert rich == RichText(
        "supercalifragilisticexpialidocious",
        (Span(0, 20, SpanKind.BOLD), Span(9, 34, SpanKind.ITALIC)),
    )
    small = richtext_from_npf(spec_example(577))
    assert [small.covered(s) for s in small.spans_of(SpanKind.SMALL)] == ["small"]
    link = richtext_from_npf(spec_example(595))
    assert link.spans == (Span(6, 10, SpanKind.LINK, "https://www.nasa.gov"),)
    colour = richtext_from_npf(spec_example(649))
    assert colour.spans == (Span(10, 15, SpanKind.COLOR, "#ff492f"),)
    assert colour.covered(colour.spans[0]) == "Pride"


def test_golden_mention_uses_the_blog_url_and_needs_the_blog_to_go_back() -> None:
    content = spec_example(620)
    rich = richtext_from_npf(content)
    assert rich.spans == (Span(13, 19, SpanKind.MENTION, "https://davidslog.com/"),)
    assert npf_from_richtext(rich, blogs=mentioned_blogs(content)) == content
    # A custom domain cannot be told from any other site without asking Tumblr: a link.
    (block,) = npf_from_richtext(rich)
    assert block["formatting"] == [
        {"start": 13, "end": 19, "type": "link", "url": "https://davidslog.com/"}
    ]


def test_golden_empty_blocks_at_the_ends_are_trimmed_as_the_spec_says() -> None:
    before, after = spec_example(194), spec_example(227)
    rich = richtext_from_npf(before)
    assert rich.text == "ello!\n\n\n\nmy name is cyle!"  # the inner empty block stays
    assert richtext_from_npf(after) == rich
    assert npf_from_richtext(rich) == after


def test_golden_chat_and_headings() -> None:
    rich = richtext_from_npf(spec_example(303))
    assert rich.text == "what a great conversation\n\ncyle: ello\n\noli: i'm oli"
    assert [(rich.covered(s), s.kind, s.value) for s in rich.spans] == [
        ("what a great conversation", SpanKind.HEADING, "2"),
        ("cyle: ello", SpanKind.CHAT, ""),
        ("cyle:", SpanKind.BOLD, ""),
        ("oli: i'm oli", SpanKind.CHAT, ""),
        ("oli", SpanKind.BOLD, ""),
    ]


def test_kotlr_size_formats() -> None:
    """kotlr keeps an older `size` form; `small` maps to SMALL, `big` has no model kind."""
    samples = fixture_path("kotlr/lib/samples/officialSamples/textFormat")
    small = json.loads((samples / "sizeSmall.json").read_text())
    big = json.loads((samples / "sizeBig.json").read_text())
    text = "Celebrate Pride Month"
    rich = richtext_from_npf([{"type": "text", "text": text, "formatting": [small, big]}])
    assert rich == RichText(text, (Span(10, 15, SpanKind.SMALL),))


def test_non_text_blocks_are_skipped_and_break_lists() -> None:
    image: dict[str, Any] = {"type": "image", "media": [{"url": "https://e.x/a.jpg"}]}
    item: Mapping[str, Any] = {"type": "text", "subtype": "unordered-list-item", "text": "a"}
    rich = richtext_from_npf([dict(item), image, {**item, "text": "b"}, {**item, "text": "c"}])
    assert rich.text == "a\n\nb\nc"
    assert len(rich.spans_of(SpanKind.LIST_ITEM)) == 3
