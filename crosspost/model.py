"""The common post model: one frozen, typed Post that carries what any of the three platforms say.

Conventions every converter follows:

- Offsets in `Span` are Python `str` indices (code points). Bluesky's UTF-8 byte offsets and
  Tumblr's NPF offsets are converted only at the platform edge (`crosspost.text`).
- Paragraphs in `RichText.text` are separated by a blank line (``"\\n\\n"``); a line break inside
  a paragraph is ``"\\n"``; consecutive list items are separated by ``"\\n"``. Block spans
  (heading, quote, indented, chat, quirky, list_item) cover exactly one paragraph or list item.
- `Span.value` by kind: link -> the URL; mention -> a URI naming the person (a Bluesky DID, or the
  profile URL on Mastodon and Tumblr); tag -> the tag without "#"; heading -> "1" or "2";
  list_item -> "ordered" or "unordered", with ":N" appended for nesting level N > 0;
  color -> "#rrggbb"; every other kind -> "".
- Datetimes are timezone-aware and normalised to UTC.

This module imports nothing from the project except `crosspost.errors` (the one exception tree).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from crosspost.errors import InvalidPostError

SCHEMA_VERSION = 1

JSON = dict[str, Any]
E = TypeVar("E", bound=StrEnum)


class Platform(StrEnum):
    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    TUMBLR = "tumblr"


class PostKind(StrEnum):
    ORIGINAL = "original"
    REPLY = "reply"
    REPOST = "repost"  # a Bluesky repost, a Mastodon boost, a Tumblr reblog without comment
    REBLOG_WITH_COMMENT = "reblog_with_comment"
    QUOTE = "quote"


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"  # Mastodon "unlisted"/"quiet public"
    FOLLOWERS = "followers"  # Mastodon "private"
    DIRECT = "direct"  # Mastodon "direct": mentioned people only
    PRIVATE = "private"  # only the author: Tumblr private posts, drafts and queue


class SpanKind(StrEnum):
    LINK = "link"
    MENTION = "mention"
    TAG = "tag"
    BOLD = "bold"
    ITALIC = "italic"
    STRIKE = "strike"
    CODE = "code"
    SMALL = "small"
    COLOR = "color"
    HEADING = "heading"
    QUOTE = "quote"
    INDENTED = "indented"
    CHAT = "chat"
    QUIRKY = "quirky"
    LIST_ITEM = "list_item"


BLOCK_SPAN_KINDS = frozenset(
    {
        SpanKind.HEADING,
        SpanKind.QUOTE,
        SpanKind.INDENTED,
        SpanKind.CHAT,
        SpanKind.QUIRKY,
        SpanKind.LIST_ITEM,
    }
)
# Spans whose characters must stay together when a text is split or cut.
ATOMIC_SPAN_KINDS = frozenset({SpanKind.LINK, SpanKind.MENTION, SpanKind.TAG})


class FitMode(StrEnum):
    """How a post longer than a target takes is fitted to it."""

    THREAD = "thread"  # split into an ordered thread of posts
    TRUNCATE = "truncate"  # one post, cut at a boundary, ending with a link back


class TagStyle(StrEnum):
    """How a multi-word tag ("my art") becomes one hashtag."""

    CAMEL = "camel"  # MyArt (screen readers read the words apart)
    LOWER = "lower"  # myart
    SNAKE = "snake"  # my_art


class MediaKind(StrEnum):
    IMAGE = "image"
    GIF = "gif"
    VIDEO = "video"
    AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class PostRef:
    """Where a post lives: `id` is the native id (a Bluesky at:// URI, a Mastodon status id, a
    Tumblr post id); `cid` is the Bluesky record CID where one is known (strong refs)."""

    platform: Platform
    account: str
    id: str
    url: str | None = None
    cid: str | None = None

    @property
    def key(self) -> str:
        """A stable string naming this post across runs (ledger keys, file names)."""
        return f"{self.platform.value}:{self.account}:{self.id}"


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: SpanKind
    value: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, SpanKind):
            object.__setattr__(self, "kind", _enum(SpanKind, self.kind, "span kind"))
        if self.start < 0 or self.end < self.start:
            raise InvalidPostError(
                f"span {self.kind.value} [{self.start}, {self.end}) is not a valid range"
            )


@dataclass(frozen=True, slots=True)
class RichText:
    """Text plus spans. Spans must lie inside the text; they may nest or overlap."""

    text: str = ""
    spans: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.spans, tuple):
            object.__setattr__(self, "spans", tuple(self.spans))
        length = len(self.text)
        for span in self.spans:
            if span.end > length:
                raise InvalidPostError(
                    f"span {span.kind.value} [{span.start}, {span.end}) lies outside its text "
                    f"of {length} characters"
                )

    def covered(self, span: Span) -> str:
        """The characters a span covers."""
        return self.text[span.start : span.end]

    def spans_of(self, *kinds: SpanKind) -> tuple[Span, ...]:
        return tuple(span for span in self.spans if span.kind in kinds)


@dataclass(frozen=True, slots=True)
class Media:
    kind: MediaKind
    url: str | None = None
    alt: str = ""
    width: int | None = None
    height: int | None = None
    mime: str | None = None
    size: int | None = None
    sha256: str | None = None
    local_path: str | None = None  # relative to the backup root once downloaded
    poster_url: str | None = None  # still image for a GIF or video

    def __post_init__(self) -> None:
        if not isinstance(self.kind, MediaKind):
            object.__setattr__(self, "kind", _enum(MediaKind, self.kind, "media kind"))


@dataclass(frozen=True, slots=True)
class LinkCard:
    url: str
    title: str = ""
    description: str = ""
    thumb_url: str | None = None


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Native content the model cannot carry (a poll, an ask, a paywall block, ...).

    `kind` names it, `reason` says why it is not carried, `text` is a readable rendering a target
    may show instead (e.g. the poll's question and options). The full payload stays in Post.raw.
    """

    kind: str
    reason: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Post:
    ref: PostRef
    created_at: datetime
    text: RichText = field(default_factory=RichText)
    kind: PostKind = PostKind.ORIGINAL
    edited_at: datetime | None = None
    title: str = ""
    media: tuple[Media, ...] = ()
    link_card: LinkCard | None = None
    quote_of: PostRef | None = None
    reply_to: PostRef | None = None
    thread_root: PostRef | None = None
    repost_of: PostRef | None = None
    trail: tuple[Post, ...] = ()  # reblog trail or quoted posts, oldest first, as quoted content
    tags: tuple[str, ...] = ()  # as the author wrote them, without "#"
    visibility: Visibility = Visibility.PUBLIC
    content_warning: str = ""
    sensitive: bool = False
    labels: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    origin: PostRef | None = None  # set when this post is itself a mirror made by crosspost
    unsupported: tuple[Unsupported, ...] = ()
    deleted: bool = False  # gone from the platform; backups keep the local copy
    raw: JSON = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", _utc(self.created_at, "created_at"))
        if self.edited_at is not None:
            object.__setattr__(self, "edited_at", _utc(self.edited_at, "edited_at"))
        for name in ("media", "trail", "tags", "labels", "langs", "unsupported"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def with_changes(self, **changes: Any) -> Post:
        return replace(self, **changes)

    def to_json(self) -> JSON:
        """A JSON-ready dict carrying the schema version; `Post.from_json` reverses it exactly."""
        return {"schema": SCHEMA_VERSION, **_post_fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Post:
        schema = data.get("schema")
        if schema != SCHEMA_VERSION:
            raise InvalidPostError(
                f"post schema version {schema!r} is not supported (this crosspost reads "
                f"version {SCHEMA_VERSION}); upgrade crosspost to read it"
            )
        return _post_from_fields(data)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, indent=2)

    @classmethod
    def loads(cls, text: str) -> Post:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidPostError(f"post JSON does not parse: {error}") from None
        if not isinstance(data, dict):
            raise InvalidPostError("post JSON must be an object")
        return cls.from_json(data)


@dataclass(frozen=True, slots=True)
class WeightedRun:
    """A run of text a target counts as something else: Mastodon counts a URL as 23 characters
    and a mention as `@user`. `countable` is what it counts instead."""

    start: int
    end: int
    countable: str


@dataclass(frozen=True, slots=True)
class TextRules:
    """How a target counts, renders and links text: its quirks, as the fitting engine needs them.

    Each platform's registry entry supplies its rules (`crosspost.platforms.registry`), so the
    text code never asks which platform it is fitting for. The defaults describe a target with no
    quirks: graphemes counted, every media kind taken, any hashtag without spaces.
    """

    name: str = "the target"  # as a person names the network, for notes ("Bluesky")
    # Counted characters of a text, its content warning counted with it where the target does
    # (Mastodon); None counts graphemes.
    count_chars: Callable[[str, int, str], int] | None = None
    # The runs `count_chars` weighs differently, which a cut must keep whole.
    weighted_runs: Callable[[str, int], Sequence[WeightedRun]] | None = None
    counts_content_warning: bool = False
    # One post however long: the writer splits long text into blocks itself (Tumblr), so the
    # text is never cut and never counted against `max_chars`.
    one_post: bool = False
    video_alone: bool = False  # a video takes a whole post (Bluesky: 4 images or 1 video)
    takes_audio: bool = True
    # The text as the target receives it, before counting (Mastodon's plain text).
    render: Callable[[RichText], RichText] | None = None
    # Links shown shortened to this many characters while the link keeps the URL (Bluesky).
    shorten_links: Callable[[RichText, int], RichText] | None = None
    # Whether a word is one whole hashtag on the target; None: any word without spaces.
    hashtag_ok: Callable[[str], bool] | None = None
    free_tags: bool = False  # tags kept as written, in the target's own tags field (Tumblr)
    # Whether a mention's value names a person on this network (else it becomes a link);
    # set by the registry, which knows every network's mentions.
    mention_is_local: Callable[[str], bool] | None = None
    # The profile URL of any mention's value, whatever its network; set by the registry.
    profile_url: Callable[[str], str | None] | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """What one target takes in one post. `None` means no limit of that kind. `text` carries the
    target's text rules; the registry's limits for a platform have them filled in."""

    platform: Platform
    max_graphemes: int | None = None
    max_bytes: int | None = None
    max_chars: int | None = None  # Mastodon characters, Tumblr code points per text block
    url_weight: int | None = None  # every URL counts this many characters (Mastodon: 23)
    max_media: int = 4
    max_videos: int = 1
    max_image_bytes: int | None = None
    max_alt_chars: int | None = None
    max_tags: int | None = None  # Bluesky's out-of-text `tags` field
    max_tag_graphemes: int | None = None
    text: TextRules = field(default_factory=TextRules, compare=False)


# --- JSON encoding -------------------------------------------------------------------------------


def _enum(enum: type[E], value: object, what: str) -> E:
    try:
        return enum(str(value)) if isinstance(value, str) else enum(value)  # type: ignore[arg-type]
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidPostError(f"unknown {what} {value!r} (expected one of: {allowed})") from None


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidPostError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidPostError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPostError(f"{name} must be an ISO 8601 string")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidPostError(f"{name} {value!r} is not an ISO 8601 datetime") from None


def _ref(ref: PostRef | None) -> JSON | None:
    if ref is None:
        return None
    return {
        "platform": ref.platform.value,
        "account": ref.account,
        "id": ref.id,
        "url": ref.url,
        "cid": ref.cid,
    }


def _parse_ref(data: object) -> PostRef | None:
    if data is None:
        return None
    item = _mapping(data, "post ref")
    return PostRef(
        platform=_enum(Platform, item.get("platform"), "platform"),
        account=str(item["account"]),
        id=str(item["id"]),
        url=item.get("url"),
        cid=item.get("cid"),
    )


def _mapping(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidPostError(f"{what} must be a JSON object")
    return data


def _post_fields(post: Post) -> JSON:
    card = post.link_card
    return {
        "ref": _ref(post.ref),
        "created_at": _time(post.created_at),
        "edited_at": _time(post.edited_at),
        "kind": post.kind.value,
        "title": post.title,
        "text": {
            "text": post.text.text,
            "spans": [[s.start, s.end, s.kind.value, s.value] for s in post.text.spans],
        },
        "media": [
            {
                "kind": m.kind.value,
                "url": m.url,
                "alt": m.alt,
                "width": m.width,
                "height": m.height,
                "mime": m.mime,
                "size": m.size,
                "sha256": m.sha256,
                "local_path": m.local_path,
                "poster_url": m.poster_url,
            }
            for m in post.media
        ],
        "link_card": None
        if card is None
        else {
            "url": card.url,
            "title": card.title,
            "description": card.description,
            "thumb_url": card.thumb_url,
        },
        "quote_of": _ref(post.quote_of),
        "reply_to": _ref(post.reply_to),
        "thread_root": _ref(post.thread_root),
        "repost_of": _ref(post.repost_of),
        "trail": [_post_fields(item) for item in post.trail],
        "tags": list(post.tags),
        "visibility": post.visibility.value,
        "content_warning": post.content_warning,
        "sensitive": post.sensitive,
        "labels": list(post.labels),
        "langs": list(post.langs),
        "origin": _ref(post.origin),
        "unsupported": [
            {"kind": u.kind, "reason": u.reason, "text": u.text} for u in post.unsupported
        ],
        "deleted": post.deleted,
        "raw": post.raw,
    }


def _post_from_fields(data: Mapping[str, Any]) -> Post:
    try:
        text = _mapping(data.get("text", {}), "text")
        card = data.get("link_card")
        ref = _parse_ref(data["ref"])
        assert ref is not None
        created_at = _parse_time(data["created_at"], "created_at")
        assert created_at is not None
        return Post(
            ref=ref,
            created_at=created_at,
            edited_at=_parse_time(data.get("edited_at"), "edited_at"),
            kind=_enum(PostKind, data.get("kind", "original"), "post kind"),
            title=str(data.get("title", "")),
            text=RichText(
                str(text.get("text", "")),
                tuple(Span(int(s), int(e), k, str(v)) for s, e, k, v in text.get("spans", [])),
            ),
            media=tuple(Media(**_mapping(item, "media")) for item in data.get("media", [])),
            link_card=None if card is None else LinkCard(**_mapping(card, "link_card")),
            quote_of=_parse_ref(data.get("quote_of")),
            reply_to=_parse_ref(data.get("reply_to")),
            thread_root=_parse_ref(data.get("thread_root")),
            repost_of=_parse_ref(data.get("repost_of")),
            trail=tuple(_post_from_fields(_mapping(t, "trail")) for t in data.get("trail", [])),
            tags=tuple(str(tag) for tag in data.get("tags", [])),
            visibility=_enum(Visibility, data.get("visibility", "public"), "visibility"),
            content_warning=str(data.get("content_warning", "")),
            sensitive=bool(data.get("sensitive", False)),
            labels=tuple(str(label) for label in data.get("labels", [])),
            langs=tuple(str(lang) for lang in data.get("langs", [])),
            origin=_parse_ref(data.get("origin")),
            unsupported=tuple(
                Unsupported(**_mapping(u, "unsupported")) for u in data.get("unsupported", [])
            ),
            deleted=bool(data.get("deleted", False)),
            raw=dict(_mapping(data.get("raw", {}), "raw")),
        )
    except InvalidPostError:
        raise
    except (KeyError, TypeError, ValueError, AssertionError) as error:
        raise InvalidPostError(f"post JSON is malformed: {error!r}") from None
