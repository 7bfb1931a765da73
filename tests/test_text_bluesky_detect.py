"""Detecting links, tags and @handles as Bluesky does, on the official SDK's own test vectors.

The vectors below are transcribed from bluesky-social/atproto
packages/api/tests/rich-text-detection.test.ts (commit cbf395d65dc589ffa3d3e4588b9d4c6a2210338b):
the shared fixtures do not carry that file. Invisible characters the original writes literally
(ZWJ inside the emoji families, U+200B, U+20E2) are spelled as escapes here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crosspost.model import RichText, Span, SpanKind
from crosspost.platforms.bluesky.richtext import (
    byte_offset,
    detect_spans,
    facets_from_richtext,
    find_handle_mentions,
    is_did,
    is_handle,
)
from tests.fixtures import fixture_path

FAMILY = "👨\u200d👩\u200d👧\u200d👧"


def segments(text: str) -> list[tuple[str, ...]]:
    """The text cut like the SDK test's `segments()`: (text,) or (text, uri-or-handle)."""
    found = [(s, e, h) for s, e, h in find_handle_mentions(text)]
    found += [(s.start, s.end, s.value) for s in detect_spans(text).spans_of(SpanKind.LINK)]
    out: list[tuple[str, ...]] = []
    cursor = 0
    for start, end, value in sorted(found):
        if start > cursor:
            out.append((text[cursor:start],))
        out.append((text[start:end], value))
        cursor = end
    if cursor < len(text) or not out:
        out.append((text[cursor:],))
    return out


SEGMENT_VECTORS: list[tuple[str, list[tuple[str, ...]]]] = [
    ("no mention", [("no mention",)]),
    ("@handle.com middle end", [("@handle.com", "handle.com"), (" middle end",)]),
    ("start @handle.com end", [("start ",), ("@handle.com", "handle.com"), (" end",)]),
    ("start middle @handle.com", [("start middle ",), ("@handle.com", "handle.com")]),
    (
        "@handle.com @handle.com @handle.com",
        [
            ("@handle.com", "handle.com"),
            (" ",),
            ("@handle.com", "handle.com"),
            (" ",),
            ("@handle.com", "handle.com"),
        ],
    ),
    ("@full123-chars.test", [("@full123-chars.test", "full123-chars.test")]),
    ("not@right", [("not@right",)]),
    ("@handle.com!@#$chars", [("@handle.com", "handle.com"), ("!@#$chars",)]),
    (
        "@handle.com\n@handle.com",
        [("@handle.com", "handle.com"), ("\n",), ("@handle.com", "handle.com")],
    ),
    ("parenthetical (@handle.com)", [("parenthetical (",), ("@handle.com", "handle.com"), (")",)]),
    (
        f"{FAMILY} @handle.com {FAMILY}",
        [(f"{FAMILY} ",), ("@handle.com", "handle.com"), (f" {FAMILY}",)],
    ),
    (
        "start https://middle.com end",
        [("start ",), ("https://middle.com", "https://middle.com"), (" end",)],
    ),
    (
        "start https://middle.com/foo/bar?baz=bux#hash end",
        [("start ",), ("https://middle.com/foo/bar?baz=bux#hash",) * 2, (" end",)],
    ),
    (
        "https://start.com/foo/bar?baz=bux#hash middle end",
        [("https://start.com/foo/bar?baz=bux#hash",) * 2, (" middle end",)],
    ),
    (
        "https://newline1.com\nhttps://newline2.com",
        [("https://newline1.com",) * 2, ("\n",), ("https://newline2.com",) * 2],
    ),
    (
        f"{FAMILY} https://middle.com {FAMILY}",
        [(f"{FAMILY} ",), ("https://middle.com",) * 2, (f" {FAMILY}",)],
    ),
    ("start middle.com end", [("start ",), ("middle.com", "https://middle.com"), (" end",)]),
    (
        "start middle.com/foo/bar?baz=bux#hash end",
        [
            ("start ",),
            ("middle.com/foo/bar?baz=bux#hash", "https://middle.com/foo/bar?baz=bux#hash"),
            (" end",),
        ],
    ),
    (
        "start middle end.com/foo/bar?baz=bux#hash",
        [
            ("start middle ",),
            ("end.com/foo/bar?baz=bux#hash", "https://end.com/foo/bar?baz=bux#hash"),
        ],
    ),
    (
        "newline1.com\nnewline2.com",
        [
            ("newline1.com", "https://newline1.com"),
            ("\n",),
            ("newline2.com", "https://newline2.com"),
        ],
    ),
    (
        "a example.com/index.php php link",
        [("a ",), ("example.com/index.php", "https://example.com/index.php"), (" php link",)],
    ),
    (
        "a trailing bsky.app: colon",
        [("a trailing ",), ("bsky.app", "https://bsky.app"), (": colon",)],
    ),
    ("not.. a..url ..here", [("not.. a..url ..here",)]),
    ("e.g.", [("e.g.",)]),
    ("something-cool.jpg", [("something-cool.jpg",)]),
    ("website.com.jpg", [("website.com.jpg",)]),
    ("e.g./foo", [("e.g./foo",)]),
    ("website.com.jpg/foo", [("website.com.jpg/foo",)]),
    (
        "Classic article "
        "https://socket3.wordpress.com/2018/02/03/designing-windows-95s-user-interface/ ",
        [
            ("Classic article ",),
            ("https://socket3.wordpress.com/2018/02/03/designing-windows-95s-user-interface/",) * 2,
            (" ",),
        ],
    ),
    (
        "punctuation https://foo.com, https://bar.com/whatever; https://baz.com.",
        [
            ("punctuation ",),
            ("https://foo.com",) * 2,
            (", ",),
            ("https://bar.com/whatever",) * 2,
            ("; ",),
            ("https://baz.com",) * 2,
            (".",),
        ],
    ),
    ("parenthentical (https://foo.com)", [("parenthentical (",), ("https://foo.com",) * 2, (")",)]),
    (
        "except for https://foo.com/thing_(cool)",
        [("except for ",), ("https://foo.com/thing_(cool)",) * 2],
    ),
]


@pytest.mark.parametrize(("text", "expected"), SEGMENT_VECTORS, ids=[t for t, _ in SEGMENT_VECTORS])
def test_links_and_mentions_as_the_sdk_detects_them(
    text: str, expected: list[tuple[str, ...]]
) -> None:
    assert segments(text) == expected


TAG_VECTORS: list[tuple[str, list[str], list[tuple[int, int]]]] = [
    ("#a", ["a"], [(0, 2)]),
    ("#a #b", ["a", "b"], [(0, 2), (3, 5)]),
    ("#1", [], []),
    ("#1a", ["1a"], [(0, 3)]),
    ("#tag", ["tag"], [(0, 4)]),
    ("body #tag", ["tag"], [(5, 9)]),
    ("#tag body", ["tag"], [(0, 4)]),
    ("body #tag body", ["tag"], [(5, 9)]),
    ("body #1", [], []),
    ("body #1a", ["1a"], [(5, 8)]),
    ("body #a1", ["a1"], [(5, 8)]),
    ("#", [], []),
    ("#?", [], []),
    ("text #", [], []),
    ("text # text", [], []),
    (
        "body #thisisa64characterstring_" + "a" * 39,
        ["thisisa64characterstring_" + "a" * 39],
        [(5, 70)],
    ),
    ("body #thisisa65characterstring_" + "a" * 39 + "b", [], []),
    (
        "body #thisisa64characterstring_" + "a" * 39 + "!",
        ["thisisa64characterstring_" + "a" * 39],
        [(5, 70)],
    ),
    ("its a #double#rainbow", ["double#rainbow"], [(6, 21)]),
    ("##hashash", ["#hashash"], [(0, 9)]),
    ("##", [], []),
    ("some #n0n3s@n5e!", ["n0n3s@n5e"], [(5, 15)]),
    ("works #with,punctuation", ["with,punctuation"], [(6, 23)]),
    (
        "strips trailing #punctuation, #like. #this!",
        ["punctuation", "like", "this"],
        [(16, 28), (30, 35), (37, 42)],
    ),
    ("strips #multi_trailing___...", ["multi_trailing"], [(7, 22)]),
    ("works with #🦋 emoji, and #butter🦋fly", ["🦋", "butter🦋fly"], [(11, 16), (28, 42)]),
    (
        "#same #same #but #diff",
        ["same", "same", "but", "diff"],
        [(0, 5), (6, 11), (12, 16), (17, 22)],
    ),
    ("this #\ufe0f\u20e3tag should not be a tag", [], []),
    ("this ##\ufe0f\u20e3tag should be a tag", ["#\ufe0f\u20e3tag"], [(5, 16)]),
    ("this #t\nag should be a tag", ["t"], [(5, 7)]),
    ("no match (\\u200B): #\u200b", [], []),
    ("no match (\\u200Ba): #\u200ba", [], []),
    ("match (a\\u200Bb): #a\u200bb", ["a"], [(18, 20)]),
    ("match (ab\\u200B): #ab\u200b", ["ab"], [(18, 21)]),
    ("no match (\\u20e2tag): #\u20e2tag", [], []),
    ("no match (a\\u20e2b): #a\u20e2b", ["a"], [(21, 23)]),
    ("match full width number sign (tag): ＃tag", ["tag"], [(36, 42)]),
    ("match full width number sign (tag): ＃#\ufe0f\u20e3tag", ["#\ufe0f\u20e3tag"], [(36, 49)]),
    ("no match 1?: #1?", [], []),
]


@pytest.mark.parametrize(
    ("text", "tags", "indices"), TAG_VECTORS, ids=[t for t, _, _ in TAG_VECTORS]
)
def test_tags_as_the_sdk_detects_them(
    text: str, tags: list[str], indices: list[tuple[int, int]]
) -> None:
    spans = detect_spans(text).spans_of(SpanKind.TAG)
    assert [s.value for s in spans] == tags
    assert [(byte_offset(text, s.start), byte_offset(text, s.end)) for s in spans] == indices


def test_detected_spans_become_facets_with_the_sdks_byte_ranges() -> None:
    text = f"{FAMILY} #🦋 see bsky.app/profile, @handle.com"
    facets = facets_from_richtext(detect_spans(text))
    assert [(f["index"]["byteStart"], f["index"]["byteEnd"]) for f in facets] == [
        (26, 31),
        (36, 52),
    ]
    assert [f["features"][0] for f in facets] == [
        {"$type": "app.bsky.richtext.facet#tag", "tag": "🦋"},
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://bsky.app/profile"},
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi @Alice.Bsky.Social!", [(3, 21, "alice.bsky.social")]),  # lowercased for resolving
        ("mail me at bob@example.com", []),
        ("@bob", []),  # no domain: not a handle
        ("@bob.notatld", []),
        ("@laptop.local and @box.arpa", []),  # TLDs the handle spec refuses
        ("@-bad.com", []),  # a label may not start with "-"
        ("ends a sentence: @alice.test.", [(17, 28, "alice.test")]),
        ("see https://x.com/(@alice.test", []),  # inside a link, where Bluesky keeps the link
        ("#tag(@alice.test", []),  # inside a tag
    ],
)
def test_handle_mentions(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert find_handle_mentions(text) == expected


def syntax_values(name: str) -> list[str]:
    lines = Path(fixture_path(f"atproto-interop-tests/syntax/{name}")).read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def test_valid_handles_from_the_interop_tests() -> None:
    found: set[str] = set()
    for handle in syntax_values("handle_syntax_valid.txt"):
        assert is_handle(handle), handle
        mentions = find_handle_mentions(f"cc @{handle} thanks")
        assert mentions in ([], [(3, 4 + len(handle), handle.lower())]), handle
        found.update(m[2] for m in mentions)
    # a known TLD or .test is a mention; an unknown TLD, .local, .arpa and .onion are not
    assert {"john.test", "a.co", "xx.lcs.mit.edu", "xn--3jk.com", "8.cn"} <= found
    assert (
        not {"laptop.local", "laptop.arpa", "expyuzz4wqqyqhjn.onion", "4chan.o-g", "john.t"} & found
    )


def test_invalid_handles_from_the_interop_tests_are_never_mentions() -> None:
    values = syntax_values("handle_syntax_invalid.txt")
    assert len(values) > 40
    for handle in values:
        assert not is_handle(handle), handle
        for _start, _end, found in find_handle_mentions(f"cc @{handle} thanks"):
            assert found != handle.lower()
            assert is_handle(found)


def test_dids_from_the_interop_tests() -> None:
    valid, invalid = syntax_values("did_syntax_valid.txt"), syntax_values("did_syntax_invalid.txt")
    assert len(valid) > 15
    assert len(invalid) > 15
    for did in valid:
        assert is_did(did), did
        assert len(facets_from_richtext(_mention_of(did))) == 1, did
    for did in invalid:
        assert not is_did(did), did
        assert facets_from_richtext(_mention_of(did)) == [], did


def _mention_of(did: str) -> RichText:
    return RichText("@someone", (Span(0, 8, SpanKind.MENTION, did),))


@given(st.text(max_size=80))
def test_detection_never_crashes_and_spans_cover_what_they_name(text: str) -> None:
    rich = detect_spans(text)
    for span in rich.spans:
        covered = rich.covered(span)
        if span.kind is SpanKind.TAG:
            assert covered[0] in "#＃"
            assert covered[1:] == span.value
        else:
            assert span.value.endswith(covered.removeprefix("http://").removeprefix("https://"))
    for start, end, handle in find_handle_mentions(text):
        assert text[start] == "@"
        assert text[start + 1 : end].lower() == handle
        assert is_handle(handle)
