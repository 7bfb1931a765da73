"""hypothesis strategies for the common post model, shared by model and converter tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from crosspost.model import (
    LinkCard,
    Media,
    MediaKind,
    Piece,
    Platform,
    Poll,
    PollOption,
    Post,
    PostKind,
    PostRef,
    RichText,
    Span,
    SpanKind,
    Unsupported,
    Visibility,
)

texts = st.text(max_size=40)
small_ints = st.integers(min_value=-1, max_value=50)
aware_datetimes = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
    ),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

refs = st.builds(
    PostRef,
    platform=st.sampled_from(Platform),
    account=texts,
    id=texts,
    url=st.none() | texts,
    cid=st.none() | texts,
)


@st.composite
def rich_texts(draw: st.DrawFn, kinds: tuple[SpanKind, ...] = tuple(SpanKind)) -> RichText:
    text = draw(st.text(max_size=60))
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, len(text)))
        spans.append(Span(start, end, draw(st.sampled_from(kinds)), draw(texts)))
    return RichText(text, tuple(spans))


media = st.builds(
    Media,
    kind=st.sampled_from(MediaKind),
    url=st.none() | texts,
    alt=texts,
    width=st.none() | st.integers(0, 10_000),
    height=st.none() | st.integers(0, 10_000),
    mime=st.none() | texts,
    size=st.none() | st.integers(0, 10**9),
    sha256=st.none() | texts,
    local_path=st.none() | texts,
    poster_url=st.none() | texts,
)


def post_fields(max_depth: int = 1) -> dict[str, st.SearchStrategy[Any]]:
    """A strategy for every field of Post, by name (a test checks none is missing, so a new
    field is generated too, not left at its default)."""
    trail = st.lists(posts(max_depth - 1), max_size=2).map(tuple) if max_depth > 0 else st.just(())
    return {
        "ref": refs,
        "created_at": aware_datetimes,
        "text": rich_texts(),
        "kind": st.sampled_from(PostKind),
        "edited_at": st.none() | aware_datetimes,
        "title": texts,
        "media": st.lists(media, max_size=3).map(tuple),
        "link_card": st.none()
        | st.builds(
            LinkCard,
            url=texts,
            title=texts,
            description=texts,
            thumb_url=st.none() | texts,
            thumb_local_path=st.none() | texts,
            thumb_sha256=st.none() | texts,
        ),
        "quote_of": st.none() | refs,
        "reply_to": st.none() | refs,
        "thread_root": st.none() | refs,
        "repost_of": st.none() | refs,
        "trail": trail,
        "tags": st.lists(texts, max_size=4).map(tuple),
        "visibility": st.sampled_from(Visibility),
        "content_warning": texts,
        "sensitive": st.booleans(),
        "labels": st.lists(texts, max_size=3).map(tuple),
        "langs": st.lists(texts, max_size=2).map(tuple),
        "origin": st.none() | refs,
        "unsupported": st.lists(
            st.builds(Unsupported, kind=texts, reason=texts, text=texts), max_size=2
        ).map(tuple),
        "deleted": st.booleans(),
        "undated": st.booleans(),
        "layout": st.lists(
            st.builds(Piece, row=small_ints, media=small_ints, start=small_ints, end=small_ints),
            max_size=3,
        ).map(tuple),
        "poll": st.none()
        | st.builds(
            Poll,
            question=texts,
            options=st.lists(
                st.builds(PollOption, text=texts, votes=st.none() | small_ints), max_size=3
            ).map(tuple),
            multiple=st.booleans(),
            expires_at=st.none() | aware_datetimes,
            voters=st.none() | small_ints,
        ),
        "raw": st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    }


def posts(max_depth: int = 1) -> st.SearchStrategy[Post]:
    return st.builds(Post, **post_fields(max_depth))
