"""Drafts -> Dreamwidth postevent arguments, and the import_source marker both ways."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from crosspost.errors import InvalidPostError
from crosspost.model import (
    Media,
    MediaKind,
    Platform,
    PostRef,
    RichText,
    Span,
    SpanKind,
    Visibility,
)
from crosspost.platforms.base import Draft
from crosspost.platforms.dreamwidth.marker import (
    MAX_PROP_CHARS,
    marker_fragment,
    marker_key,
    marker_props,
    matches,
    origin_of,
)
from crosspost.platforms.dreamwidth.read import to_post
from crosspost.platforms.dreamwidth.write import from_draft
from crosspost.platforms.spec import WriteContext

NOW = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
ORIGIN = PostRef(Platform.MASTODON, "bob@social.example", "111", "https://social.example/@bob/111")


def draft(**changes: Any) -> Draft:
    base = Draft(text=RichText("Hello there"), idempotency_key="src->dw#0", origin=ORIGIN)
    return replace(base, **changes)


def test_public_draft_dated_now_with_marker_and_raw_format() -> None:
    args = from_draft(draft(tags=("my art", "a,b")), WriteContext(now=NOW))
    assert args == {
        "subject": "",
        "event": "<p>Hello there</p>",
        "year": 2030,
        "mon": 5,
        "day": 6,
        "hour": 7,
        "min": 8,
        "props": {
            "editor": "html_raw0",
            "opt_preformatted": 1,
            "taglist": "my art, a b",
            "import_source": "https://social.example/@bob/111#" + marker_fragment("src->dw#0"),
        },
    }


@pytest.mark.parametrize(
    ("visibility", "security"),
    [
        (Visibility.PUBLIC, {}),
        (Visibility.UNLISTED, {}),
        (Visibility.FOLLOWERS, {"security": "usemask", "allowmask": 1}),
        (Visibility.DIRECT, {"security": "private"}),
        (Visibility.PRIVATE, {"security": "private"}),
    ],
)
def test_visibility_is_never_widened(visibility: Visibility, security: dict[str, object]) -> None:
    args = from_draft(draft(visibility=visibility), WriteContext(now=NOW))
    assert {k: args[k] for k in ("security", "allowmask") if k in args} == security


def test_a_kept_date_is_backdated_in_utc() -> None:
    when = datetime(2004, 6, 1, 20, 30, tzinfo=timezone(timedelta(hours=2)))
    args = from_draft(draft(created_at=when), WriteContext(now=NOW))
    assert (args["year"], args["mon"], args["day"], args["hour"], args["min"]) == (
        2004,
        6,
        1,
        18,
        30,
    )
    assert args["props"]["opt_backdated"] == 1


@pytest.mark.parametrize("year", [1969, 2038])
def test_a_date_dreamwidth_refuses_says_so(year: int) -> None:
    when = datetime(year, 6, 1, tzinfo=UTC)
    with pytest.raises(InvalidPostError, match="1970 to 2037"):
        from_draft(draft(created_at=when), WriteContext(now=NOW))


def test_a_leading_heading_is_the_subject() -> None:
    text = RichText(
        "My title\n\nThe body", (Span(0, 8, SpanKind.HEADING, "1"), Span(14, 18, SpanKind.BOLD))
    )
    args = from_draft(draft(text=text), WriteContext(now=NOW))
    assert args["subject"] == "My title"
    assert args["event"] == "<p>The <strong>body</strong></p>"


def test_a_warning_folds_the_entry_and_reads_back() -> None:
    media = (
        Media(MediaKind.IMAGE, url="https://pics.example/a.jpg", alt='a "cat"', width=4, height=3),
    )
    d = draft(content_warning="spoilers", media=media, labels=("nudity",))
    args = from_draft(d, WriteContext(now=NOW))
    assert args["event"] == (
        '<cut text="Content warning: spoilers"><p>Hello there</p>'
        '<p><img src="https://pics.example/a.jpg" alt="a &quot;cat&quot;" width="4" height="3" />'
        "</p></cut>"
    )
    assert args["props"]["adult_content"] == "explicit"
    native = {
        "ditemid": 300,
        "logtime": "2030-05-06 07:08:00",
        "event": args["event"],
        "subject": args["subject"],
        "props": args["props"],
    }
    post = to_post(native, account="me")
    assert post.content_warning == "spoilers"
    assert post.sensitive
    assert post.text == d.text
    assert post.media == media
    assert post.origin == ORIGIN
    assert post.unsupported == ()


def test_uploads_replace_media_urls_and_unsafe_urls_are_left_out() -> None:
    media = (
        Media(MediaKind.IMAGE, url="https://source.example/a.png"),
        Media(MediaKind.VIDEO, url="javascript:alert(1)"),
    )
    args = from_draft(
        draft(media=media), WriteContext(now=NOW, uploads=("https://host.example/a.png",))
    )
    assert (
        args["event"] == '<p>Hello there</p><p><img src="https://host.example/a.png" alt="" /></p>'
    )


def test_draft_text_round_trips() -> None:
    text = RichText(
        "hi alice\n\n• not a list",
        (
            Span(3, 8, SpanKind.MENTION, "https://alice.dreamwidth.org/"),
            Span(10, 22, SpanKind.ITALIC),
        ),
    )
    args = from_draft(draft(text=text), WriteContext(now=NOW))
    native = {
        "ditemid": 1,
        "logtime": "2030-01-01 00:00:00",
        "event": args["event"],
        "props": args["props"],
    }
    assert to_post(native, account="me").text == text


# --- marker --------------------------------------------------------------------------------------


def test_marker_names_the_origin_and_the_attempt() -> None:
    props = marker_props(ORIGIN, "k1")
    native = {"props": props}
    assert origin_of(native) == ORIGIN
    assert marker_key(native) == marker_fragment("k1")
    assert matches(native, draft(idempotency_key="k1"))
    assert not matches(native, draft(idempotency_key="k2"))
    assert not matches({"props": {}}, draft(idempotency_key="k1"))


def test_a_marker_too_long_for_a_prop_keeps_its_fragment() -> None:
    long_ref = PostRef(Platform.MASTODON, "x@y", "1", "https://" + "a" * 90 + ".example/@x/1")
    props = marker_props(long_ref, "k1")
    assert props == {"import_source": "#" + marker_fragment("k1")}
    assert len(marker_props(ORIGIN, "k1")["import_source"]) <= MAX_PROP_CHARS
    assert origin_of({"props": props}) is None
    assert marker_key({"props": props}) == marker_fragment("k1")


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        (
            "https://bsky.app/profile/did:plc:abc/post/3k2a",
            PostRef(
                Platform.BLUESKY,
                "did:plc:abc",
                "at://did:plc:abc/app.bsky.feed.post/3k2a",
                "https://bsky.app/profile/did:plc:abc/post/3k2a",
            ),
        ),
        (
            "https://staff.tumblr.com/post/123/slug",
            PostRef(Platform.TUMBLR, "staff", "123", "https://staff.tumblr.com/post/123/slug"),
        ),
        (
            "https://www.tumblr.com/staff/123",
            PostRef(Platform.TUMBLR, "staff", "123", "https://www.tumblr.com/staff/123"),
        ),
        (
            "https://some-one.dreamwidth.org/2929.html",
            PostRef(
                Platform.DREAMWIDTH, "some_one", "2929", "https://some-one.dreamwidth.org/2929.html"
            ),
        ),
    ],
)
def test_origins_of_every_platform(url: str, ref: PostRef) -> None:
    assert origin_of({"props": {"import_source": url + "#crosspost-00"}}) == ref
    assert origin_of({"props": {"import_source": url}}) is None  # not crosspost's
