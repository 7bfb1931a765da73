"""Facets of every real post record in the shared fixtures, read in place: each facet's span
covers exactly the bytes it named, and writing the facets back gives the same facets."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libipld
import pytest
import yaml
from atproto_core.car import CAR

from crosspost.model import Span, SpanKind
from crosspost.platforms.bluesky.richtext import (
    FACET_TYPE,
    MAX_TAG_BYTES,
    MAX_TAG_GRAPHEMES,
    byte_offset,
    detect_spans,
    facets_from_richtext,
    find_handle_mentions,
    richtext_from_facets,
)
from tests.fixtures import fixture_params, fixture_path, fixtures_root

POST_TYPE = "app.bsky.feed.post"
KINDS = {
    f"{FACET_TYPE}#link": (SpanKind.LINK, "uri"),
    f"{FACET_TYPE}#mention": (SpanKind.MENTION, "did"),
    f"{FACET_TYPE}#tag": (SpanKind.TAG, "tag"),
}


# --- reading records out of every kind of file the fixtures hold ---------------------------------


def records_in(data: Any) -> Iterator[dict[str, Any]]:
    """Post records anywhere inside decoded data: objects with a text and a post $type or facets."""
    if isinstance(data, dict):
        if isinstance(data.get("text"), str) and (
            data.get("$type") == POST_TYPE or "facets" in data
        ):
            yield data
        for value in data.values():
            yield from records_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from records_in(value)


def _snapshot(path: Path) -> list[Any]:
    # Jest/Vitest pretty-format is JSON but for `Object {`/`Array [` and trailing commas. The
    # snapshots replace real DIDs by `user(N)`; put a DID back so mentions stay mentions.
    blocks = re.findall(r"^exports\[`.*?`\] = `\n(.*?)\n`;$", path.read_text(), re.S | re.M)
    bodies = [
        re.sub(r",(\s*[}\]])", r"\1", re.sub(r"\b(Object|Array) (?=[{\[])", "", b)) for b in blocks
    ]
    text = re.sub(r'"user\((\d+)\)"', r'"did:plc:snapshotuser\1"', "[" + ",".join(bodies) + "]")
    return list(json.loads(text))


def _js_example(path: Path) -> list[Any]:
    # post-richtext.md shows its post as a JavaScript object literal: quote keys, swap quotes.
    block = re.search(r"In a post, it looks like this:\s*```js\n(.*?)```", path.read_text(), re.S)
    assert block is not None, "the post example moved in post-richtext.md"
    literal = re.sub(r"([{,\s])(\$?[A-Za-z_]\w*):(?=\s)", r'\1"\2":', block.group(1))
    return [json.loads(literal.replace("'", '"'))]


def _cassette(path: Path) -> list[Any]:
    bodies = []
    for interaction in yaml.safe_load(path.read_text())["http_interactions"]:
        body = interaction["response"]["body"].get("string", "")
        try:
            bodies.append(json.loads(body))
        except ValueError:
            continue  # an upload response or an empty body
    return bodies


def load(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".json":
        data: Any = json.loads(path.read_text())
    elif path.suffix == ".cbor":
        data = libipld.decode_dag_cbor(path.read_bytes())
    elif path.suffix == ".car":
        data = list(CAR.from_bytes(path.read_bytes()).blocks.values())
    elif path.suffix == ".yml":
        data = _cassette(path)
    elif path.suffix == ".snap":
        data = _snapshot(path)
    elif path.name == "post-richtext.md":
        data = _js_example(path)
    else:
        raise AssertionError(f"no reader for {path}")
    return list(records_in(data))


SOURCES = {
    "bsky-docs": ["bsky-docs/extracted/*.json", "bsky-docs/docs/advanced-guides/post-richtext.md"],
    "bluesky-indigo": [
        "bluesky-indigo/**/*.json",
        "bluesky-indigo/**/*.cbor",
        "bluesky-indigo/**/*.car",
    ],
    "marshalx-atproto": ["marshalx-atproto/**/*.json"],
    "bskyr": ["bskyr/**/*.yml"],
    "bluesky-atproto": ["bluesky-atproto/**/*.snap", "bluesky-atproto/packages/**/*.json"],
}
FILES = [
    param
    for patterns in SOURCES.values()
    for pattern in patterns
    for param in fixture_params(pattern)
]


# --- the checks ----------------------------------------------------------------------------------


def check_record(record: dict[str, Any]) -> int:
    """Check one record's facets both ways; the number of facets checked."""
    text, facets = record["text"], record.get("facets") or []
    rich = richtext_from_facets(text, facets)
    assert rich.text == text
    data = text.encode("utf-8")
    spans = iter(rich.spans)
    for facet in facets:
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        for feature in facet["features"]:
            kind, key = KINDS[feature["$type"]]
            span = next(spans)
            assert (span.kind, span.value) == (kind, feature[key])
            assert rich.covered(span) == data[start:end].decode("utf-8")
            assert (byte_offset(text, span.start), byte_offset(text, span.end)) == (start, end)
    assert next(spans, None) is None
    assert facets_from_richtext(rich) == [{"$type": FACET_TYPE, **facet} for facet in facets]
    return len(facets)


def check_detection_agrees(record: dict[str, Any]) -> None:
    """Every real mention facet, and every link facet showing its own URL, is found by ours."""
    text = record["text"]
    links = {(s.start, s.end) for s in detect_spans(text).spans_of(SpanKind.LINK)}
    mentions = {(start, end) for start, end, _ in find_handle_mentions(text)}
    for span in richtext_from_facets(text, record.get("facets")).spans:
        if span.kind is SpanKind.LINK and not span.value.endswith(rich_covered(text, span)):
            continue  # link text the author wrote ("this site"): nothing to detect
        found = {SpanKind.LINK: links, SpanKind.MENTION: mentions}.get(span.kind)
        assert found is None or (span.start, span.end) in found, (text, span)


def rich_covered(text: str, span: Span) -> str:
    return text[span.start : span.end]


@pytest.mark.parametrize("path", FILES)
def test_real_records_facets_cover_their_bytes_and_round_trip(path: Path) -> None:
    for record in load(path):
        check_record(record)
        check_detection_agrees(record)


def corpus() -> dict[str, tuple[int, int, int]]:
    """Per source: (records, records with facets, facets) checked by the test above."""
    root = fixtures_root()
    assert root is not None
    counts = {}
    for source, patterns in SOURCES.items():
        records = [r for pattern in patterns for p in sorted(root.glob(pattern)) for r in load(p)]
        with_facets = [r for r in records if r.get("facets")]
        counts[source] = (
            len(records),
            len(with_facets),
            sum(len(r["facets"]) for r in with_facets),
        )
    return counts


def test_the_fixture_corpus_is_really_read() -> None:
    root = fixtures_root()
    missing = [source for source in SOURCES if root is None or not (root / source).is_dir()]
    if missing:
        pytest.skip(f"shared fixtures not found: {', '.join(missing)}")
    counts = corpus()
    # Floors, not exact numbers: the fixtures may grow, but a reader that finds nothing fails.
    assert counts["bsky-docs"][2] >= 3
    assert counts["bluesky-indigo"][0] >= 30
    assert counts["bluesky-indigo"][2] >= 1
    assert counts["bskyr"][2] >= 2
    assert counts["bluesky-atproto"][2] >= 9
    assert counts["marshalx-atproto"][0] >= 3


def test_the_lexicon_names_what_we_write() -> None:
    lexicon = json.loads(
        fixture_path("bluesky-atproto/lexicons/app/bsky/richtext/facet.json").read_text()
    )
    assert lexicon["id"] == FACET_TYPE
    for feature, (_kind, key) in KINDS.items():
        definition = lexicon["defs"][feature.partition("#")[2]]
        assert definition["required"] == [key]
    tag = lexicon["defs"]["tag"]["properties"]["tag"]
    assert (tag["maxGraphemes"], tag["maxLength"]) == (MAX_TAG_GRAPHEMES, MAX_TAG_BYTES)
    assert lexicon["defs"]["byteSlice"]["required"] == ["byteStart", "byteEnd"]
