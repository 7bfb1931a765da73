from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crosspost.errors import CrosspostError, InvalidPostError
from crosspost.model import (
    SCHEMA_VERSION,
    Platform,
    Post,
    PostRef,
    RichText,
    Span,
    SpanKind,
)
from tests.strategies import posts

REF = PostRef(Platform.BLUESKY, "alice.test", "at://did:plc:abc/app.bsky.feed.post/3k")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@given(posts(max_depth=2))
def test_any_post_survives_the_json_round_trip(post: Post) -> None:
    assert Post.from_json(post.to_json()) == post
    assert Post.loads(post.dumps()) == post


@given(posts())
def test_json_is_plain_and_carries_the_schema_version(post: Post) -> None:
    data = json.loads(post.dumps())
    assert data["schema"] == SCHEMA_VERSION
    assert data["text"]["text"] == post.text.text


@given(st.text(max_size=30), st.integers(-5, 40), st.integers(0, 40))
def test_spans_outside_the_text_are_rejected(text: str, start: int, length: int) -> None:
    end = start + length
    if start >= 0 and end <= len(text):
        assert RichText(text, (Span(start, end, SpanKind.BOLD),)).spans[0].end == end
    else:
        with pytest.raises(InvalidPostError, match="span bold"):
            RichText(text, (Span(start, end, SpanKind.BOLD),))


def test_reversed_span_is_rejected_with_a_clear_error() -> None:
    with pytest.raises(InvalidPostError, match=r"\[3, 1\) is not a valid range"):
        Span(3, 1, SpanKind.LINK, "https://example.com")


def test_model_errors_belong_to_the_one_tree() -> None:
    with pytest.raises(CrosspostError):
        RichText("hi", (Span(0, 9, SpanKind.ITALIC),))


def test_naive_datetimes_are_refused_and_aware_ones_become_utc() -> None:
    with pytest.raises(InvalidPostError, match="timezone-aware"):
        Post(REF, datetime(2024, 1, 1))
    from datetime import timedelta, timezone

    local = datetime(2024, 1, 1, 9, tzinfo=timezone(timedelta(hours=9)))
    assert Post(REF, local).created_at == datetime(2024, 1, 1, 0, tzinfo=UTC)


def test_unknown_schema_version_says_what_to_do() -> None:
    data = Post(REF, NOW).to_json() | {"schema": SCHEMA_VERSION + 1}
    with pytest.raises(InvalidPostError, match="upgrade crosspost"):
        Post.from_json(data)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("ref"), "malformed"),
        (lambda d: d.update(kind="boost"), "unknown post kind 'boost'"),
        (lambda d: d.update(created_at="yesterday"), "not an ISO 8601"),
        (lambda d: d["text"].update(spans=[[0, 99, "bold", ""]]), "outside its text"),
        (lambda d: d["text"].update(spans=[[0, 1, "blink", ""]]), "unknown span kind"),
    ],
)
def test_malformed_post_json_gives_a_clear_error(
    mutate: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = Post(REF, NOW, RichText("hello")).to_json()
    mutate(data)
    with pytest.raises(InvalidPostError, match=message):
        Post.from_json(data)


def test_loads_rejects_non_json() -> None:
    with pytest.raises(InvalidPostError, match="does not parse"):
        Post.loads("{nope")


def test_posts_are_hashable_despite_raw() -> None:
    post = Post(REF, NOW, raw={"a": [1]})
    assert hash(post) == hash(Post(REF, NOW, raw={"b": 2}))
    assert post != Post(REF, NOW, raw={"b": 2})


def test_ref_key_names_platform_account_and_id() -> None:
    assert REF.key == "bluesky:alice.test:at://did:plc:abc/app.bsky.feed.post/3k"


def test_the_post_strategy_generates_every_field() -> None:
    from dataclasses import fields

    from tests.strategies import post_fields

    assert set(post_fields()) == {f.name for f in fields(Post)}
