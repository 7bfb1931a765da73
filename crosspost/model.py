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

This module imports nothing from the project except `crosspost.errors` (the one exception tree)
and `crosspost.model_codec` (the JSON codec, driven by these dataclasses' fields; it imports only
`crosspost.errors`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from crosspost.errors import InvalidPostError
from crosspost.model_codec import decode, encode, enum_member, json_array

SCHEMA_VERSION = 1

JSON = dict[str, Any]


class Platform(StrEnum):
    BLUESKY = "bluesky"
    DREAMWIDTH = "dreamwidth"
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
    # One post announcing a long one: its title and first paragraph, then a link to the whole
    # (the default from a journal, whose entries are long-form writing).
    EXCERPT = "excerpt"


class TagStyle(StrEnum):
    """How a multi-word tag ("my art") becomes one hashtag."""

    CAMEL = "camel"  # MyArt (screen readers read the words apart)
    LOWER = "lower"  # myart
    SNAKE = "snake"  # my_art


class ContentWarningStyle(StrEnum):
    """Where a content warning goes on a target that has none of its own (Bluesky)."""

    FIRST_LINE = "first_line"  # "CW: ..." as the first paragraph, then the content
    FIRST_POST = "first_post"  # a first post holding the warning, the content in replies


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


@json_array  # [start, end, kind, value]: spans are many, and backups already hold them so
@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: SpanKind
    value: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, SpanKind):
            object.__setattr__(self, "kind", enum_member(SpanKind, self.kind))
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
            object.__setattr__(self, "kind", enum_member(MediaKind, self.kind))


@dataclass(frozen=True, slots=True)
class LinkCard:
    url: str
    title: str = ""
    description: str = ""
    thumb_url: str | None = None
    thumb_local_path: str | None = None  # the thumbnail in the backup's media store, once kept
    thumb_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Native content the model cannot carry (a poll, an ask, a paywall block, ...).

    `kind` names it, `reason` says why it is not carried, `text` is a readable rendering a target
    may show instead (e.g. the poll's question and options). The full payload stays in Post.raw.
    """

    kind: str
    reason: str
    text: str = ""


@json_array  # [row, media, start, end]
@dataclass(frozen=True, slots=True)
class Piece:
    """One item of a post's body in the order the platform shows it (`Post.layout`): the text
    from `start` to `end` (indices into `Post.text.text`) when `media` is -1, else
    `Post.media[media]`. Consecutive pieces with the same `row` sit side by side (a photoset)."""

    row: int
    media: int = -1
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class PollOption:
    text: str
    votes: int | None = None  # None when the platform does not say


@dataclass(frozen=True, slots=True)
class Poll:
    """A poll as the platform showed it. Other platforms cannot take one, so posts that carry
    a poll also name it in `Post.unsupported`, for cross-posting."""

    question: str = ""  # empty when the post's text asks it (Mastodon)
    options: tuple[PollOption, ...] = ()
    multiple: bool = False
    expires_at: datetime | None = None
    voters: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.options, tuple):
            object.__setattr__(self, "options", tuple(self.options))
        if self.expires_at is not None:
            object.__setattr__(self, "expires_at", _utc(self.expires_at, "poll expires_at"))


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
    # The platform gives no date for this post (a Tumblr reblog trail item): `created_at` is
    # then only the latest it can be (the date of the post that quotes it), never shown as its.
    undated: bool = False
    # The body in display order, when the platform orders text and media (Tumblr's blocks and
    # rows); empty: the text, then the media.
    layout: tuple[Piece, ...] = ()
    poll: Poll | None = None
    raw: JSON = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", _utc(self.created_at, "created_at"))
        if self.edited_at is not None:
            object.__setattr__(self, "edited_at", _utc(self.edited_at, "edited_at"))
        for name in ("media", "trail", "tags", "labels", "langs", "unsupported", "layout"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def with_changes(self, **changes: Any) -> Post:
        return replace(self, **changes)

    def to_json(self) -> JSON:
        """A JSON-ready dict carrying the schema version; `Post.from_json` reverses it exactly."""
        return {"schema": SCHEMA_VERSION, **encode(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Post:
        schema = data.get("schema")
        if schema != SCHEMA_VERSION:
            raise InvalidPostError(
                f"post schema version {schema!r} is not supported (this crosspost reads "
                f"version {SCHEMA_VERSION}); upgrade crosspost to read it"
            )
        return decode(cls, data)

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
    # No content warning of its own: the fitter writes the warning into the text (Bluesky).
    content_warning_in_text: bool = False
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
    # Long-form writing (a journal): entries have a subject, reblogged and quoted posts are
    # carried in full as attributed quotations, and its posts are announced elsewhere by excerpt.
    long_form: bool = False


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


# --- validation ----------------------------------------------------------------------------------


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidPostError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidPostError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)
