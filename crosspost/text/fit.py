"""Fitting a post to a target: a thread of chunks or one truncated post, as a plan to show.

What the target counts, renders and takes comes with its `Limits` (sizes) and their `TextRules`
(its quirks), both from the platform's registry entry; nothing here names a platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from crosspost.errors import UnfittableError
from crosspost.model import (
    ContentWarningStyle,
    FitMode,
    Limits,
    Media,
    MediaKind,
    Post,
    RichText,
    Span,
    SpanKind,
    TagStyle,
)
from crosspost.text.count import Measure, measure, overflow
from crosspost.text.detect import detect_spans
from crosspost.text.fit_mentions import MentionStyle, rewrite_mentions
from crosspost.text.fit_render import join, render_for_target, shorten_for_display
from crosspost.text.fit_split import Layout, Room, clip, room_for, split
from crosspost.text.long_form import with_title, with_trail_quoted
from crosspost.text.tags import is_valid_hashtag, render_tags

__all__ = [
    "Chunk",
    "ContentWarningStyle",
    "FitMode",
    "FitOptions",
    "FitPlan",
    "MentionStyle",
    "TagStyle",
    "plan_fit",
    "prepare_text",
    "spread_media",
]


@dataclass(frozen=True, slots=True)
class FitOptions:
    mode: FitMode = FitMode.THREAD
    numbering: bool = True  # only when a thread has more than one chunk
    numbering_format: str = " ({index}/{total})"
    link_back: str | None = None  # truncate mode; defaults to the original post's URL
    # Excerpt mode ends with a link to the whole; off where the target's origin marker is
    # itself a visible link to it (Mastodon's "Crossposted from"), so it is not there twice.
    excerpt_link: bool = True
    ellipsis: str = "…"
    tag_style: TagStyle = TagStyle.CAMEL
    tags_in_text: bool = True
    mention_style: MentionStyle = MentionStyle.LINK
    link_display_chars: int = 30  # Bluesky only: links shown shortened, the facet keeps the URL
    # Where a content warning goes on a target without one of its own.
    content_warning: ContentWarningStyle = ContentWarningStyle.FIRST_LINE


@dataclass(frozen=True, slots=True)
class Chunk:
    text: RichText
    media: tuple[Media, ...]
    measure: Measure


@dataclass(frozen=True, slots=True)
class FitPlan:
    limits: Limits
    chunks: tuple[Chunk, ...]
    tags_field: tuple[str, ...] = ()  # Bluesky's `tags`, Tumblr's own tags: outside the text
    dropped_tags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """The plan as the dry run prints it."""
        total = len(self.chunks)
        lines = [f"{self.limits.platform.value}: {total} post{'s' if total != 1 else ''}"]
        for number, chunk in enumerate(self.chunks, 1):
            size = chunk.measure
            lines.append(
                f"--- {number}/{total}: {size.graphemes} graphemes, {size.bytes} bytes, "
                f"{size.chars} characters, {len(chunk.media)} media"
            )
            lines.append(chunk.text.text)
        if self.tags_field:
            lines.append("tags: " + ", ".join(self.tags_field))
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


@dataclass(slots=True)
class _Work:
    """What plan_fit gathers before cutting: the target's text, tags, media and notes."""

    limits: Limits
    options: FitOptions
    body: RichText
    tags: list[str]
    groups: list[tuple[Media, ...]]
    plain_tags: list[str]
    content_warning: str
    notes: list[str] = field(default_factory=list)
    tags_field: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def prepare_text(post: Post, limits: Limits, options: FitOptions) -> tuple[RichText, list[str]]:
    """The post's text as the target will get it, before any cut: mentions of people on other
    networks rewritten, then rendered for the target (a plain text, or links shortened for
    display, as its text rules say)."""
    rich = with_title(post, with_polls(post))
    rich, notes = rewrite_mentions(rich, limits, options.mention_style)
    return render_for_target(rich, limits, options.link_display_chars), notes


CW_PREFIX = "CW: "
# What the model cannot carry but a reader must still see: shown as text on every target.
_SHOWN_AS_TEXT = frozenset({"poll"})


def with_polls(post: Post) -> RichText:
    """The post's text with each poll (question and options, as the reader wrote them) as a
    paragraph of its own: no target takes a poll from crosspost."""
    rich = post.text
    for item in post.unsupported:
        if item.kind in _SHOWN_AS_TEXT and item.text.strip():
            missing = item.text.strip()
            if missing not in rich.text:
                rich = join(rich, RichText(missing), "\n\n" if rich.text.strip() else "")
    return rich


def _tags_in_text(body: RichText, tags: tuple[str, ...], limits: Limits) -> RichText:
    """Hashtags the text already shows, given their tag spans where a post's tag names them (a
    Tumblr tag written inline, a hashtag the source left as plain text)."""
    wanted = {tag.casefold() for tag in tags}
    if not wanted:
        return body  # no tag to look for: the text need not be searched
    taken = body.spans_of(SpanKind.LINK, SpanKind.MENTION, SpanKind.TAG)
    added = [
        Span(span.start, span.end, SpanKind.TAG, span.value)
        for span in detect_spans(body.text).spans_of(SpanKind.TAG)
        if span.value.casefold() in wanted
        and is_valid_hashtag(span.value, limits.text)
        and not any(t.start < span.end and span.start < t.end for t in taken)
    ]
    return RichText(body.text, body.spans + tuple(added)) if added else body


def _not_in_text(names: tuple[str, ...], body: RichText) -> list[str]:
    shown = {span.value.casefold() for span in body.spans_of(SpanKind.TAG)}
    return [name for name in names if name.casefold() not in shown]


def _warning_first(work: _Work, post: Post) -> bool:
    """Write a content warning into the text where the target has none of its own; True when
    it is to be a first post of its own."""
    warning = post.content_warning.strip()
    if not warning or not work.limits.text.content_warning_in_text:
        return False
    if post.ref.platform is work.limits.platform:
        return False  # from the same network: its text already shows what its author showed
    name = work.limits.text.name
    alone = (
        work.options.content_warning is ContentWarningStyle.FIRST_POST
        and work.options.mode is FitMode.THREAD
        and not work.limits.text.one_post
        and bool(work.body.text.strip() or work.groups)
    )
    if alone:
        work.notes.append(
            f"content warning {warning!r}: a first post of its own, the post replying to it "
            f"({name} has no content warnings)"
        )
        return True
    work.body = join(RichText(CW_PREFIX + warning), work.body, "\n\n" if work.body.text else "")
    work.notes.append(f"content warning {warning!r}: the first line ({name} has none)")
    return False


def plan_fit(post: Post, limits: Limits, options: FitOptions | None = None) -> FitPlan:
    """Plan how `post` goes to a target with `limits`. Raises `UnfittableError` when a link,
    mention or tag (or one grapheme cluster) is longer than a whole post."""
    options = options or FitOptions()
    if limits.text.long_form:
        post = with_trail_quoted(post)
    body, notes = prepare_text(post, limits, options)
    rendered = render_tags(post.tags, limits.text, options.tag_style)
    names: list[str] = list(rendered.names)
    if not limits.text.free_tags:
        body = _tags_in_text(body, post.tags + rendered.names, limits)
        names = _not_in_text(rendered.names, body)
    media, media_notes = _usable_media(post.media, limits)
    work = _Work(
        limits=limits,
        options=options,
        body=body,
        tags=names,
        groups=spread_media(media, limits),
        plain_tags=[tag for tag in rendered.plain if tag.casefold() not in body.text.casefold()],
        content_warning=post.content_warning if limits.text.counts_content_warning else "",
        notes=notes + media_notes,
        dropped=list(rendered.dropped),
    )
    if rendered.dropped:
        work.notes.append(
            f"tags that cannot be {limits.platform.value} hashtags were left out: "
            + ", ".join(repr(tag) for tag in rendered.dropped)
        )
    if work.plain_tags:
        work.notes.append(
            f"tags that no {limits.text.name} hashtag can spell as written are plain text: "
            + ", ".join(repr(tag) for tag in work.plain_tags)
        )
    alone = _warning_first(work, post)
    body = work.body
    if options.mode is FitMode.EXCERPT:  # asked for even where the whole would fit
        chunks = [_excerpt(work, post)]
    elif limits.text.one_post:
        chunks = [_chunk(work, body, media)]
        work.tags_field = work.tags
    elif options.mode is FitMode.TRUNCATE:
        chunks = [_truncate(work, post)]
    else:
        chunks = _thread(work)
    if alone:
        warning = RichText(CW_PREFIX + post.content_warning.strip())
        chunks.insert(0, _chunk(work, warning, ()))
    return FitPlan(
        limits,
        tuple(chunks),
        tuple(work.tags_field),
        tuple(work.dropped),
        tuple(work.notes),
    )


def spread_media(media: tuple[Media, ...], limits: Limits) -> list[tuple[Media, ...]]:
    """Media in their order, in groups one post can take: at most `max_media` each and at most
    `max_videos` videos; where the text rules say so, a video goes alone (4 images or 1 video)."""
    groups: list[list[Media]] = []
    for item in media:
        video = item.kind is MediaKind.VIDEO
        group = groups[-1] if groups else None
        if group is None or not _takes(group, video, limits):
            groups.append([item])
        else:
            group.append(item)
    return [tuple(group) for group in groups]


def _takes(group: list[Media], video: bool, limits: Limits) -> bool:
    if len(group) >= limits.max_media:
        return False
    videos = sum(1 for item in group if item.kind is MediaKind.VIDEO)
    if limits.text.video_alone and (videos or video):
        return False
    return not video or videos < limits.max_videos


def _usable_media(media: tuple[Media, ...], limits: Limits) -> tuple[tuple[Media, ...], list[str]]:
    notes: list[str] = []
    kept: list[Media] = []
    for number, item in enumerate(media, 1):
        if not limits.text.takes_audio and item.kind is MediaKind.AUDIO:
            notes.append(
                f"media {number} is audio, which {limits.text.name} cannot carry: left out"
            )
            continue
        image = item.kind in (MediaKind.IMAGE, MediaKind.GIF)
        if image and limits.max_image_bytes and (item.size or 0) > limits.max_image_bytes:
            notes.append(
                f"media {number} is {item.size} bytes, over the {limits.max_image_bytes}-byte "
                "image limit: it must be made smaller"
            )
        if limits.max_alt_chars and len(item.alt) > limits.max_alt_chars:
            notes.append(f"media {number}: alt text over {limits.max_alt_chars} characters")
        kept.append(item)
    return tuple(kept), notes


def _hashtags(names: Sequence[str], plain: Sequence[str] = ()) -> RichText:
    """ "#a #b", then tags no hashtag can spell, as written: "#a #b · C++ · a,b"."""
    text, spans = "", []
    for name in names:
        start = len(text) + (1 if text else 0)
        text = f"{text} #{name}" if text else f"#{name}"
        spans.append(Span(start, len(text), SpanKind.TAG, name))
    for tag in plain:
        text = f"{text} · {tag}" if text else tag
    return RichText(text, tuple(spans))


def _chunk(work: _Work, rich: RichText, media: tuple[Media, ...]) -> Chunk:
    return Chunk(rich, media, measure(rich, work.limits, content_warning=work.content_warning))


def _room(work: _Work, reserve: str) -> Room:
    room = room_for(work.limits)
    cost = measure(reserve, work.limits)
    cw = measure(work.content_warning, work.limits).chars if work.content_warning else 0
    return room.less(cost.graphemes, cost.bytes, cost.chars + cw)


def _fits(work: _Work, rich: RichText) -> bool:
    size = measure(rich, work.limits, content_warning=work.content_warning)
    return overflow(size, work.limits) is None


def _thread(work: _Work) -> list[Chunk]:
    """Split the body (with the tags, where the target has no field for them) into a thread."""
    _tags_off_text(work)
    body = work.body
    if (work.tags or work.plain_tags) and work.limits.max_tags is None:
        tags = _hashtags(work.tags, work.plain_tags)
        body = join(body, tags, "\n\n" if body.text.strip() else "")
        work.tags, work.plain_tags = [], []
    pieces = _split_numbered(work, body)
    total = max(len(pieces), len(work.groups), 1)
    bodies = [RichText(body.text[a:b], tuple(clip(body, a, b))) for a, b in pieces]
    bodies += [RichText()] * (total - len(bodies))
    if work.tags or work.plain_tags:
        bodies[-1] = _place_tags(work, bodies[-1], _suffix(work.options, total, total))
    chunks = []
    for number, rich in enumerate(bodies, 1):
        suffix = _suffix(work.options, number, total)
        text = join(rich, RichText(suffix.strip() if not rich.text else suffix), "")
        media = work.groups[number - 1] if number <= len(work.groups) else ()
        chunks.append(_chunk(work, text, media))
    for number, chunk in enumerate(chunks, 1):
        why = overflow(chunk.measure, work.limits)
        if why is not None:
            raise UnfittableError(f"post {number} of the thread is still too long: {why}")
    return chunks


def _suffix(options: FitOptions, number: int, total: int) -> str:
    if not options.numbering or total < 2:
        return ""
    return options.numbering_format.format(index=number, total=total)


def _split_numbered(work: _Work, body: RichText) -> list[tuple[int, int]]:
    """Split with room kept for the widest numbering; retry while the count outgrows it."""
    if not body.text.strip():
        return []
    if _fits(work, body) and len(work.groups) <= 1:
        return _trimmed(body, work.limits)
    layout = Layout(body, work.limits)
    reserve = ""
    for _ in range(8):
        pieces = split(layout, _room(work, reserve))
        total = max(len(pieces), len(work.groups))
        widest = _suffix(work.options, total, total)
        if len(widest) <= len(reserve) or not widest:
            return pieces
        reserve = widest
    return pieces


def _trimmed(body: RichText, limits: Limits) -> list[tuple[int, int]]:
    """The whole text less white space at either end, trimmed in whole grapheme clusters and
    never inside a link, mention or tag."""
    if body.text == body.text.strip():
        return [(0, len(body.text))] if body.text else []
    layout = Layout(body, limits)
    start, end = layout.skip_space(0), layout.trimmed_end()
    return [(start, end)] if start < end else []


def _place_tags(work: _Work, last: RichText, suffix: str) -> RichText:
    """As many tags as fit at the end of the last chunk; the rest go to the target's tags field
    (Bluesky: at most `max_tags`), and past that they are dropped."""
    placed = 0
    while placed < len(work.tags):
        candidate = join(last, _hashtags(work.tags[: placed + 1]), "\n\n" if last.text else "")
        if not _fits(work, join(candidate, RichText(suffix), "")):
            break
        placed += 1
    plain = work.plain_tags if placed == len(work.tags) else []
    while plain:
        candidate = join(last, _hashtags(work.tags, plain), "\n\n" if last.text else "")
        if _fits(work, join(candidate, RichText(suffix), "")):
            break
        plain = plain[:-1]
    text = (
        join(last, _hashtags(work.tags[:placed], plain), "\n\n" if last.text else "")
        if placed or plain
        else last
    )
    rest = work.tags[placed:] + work.plain_tags[len(plain) :]
    work.plain_tags = []
    room = work.limits.max_tags or 0
    work.tags_field.extend(rest[:room])
    if rest[:room]:
        work.notes.append(
            f"no room in the text for tags {', '.join(rest[:room])}: in the tags field"
        )
    if rest[room:]:
        work.dropped.extend(rest[room:])
        work.notes.append("tags dropped, no room left: " + ", ".join(rest[room:]))
    work.tags = []
    return text


def _truncate(work: _Work, post: Post) -> Chunk:
    """One post: the whole text when it fits, else cut at a boundary and ended with the
    ellipsis and a link back to the original."""
    group = _first_group(work, "one post")
    _tags_off_text(work)
    body = work.body
    if _fits(work, body):
        start, end = (_trimmed(body, work.limits) or [(0, 0)])[0]
        text = RichText(body.text[start:end], tuple(clip(body, start, end)))
    else:
        tail = _tail(work, post)
        start, end = split(Layout(body, work.limits), _room(work, tail.text))[0]
        text = join(RichText(body.text[start:end], tuple(clip(body, start, end))), tail, "")
    if work.tags or work.plain_tags:
        text = _place_tags(work, text, "")
    return _chunk(work, text, group)


READ_MORE = "Read more: "


def _excerpt(work: _Work, post: Post) -> Chunk:
    """One post announcing a long one: its title and first paragraph (cut at a boundary where
    even that is too long), then a link to the whole. Without a link it is a truncation."""
    url = work.options.link_back or post.ref.url
    if not url:
        return _truncate(work, post)
    group = _first_group(work, "an excerpt")
    if work.limits.text.one_post:  # the target's own tags field takes them all (Tumblr)
        work.tags_field, work.tags = work.tags, []
    _tags_off_text(work)
    body = work.body
    lede_end = _lede_end(body, post.title)
    link = RichText(
        READ_MORE + url, (Span(len(READ_MORE), len(READ_MORE) + len(url), SpanKind.LINK, url),)
    )
    link = shorten_for_display(link, work.limits, work.options.link_display_chars)
    lede = RichText(body.text[:lede_end], tuple(clip(body, 0, lede_end)))
    if not work.options.excerpt_link:
        link = RichText("")
    text = join(lede, link, "\n\n")
    if not _fits(work, text):
        tail = join(RichText(work.options.ellipsis), link, "\n\n")
        start, end = split(Layout(lede, work.limits), _room(work, tail.text))[0]
        text = join(RichText(lede.text[start:end], tuple(clip(lede, start, end))), tail, "")
    if lede_end < len(body.text.rstrip()):
        work.notes.append("an excerpt: the rest is behind the link")
    if work.tags or work.plain_tags:
        text = _place_tags(work, text, "")
    return _chunk(work, text, group)


def _lede_end(body: RichText, title: str) -> int:
    """Where the first paragraph ends, the title (a first paragraph that is all heading, or
    the post's title) counted with the paragraph after it."""
    text = body.text.rstrip()
    first = text.find("\n\n")
    if first < 0:
        return len(text)
    headings = body.spans_of(SpanKind.HEADING)
    titled = title.strip() and text[:first].strip() == " ".join(title.split())
    if titled or any(s.start == 0 and s.end >= first for s in headings):
        second = text.find("\n\n", first + 2)
        return len(text) if second < 0 else second
    return first


def _first_group(work: _Work, what: str) -> tuple[Media, ...]:
    """The media one post takes (the first group), noting how many are left out."""
    group = work.groups[0] if work.groups else ()
    if len(work.groups) > 1:
        left = sum(len(g) for g in work.groups[1:])
        work.notes.append(f"{left} media left out: {what} takes {len(group)}")
    return group


def _tags_off_text(work: _Work) -> None:
    """With tags_in_text off, tags go to the target's tags field, or are left out."""
    if not (work.tags or work.plain_tags) or work.options.tags_in_text:
        return
    if work.plain_tags:  # no tags field takes what no hashtag can spell
        work.dropped.extend(work.plain_tags)
        work.notes.append("tags left out (not in the text): " + ", ".join(work.plain_tags))
        work.plain_tags = []
    room = work.limits.max_tags or 0
    work.tags_field.extend(work.tags[:room])
    if work.tags[room:]:
        work.dropped.extend(work.tags[room:])
        work.notes.append(
            "tags left out (not in the text, no room in a tags field): "
            + ", ".join(work.tags[room:])
        )
    work.tags = []


def _tail(work: _Work, post: Post) -> RichText:
    url = work.options.link_back or post.ref.url
    if not url:
        work.notes.append("cut without a link back: the original post has no URL")
        return RichText(work.options.ellipsis)
    prefix = work.options.ellipsis + " "
    link = RichText(prefix + url, (Span(len(prefix), len(prefix) + len(url), SpanKind.LINK, url),))
    return shorten_for_display(link, work.limits, work.options.link_display_chars)
