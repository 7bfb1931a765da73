"""`to_post` on every post view in the AppView's own Jest/Vitest snapshots (bluesky-atproto).

The snapshots (packages/bsky/tests/views/__snapshots__/*.snap) are what the real AppView code
answered to getAuthorFeed, getPosts and getQuotes over dev-env seed data. They are JavaScript
(`exports[name] = \\`...\\``) holding pretty-format text, not JSON; `snapshot_to_json` converts
that text. DIDs, CIDs and at:// URIs are placeholders (`user(0)`, `cids(0)`, `record(0)`); the
URIs of posts that the snapshots show are turned back into at:// post URIs so quotes resolve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from crosspost.model import MediaKind, Post, PostKind
from crosspost.platforms.bluesky.read import to_post
from crosspost.platforms.bluesky.tid import encode_tid
from tests.fixtures import fixture_params

SNAPSHOTS = "bluesky-atproto/packages/bsky/tests/views/__snapshots__/*.snap"
# Post views per file as this fixture version holds them (MANIFEST.md pins the commit): an exact
# count catches a converter that silently drops part of a snapshot.
EXPECTED = {"author-feed.test.ts.snap": 77, "posts.test.ts.snap": 10, "quotes.test.ts.snap": 4}

_EXPORT = re.compile(r"^exports\[`(.*?)`\] = `\n(.*?)\n`;$", re.MULTILINE | re.DOTALL)
_TEMPLATE_ESCAPE = re.compile(r"\\([\\`$])")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>(?:Object\ |Array\ )?[{\[])
      | (?P<close>[}\]])
      | (?P<comma>,)
      | (?P<colon>:)
      | (?P<string>")
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<word>true|false|null|undefined)
    )""",
    re.VERBOSE,
)
# With escapeString off (Jest >= 29, Vitest), a string's quotes are not escaped inside it; a
# string ends at the quote that a property colon, a comma, a line end or a closing bracket follows.
_STRING_END = re.compile(r'"(?=:\s|,?\n|,?\s*[}\]]|,?$)')


def read_snapshots(text: str) -> Iterator[tuple[str, str]]:
    """(name, pretty-format text) of each `exports[...]` in a .snap file."""
    for match in _EXPORT.finditer(text):
        yield match.group(1), _TEMPLATE_ESCAPE.sub(r"\1", match.group(2))


def snapshot_to_json(text: str) -> Any:
    """A pretty-format value (`Object {`/`Array [` or bare, trailing commas) as JSON data."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"unexpected pretty-format at {pos}: {text[pos : pos + 40]!r}")
        kind, token = match.lastgroup, match.group(match.lastgroup or 0)
        pos = match.end()
        if kind == "open":
            out.append(token[-1])
        elif kind == "close":
            if out and out[-1] == ",":
                out.pop()  # pretty-format's trailing comma
            out.append(token)
        elif kind == "string":
            end = _STRING_END.search(text, pos)
            if end is None:
                raise ValueError(f"unterminated string at {pos}")
            out.append(json.dumps(text[pos : end.start()]))
            pos = end.end()
        elif kind == "word":
            out.append("null" if token == "undefined" else token)
        else:
            out.append(token)
    return json.loads("".join(out))


def test_converter_reads_both_pretty_format_styles() -> None:
    old = 'Object {\n  "a": Array [\n    "x, \\"y\\"",\n    1.5,\n    undefined,\n  ],\n}'
    assert snapshot_to_json(old) == {"a": ['x, \\"y\\"', 1.5, None]}
    new = '{\n  "b": [],\n  "c": "he said "hi", twice",\n  "d": {\n    "e": false,\n  },\n}'
    assert snapshot_to_json(new) == {"b": [], "c": 'he said "hi", twice', "d": {"e": False}}
    escaped = 'exports[`x 1`] = `\n"a \\` b"\n`;'
    assert [snapshot_to_json(t) for _, t in read_snapshots(escaped)] == ["a ` b"]


# --- finding post views ----------------------------------------------------------------------


def _walk(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def is_post_view(value: Mapping[str, Any]) -> bool:
    record = value.get("record")
    return (
        isinstance(value.get("author"), Mapping)
        and isinstance(value.get("uri"), str)
        and isinstance(record, Mapping)
        and record.get("$type") == "app.bsky.feed.post"
    )


def _placeholder_did(placeholder: str) -> str:
    return "did:plc:" + re.sub(r"\W", "", placeholder).ljust(24, "x")


def with_real_ids(data: Any) -> Any:
    """DIDs and the URIs of the posts shown made real-shaped (at://did/app.bsky.feed.post/TID),
    everywhere they occur, so refs, quotes and self-labels come out as they would live."""
    uris: dict[str, str] = {}
    for node in _walk(data):
        value = node.get("record") if is_post_view(node) else node.get("value")
        author = node.get("author")
        uri = node.get("uri")
        is_post = isinstance(value, Mapping) and value.get("$type") == "app.bsky.feed.post"
        if is_post and isinstance(author, Mapping) and isinstance(uri, str) and uri not in uris:
            did = _placeholder_did(str(author.get("did")))
            rkey = encode_tid(1_700_000_000_000_000 + len(uris), 0)
            uris[uri] = f"at://{did}/app.bsky.feed.post/{rkey}"

    def fix(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: fix(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fix(item) for item in value]
        if isinstance(value, str):
            if value in uris:
                return uris[value]
            if re.fullmatch(r"user\(\d+\)", value):
                return _placeholder_did(value)
        return value

    return fix(data)


def post_views(path: Path) -> list[Mapping[str, Any]]:
    views: list[Mapping[str, Any]] = []
    for _, text in read_snapshots(path.read_text(encoding="utf-8")):
        data = with_real_ids(snapshot_to_json(text))
        views += [node for node in _walk(data) if is_post_view(node)]
    return views


# --- expectations from the record itself -----------------------------------------------------


def _media_of(embed: Mapping[str, Any]) -> list[tuple[MediaKind, str]]:
    kind = str(embed.get("$type", ""))
    if kind == "app.bsky.embed.recordWithMedia":
        return _media_of(embed.get("media") or {})
    if kind in ("app.bsky.embed.images", "app.bsky.embed.gallery"):
        items = embed.get("images") or embed.get("items") or []
        return [
            (
                MediaKind.GIF if item["image"].get("mimeType") == "image/gif" else MediaKind.IMAGE,
                item.get("alt", ""),
            )
            for item in items
        ]
    if kind == "app.bsky.embed.video":
        return [(MediaKind.VIDEO, embed.get("alt", ""))]
    return []


def _quoted_uri(embed: Mapping[str, Any]) -> str | None:
    kind = str(embed.get("$type", ""))
    record = embed.get("record") or {}
    if kind == "app.bsky.embed.recordWithMedia":
        record = record.get("record") or {}
    elif kind != "app.bsky.embed.record":
        return None
    uri = record.get("uri")
    return uri if isinstance(uri, str) else None


def _quoted_view(embed: Mapping[str, Any]) -> Mapping[str, Any] | None:
    record = embed.get("record") or {}
    if "record" in record and "value" not in record:  # recordWithMedia#view
        record = record["record"]
    value = record.get("value")
    return record if isinstance(value, Mapping) and "text" in value else None


def check_post_view(view: Mapping[str, Any]) -> Post:
    post = to_post(view, account="alice")
    record = view["record"]
    embed = record.get("embed") or {}
    assert post.ref.id == view["uri"]
    assert post.ref.cid == view["cid"]
    assert post.text.text == record["text"]
    assert [(m.kind, m.alt) for m in post.media] == _media_of(embed)
    assert all(m.url for m in post.media)
    quoted = _quoted_uri(embed)
    if record.get("reply"):
        assert post.kind is PostKind.REPLY
        assert post.reply_to is not None
        assert post.reply_to.id == record["reply"]["parent"]["uri"]
    elif quoted and "/app.bsky.feed.post/" in quoted:
        assert post.kind is PostKind.QUOTE
    if quoted and "/app.bsky.feed.post/" in quoted:
        assert post.quote_of is not None
        assert post.quote_of.id == quoted
    shown = _quoted_view(view.get("embed") or {})
    if shown is not None:
        assert [quote.text.text for quote in post.trail] == [shown["value"]["text"]]
        assert post.trail[0].ref.id == shown["uri"]
    own = [v["val"] for v in (record.get("labels") or {}).get("values", [])]
    assert set(own) <= set(post.labels)
    # Only quotes of records the snapshot does not show (so of unknown collection) are unsupported.
    assert all(u.kind == "embedded record" for u in post.unsupported), post.unsupported
    return post


@pytest.mark.parametrize("path", fixture_params(SNAPSHOTS))
def test_every_post_view_in_the_appview_snapshots_converts(path: Path) -> None:
    views = post_views(path)
    posts = [check_post_view(view) for view in views]
    assert len(posts) == EXPECTED.get(path.name, len(posts))
    assert posts


@pytest.mark.parametrize("path", fixture_params(SNAPSHOTS))
def test_feed_items_with_a_repost_reason_become_reposts(path: Path) -> None:
    for _, text in read_snapshots(path.read_text(encoding="utf-8")):
        data = with_real_ids(snapshot_to_json(text))
        items = data.get("feed", []) if isinstance(data, Mapping) else data
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping) or "post" not in item:
                continue
            post = to_post(item, account="alice")
            reposted = str((item.get("reason") or {}).get("$type", "")).endswith("reasonRepost")
            assert (post.kind is PostKind.REPOST) is reposted
            if reposted:
                assert post.repost_of is not None
                assert post.repost_of.id == item["post"]["uri"]
