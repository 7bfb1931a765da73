"""The post JSON on disk, pinned: golden files both ways, and a round trip that no field escapes.

tests/golden/model/post.json is `Post.dumps()` of GOLDEN and backup_post.json is the post file a
backup writes for it, both made by the hand-written codec this one replaced: backups written then
must load, and what is written now must be byte for byte the same.
"""

from __future__ import annotations

import dataclasses
import enum
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest

from crosspost.backup.store import AccountBackup
from crosspost.errors import InvalidPostError
from crosspost.model import (
    SCHEMA_VERSION,
    LinkCard,
    Media,
    MediaKind,
    Platform,
    Post,
    PostKind,
    PostRef,
    RichText,
    Span,
    SpanKind,
    Unsupported,
    Visibility,
)
from crosspost.model_codec import decode, encode
from tests.fixtures import PROJECT_ROOT

GOLDEN_DIR = PROJECT_ROOT / "tests" / "golden" / "model"
TOKYO = timezone(timedelta(hours=9))


def rich(text: str, *marks: tuple[str, SpanKind, str]) -> RichText:
    """RichText with a span over the first occurrence of each (substring, kind, value)."""
    spans = []
    for covered, kind, value in marks:
        start = text.index(covered)
        spans.append(Span(start, start + len(covered), kind, value))
    return RichText(text, tuple(spans))


TEXT = rich(
    "Heading\n\n"
    "bold italic strike code small red café 🎨 https://example.com @bob #my art\n\n"
    "a quote\n\nindented\n\nbob: hi\n\nquirky\n\n"
    "first\nsecond",
    ("Heading", SpanKind.HEADING, "1"),
    ("bold", SpanKind.BOLD, ""),
    ("italic", SpanKind.ITALIC, ""),
    ("strike", SpanKind.STRIKE, ""),
    ("code", SpanKind.CODE, ""),
    ("small", SpanKind.SMALL, ""),
    ("red", SpanKind.COLOR, "#ff0000"),
    ("https://example.com", SpanKind.LINK, "https://example.com/"),
    ("@bob", SpanKind.MENTION, "did:plc:bob"),
    ("#my art", SpanKind.TAG, "my art"),
    ("a quote", SpanKind.QUOTE, ""),
    ("indented", SpanKind.INDENTED, ""),
    ("bob: hi", SpanKind.CHAT, ""),
    ("quirky", SpanKind.QUIRKY, ""),
    ("first", SpanKind.LIST_ITEM, "ordered"),
    ("second", SpanKind.LIST_ITEM, "unordered:1"),
)
ALICE = PostRef(
    Platform.BLUESKY,
    "alice.test",
    "at://did:plc:alice/app.bsky.feed.post/3kgolden",
    url="https://bsky.app/profile/alice.test/post/3kgolden",
    cid="bafyreigolden",
)
TOOT = PostRef(Platform.MASTODON, "carol@social.test", "112233", url="https://social.test/@carol/1")
BLOG = PostRef(Platform.TUMBLR, "dave", "7100000000")  # no url, no cid: both are null

# A reblogged Tumblr post of its own with a nested trail; the second trail post keeps every
# default, so the file pins how empty values are spelled ([] and "" and null).
REBLOGGED = Post(
    BLOG,
    datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC),
    rich("ünïcode title text", ("ünïcode", SpanKind.BOLD, "")),
    kind=PostKind.REBLOG_WITH_COMMENT,
    title="Tumblr title",
    media=(Media(MediaKind.AUDIO, url="https://media.test/song.mp3", mime="audio/mpeg"),),
    trail=(Post(TOOT, datetime(2020, 2, 29, tzinfo=UTC)),),
    tags=("tumblr tag",),
    unsupported=(Unsupported("ask", "asks have no counterpart"),),
    raw={"id_string": "7100000000", "blocks": [{"type": "text"}]},
)
GOLDEN = Post(
    ALICE,
    datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC),
    TEXT,
    kind=PostKind.QUOTE,
    edited_at=datetime(2024, 5, 2, 10, 0, tzinfo=TOKYO),  # stored as UTC
    title="A golden post",
    media=(
        Media(
            MediaKind.IMAGE,
            url="https://cdn.test/img/1.jpg",
            alt="A cat on a mat, in the sun",
            width=1200,
            height=800,
            mime="image/jpeg",
            size=234567,
            sha256="ab" * 32,
            local_path=f"bluesky/alice.test/media/ab/{'ab' * 32}.jpg",
        ),
        Media(
            MediaKind.VIDEO,
            url="https://cdn.test/v/2.mp4",
            alt="",
            width=1920,
            height=1080,
            mime="video/mp4",
            poster_url="https://cdn.test/v/2.jpg",
        ),
        Media(MediaKind.GIF),
    ),
    link_card=LinkCard(
        "https://example.com/",
        title="Example",
        description="An example page",
        thumb_url="https://cdn.test/thumb.jpg",
    ),
    quote_of=TOOT,
    reply_to=BLOG,
    thread_root=ALICE,
    repost_of=TOOT,
    trail=(REBLOGGED,),
    tags=("my art", "crosspost"),
    visibility=Visibility.FOLLOWERS,
    content_warning="spoilers",
    sensitive=True,
    labels=("nudity", "graphic-media"),
    langs=("en", "fr"),
    origin=BLOG,
    unsupported=(Unsupported("poll", "polls are not carried", "Tea or coffee?\n- tea\n- coffee"),),
    deleted=True,
    raw={"$type": "app.bsky.feed.post", "nested": {"list": [1, 2.5, None, True, "ü"], "n": -3}},
)


def test_the_golden_post_file_loads_as_the_golden_post() -> None:
    loaded = Post.loads((GOLDEN_DIR / "post.json").read_text(encoding="utf-8"))
    assert loaded == GOLDEN
    assert loaded.raw == GOLDEN.raw  # raw takes no part in the hash; equality covers it anyway
    assert loaded.trail[0].raw == REBLOGGED.raw


# Fields added to the model after the golden files were written, with their default values: a
# new field may add its own line to a dump and change nothing else.
ADDED_SINCE = (
    '"undated": false,',
    '"thumb_local_path": null,',
    '"thumb_sha256": null,',
    '"layout": [],',
    '"poll": null,',
)


def _without_added_fields(dump: bytes) -> bytes:
    lines = dump.decode("utf-8").split("\n")
    return "\n".join(line for line in lines if line.strip() not in ADDED_SINCE).encode("utf-8")


def test_the_golden_post_dumps_to_the_golden_file_byte_for_byte() -> None:
    dump = (GOLDEN.dumps() + "\n").encode("utf-8")
    assert _without_added_fields(dump) == (GOLDEN_DIR / "post.json").read_bytes()


def test_a_backup_post_file_written_before_still_loads(tmp_path: Path) -> None:
    backup = AccountBackup(tmp_path, Platform.BLUESKY, "alice.test")
    assert backup.read_post_file(GOLDEN_DIR / "backup_post.json") == GOLDEN


def test_a_backup_writes_the_same_post_file_as_before(tmp_path: Path) -> None:
    backup = AccountBackup(tmp_path, Platform.BLUESKY, "alice.test")
    assert backup.save_post(GOLDEN, sync_dir=False)
    written = backup.post_path(GOLDEN.ref.id).read_bytes()
    assert _without_added_fields(written) == (GOLDEN_DIR / "backup_post.json").read_bytes()


# --- no field is silently dropped --------------------------------------------------------------

MAX_DEPTH = 2  # posts nest through `trail`; below this the trail stays empty


def sample(hint: Any, default: Any, depth: int = 0) -> Any:
    """A value of type `hint` that differs from `default`, for any type the model uses. A type it
    does not know fails the test: teach it here, and make sure the codec has a rule for it."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType) and type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        return sample(inner, default, depth)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if args[0] is Post and depth >= MAX_DEPTH:
            return ()
        return (sample(args[0], dataclasses.MISSING, depth + 1),)
    if origin is dict:
        return {"sampled": [1, "two", None]}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(member for member in reversed(hint) if member != default)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return sample_instance(hint, depth)
    simple = {
        bool: not default,
        int: 1,
        float: 0.25,
        str: "sampled text",
        datetime: datetime(2001, 2, 3, tzinfo=UTC),
    }
    if hint in simple:
        return simple[hint]
    pytest.fail(f"sample() knows no value of type {hint!r}: teach it the new field's type")


def default_of(item: dataclasses.Field[Any]) -> Any:
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return item.default


def sample_instance(cls: type[Any], depth: int) -> Any:
    hints = get_type_hints(cls)
    values = {}
    for number, item in enumerate(dataclasses.fields(cls)):
        value = sample(hints[item.name], default_of(item), depth)
        values[item.name] = value + number if type(value) is int else value  # distinct ints
    return cls(**values)


def test_a_post_with_every_field_set_survives_the_round_trip() -> None:
    post = sample_instance(Post, 0)
    for item in dataclasses.fields(Post):
        assert getattr(post, item.name) != default_of(item), f"Post.{item.name} is left default"
    assert post.media[0].poster_url is not None
    assert post.trail[0].trail[0].ref.cid is not None
    # asdict walks every field, including any left out of equality
    assert dataclasses.asdict(Post.from_json(post.to_json())) == dataclasses.asdict(post)
    assert dataclasses.asdict(Post.loads(post.dumps())) == dataclasses.asdict(post)


# --- reading what other writers (and older versions) wrote ---------------------------------------


def test_missing_and_null_keys_take_their_defaults() -> None:
    ref = {"platform": "tumblr", "account": "dave", "id": "1"}
    minimal = {"schema": SCHEMA_VERSION, "ref": ref, "created_at": "2024-01-01T00:00:00+00:00"}
    expected = Post(PostRef(Platform.TUMBLR, "dave", "1"), datetime(2024, 1, 1, tzinfo=UTC))
    assert Post.from_json(minimal) == expected
    nulls = {"text": None, "kind": None, "tags": None, "media": None, "raw": None, "title": None}
    assert Post.from_json(minimal | nulls) == expected
    spans = {"text": "hi", "spans": [[0, 2, "bold"]]}  # a span without its value: ""
    bold = RichText("hi", (Span(0, 2, SpanKind.BOLD),))
    assert Post.from_json(minimal | {"text": spans}).text == bold


def test_unknown_keys_are_ignored() -> None:
    data = GOLDEN.to_json() | {"from_the_future": 1}
    data["media"][0]["extra"] = True
    assert Post.from_json(data) == GOLDEN


def at(*path: str | int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The object found by following `path` from the post's JSON."""

    def follow(data: dict[str, Any]) -> dict[str, Any]:
        for step in path:
            data = data[step]  # type: ignore[index]
        return data

    return follow


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: at("trail", 0)(d).pop("ref"), r"malformed: trail\[0\]\.ref is missing"),
        (lambda d: at("ref")(d).pop("platform"), r"malformed: ref\.platform is missing"),
        (lambda d: d.update(reply_to="x"), "reply_to must be a JSON object"),
        (lambda d: d.update(edited_at=5), "edited_at must be an ISO 8601 string"),
        (
            lambda d: d.update(visibility="secret"),
            r"unknown visibility 'secret' \(expected one of:",
        ),
        (
            lambda d: at("media", 0)(d).update(kind="hologram"),
            r"unknown media kind 'hologram' \(expected one of: .*\) at media\[0\]\.kind",
        ),
        (lambda d: at("media", 0)(d).update(width="wide"), r"media\[0\]\.width must be an int"),
        (lambda d: at("text")(d).update(spans=[{"start": 0}]), r"text\.spans\[0\] must be an arr"),
        (lambda d: d.update(media=5), "malformed: media must be a JSON array"),
        (lambda d: at("trail", 0)(d).update(created_at="2024-01-01"), "timezone-aware"),
    ],
)
def test_malformed_json_says_where(
    mutate: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = GOLDEN.to_json()
    mutate(data)
    with pytest.raises(InvalidPostError, match=message):
        Post.from_json(data)


@dataclasses.dataclass(frozen=True)
class Odd:
    values: frozenset[str] = frozenset()


def test_a_field_type_without_a_rule_fails_loudly_every_time() -> None:
    for _ in range(2):  # the failed attempt leaves nothing half made behind
        with pytest.raises(TypeError, match="no rule for frozenset"):
            encode(Odd())
        with pytest.raises(TypeError, match="no rule for frozenset"):
            decode(Odd, {})
