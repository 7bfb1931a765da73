"""to_post over every Tumblr example and real fragment under ../shared/fixtures, read in place.

Documented fragments (a block, a content list, a layout, a trail) are wrapped in the smallest
post envelope that /posts?npf=true would give them; whole /posts responses are read as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crosspost.errors import DataError
from crosspost.model import Post, PostKind
from crosspost.platforms.tumblr.read import to_post
from tests.fixtures import fixture_params

BLOCK_TYPES = {"text", "image", "link", "audio", "video", "paywall", "poll"}
LAYOUT_TYPES = {"rows", "ask", "condensed"}
FORMAT_TYPES = {"bold", "italic", "strikethrough", "small", "link", "mention", "color", "size"}
# Files that are not post content, and why (each is still opened and checked to be that shape).
NOT_POSTS = {
    "blog": "a blog object",
    "user": "a user object",
    "links": "a _links object",
    "attribution": "an attribution without its block",
    "subscription": "a Post+ subscription plan",
    "oauth": "an OAuth response",
    "response": "a non-post API response",
    "colors": "a colour palette",
}

FILES = fixture_params("tumblr-docs/extracted/*.json") + fixture_params(
    "kotlr/lib/samples/**/*.json"
)


def envelope(**fields: Any) -> dict[str, Any]:
    post = {
        "blog_name": "fixture",
        "id_string": "1234567891234567",
        "post_url": "https://fixture.tumblr.com/post/1234567891234567",
        "type": "blocks",
        "timestamp": 1618950000,
        "state": "published",
        "tags": [],
        "content": [],
        "layout": [],
    }
    post.update(fields)
    return post


def placeholder_text(count: int) -> list[dict[str, Any]]:
    return [{"type": "text", "text": f"block {i}"} for i in range(count)]


def layout_indices(layout: dict[str, Any]) -> int:
    found: list[int] = [i for row in layout.get("display", []) for i in row.get("blocks", [])]
    found += [i for row in layout.get("rows", []) for i in row]
    found += layout.get("blocks", [])
    return max(found, default=layout.get("truncate_after", 0)) + 1


def as_posts(data: Any) -> tuple[list[dict[str, Any]], str]:
    """The posts a fixture holds (wrapped when it is a fragment), or ([], why it holds none)."""
    if isinstance(data, dict) and "meta" in data:
        response = data.get("response")
        posts = response.get("posts") if isinstance(response, dict) else None
        return (posts, "") if isinstance(posts, list) else ([], NOT_POSTS["response"])
    if not isinstance(data, dict) or not data:
        return [], "an empty sample"
    if "paywall_reblog_view" in data:
        return [envelope(**data["paywall_reblog_view"])], ""
    if "id" in data and "blog" in data and "content" not in data:  # post identification
        return [envelope(id_string=str(data["id"]))], ""
    if "content" in data or "trail" in data:
        content = data.get("content", [])
        content = [content] if isinstance(content, dict) else content
        layout = data.get("layout", [])
        if not content and layout:
            content = placeholder_text(max(layout_indices(item) for item in layout))
        return [envelope(content=content, layout=layout, trail=data.get("trail", []))], ""
    kind = data.get("type")
    if kind in BLOCK_TYPES and set(data) - {"type", "url"}:  # a bare link is an attribution
        return [envelope(content=[data])], ""
    if kind in LAYOUT_TYPES:
        return [envelope(content=placeholder_text(layout_indices(data)), layout=[data])], ""
    if "layout" in data:
        count = max(layout_indices(item) for item in data["layout"])
        return [envelope(content=placeholder_text(count), layout=data["layout"])], ""
    if kind in FORMAT_TYPES and "start" in data:
        text = {"type": "text", "text": "x" * int(data["end"]), "formatting": [data]}
        return [envelope(content=[text])], ""
    if isinstance(data.get("url"), str) and str(data.get("type", "")).startswith("image/"):
        return [envelope(content=[{"type": "image", "media": [data]}])], ""
    if ("blocks" in data and "mode" in data) or set(data) == {"blocks"}:
        return [], "a row display object without its layout"
    return [], _why_not(data)


def _why_not(data: dict[str, Any]) -> str:
    keys = set(data)
    if keys & {"ask_anon", "updated"}:
        return NOT_POSTS["blog"]
    if keys & {"following", "blogs"}:
        return NOT_POSTS["user"]
    if keys & {"prev", "next", "terms_of_service"}:
        return NOT_POSTS["links"]
    if data.get("type") in {"app", "blog", "link", "post"} and "url" in keys:
        return NOT_POSTS["attribution"]
    if "monthly_price" in keys:
        return NOT_POSTS["subscription"]
    if keys & {"access_token", "grant_type"}:
        return NOT_POSTS["oauth"]
    if keys <= {"c0", "c1", "c2", "c3"}:
        return NOT_POSTS["colors"]
    return ""


def check_post(post: Post, raw: dict[str, Any]) -> None:
    assert post.ref.id == str(raw.get("id_string") or raw.get("id"))
    assert post.created_at.tzinfo is not None
    assert post.tags == tuple(raw.get("tags", []))
    assert Post.from_json(post.to_json()) == post  # survives a backup round trip
    if raw.get("trail"):
        assert len(post.trail) == len(raw["trail"])
        assert post.kind in (PostKind.REPOST, PostKind.REBLOG_WITH_COMMENT)
    # Never a silent drop: every non-text block shows up as media, a card or an Unsupported part.
    blocks = [b for b in raw.get("content", []) if isinstance(b, dict) and b.get("type") != "text"]
    carried = len(post.media) + (post.link_card is not None) + len(post.unsupported)
    assert carried >= min(len(blocks), 1)


@pytest.mark.parametrize("path", FILES)
def test_every_tumblr_fixture_reads(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    posts, why_not = as_posts(data)
    if not posts:
        assert why_not, f"{path.name} holds no post and no known reason why"
        return
    for raw in posts:
        if "timestamp" not in raw and "date" not in raw:
            # The dashboard example elides the time; the post is unusable, and says so.
            with pytest.raises(DataError, match="neither timestamp nor date"):
                to_post(raw, account="fixture")
            continue
        check_post(to_post(raw, account="fixture"), raw)


def test_fixture_count_is_reported() -> None:
    """The number of fixtures read, so a vanished folder is noticed (the report quotes it)."""
    readable = [p for p in FILES if p.values[0] is not None]
    if not readable:
        pytest.skip("shared fixtures absent")
    post_shaped = sum(
        bool(as_posts(json.loads(p.values[0].read_text(encoding="utf-8")))[0]) for p in readable
    )
    assert len(readable) >= 140
    assert post_shaped >= 100
