"""Tumblr posts (NPF, or legacy when a post predates it) to the common Post model. Pure functions.

API docs: https://github.com/tumblr/docs/blob/master/api.md#posts--retrieve-published-posts
NPF spec: https://github.com/tumblr/docs/blob/master/npf-spec.md
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from crosspost.errors import DataError
from crosspost.model import (
    Piece,
    Platform,
    Post,
    PostKind,
    PostRef,
    Unsupported,
    Visibility,
)
from crosspost.platforms.tumblr.blocks import Body, paywall_part, read_layout, read_parts
from crosspost.platforms.tumblr.legacy import html_body, legacy_body
from crosspost.platforms.tumblr.marker import origin_from_source_url
from crosspost.platforms.tumblr.richtext_read import richtext_from_npf

# Post states (api.md "Note about Post States"); everything but published is seen by the owner only.
STATE_VISIBILITY = {
    "published": Visibility.PUBLIC,
    "queued": Visibility.PRIVATE,
    "queue": Visibility.PRIVATE,
    "draft": Visibility.PRIVATE,
    "private": Visibility.PRIVATE,
    "unapproved": Visibility.PRIVATE,
    "submission": Visibility.PRIVATE,
}
_POST_ID = re.compile(r"/(?:post/)?([0-9]{3,})(?:/|$)")


def to_post(post_json: Mapping[str, Any], *, account: str) -> Post:
    """A Post from one entry of `/posts` (npf=true or legacy); raises DataError when unusable."""
    if not isinstance(post_json, Mapping):
        raise DataError("a Tumblr post must be a JSON object")
    created_at = created_at_of(post_json)
    if created_at is None:
        raise DataError(f"Tumblr post {post_id(post_json)!r} has neither timestamp nor date")
    body = read_body(post_json)
    trail_items = post_json.get("trail")
    trail = tuple(
        trail_post(item, index, created_at)
        for index, item in enumerate(trail_items if isinstance(trail_items, list) else [])
        if isinstance(item, Mapping)
    )
    kind, repost_of = _kind(post_json, body, trail)
    tags = post_json.get("tags")
    state = str(post_json.get("state") or "published")
    return Post(
        ref=PostRef(Platform.TUMBLR, account, post_id(post_json), _post_url(post_json)),
        created_at=created_at,
        text=body.text,
        kind=kind,
        title=body.title,
        media=tuple(body.media),
        link_card=body.link_card,
        repost_of=repost_of,
        trail=trail,
        tags=tuple(tag for tag in tags if isinstance(tag, str)) if isinstance(tags, list) else (),
        visibility=STATE_VISIBILITY.get(state, Visibility.PRIVATE),
        origin=origin_from_source_url(post_json.get("source_url")),
        unsupported=tuple(body.unsupported),
        layout=tuple(body.layout),
        poll=body.poll,
        raw=dict(post_json),
    )


def post_id(post_json: Mapping[str, Any]) -> str:
    value = post_json.get("id_string") or post_json.get("id")
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise DataError("a Tumblr post without an id cannot be read")
    return str(value)


def _post_url(post_json: Mapping[str, Any]) -> str | None:
    url = post_json.get("post_url") or post_json.get("short_url")
    return url if isinstance(url, str) else None


def created_at_of(item: Mapping[str, Any]) -> datetime | None:
    """`timestamp` (epoch seconds), else the legacy `date` string ("2011-02-25 20:27:00 GMT")."""
    stamp = item.get("timestamp")
    if isinstance(stamp, str) and stamp.isdigit():
        stamp = int(stamp)
    if isinstance(stamp, int) and not isinstance(stamp, bool):
        return datetime.fromtimestamp(stamp, UTC)
    date = item.get("date")
    if isinstance(date, str):
        try:
            return datetime.strptime(date, "%Y-%m-%d %H:%M:%S GMT").replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def read_body(item: Mapping[str, Any]) -> Body:
    content = item.get("content")
    if isinstance(content, list):
        return npf_body(content, item.get("layout"))
    if isinstance(content, str):  # a legacy trail item: HTML
        return html_body(content)
    return legacy_body(item)


def npf_body(content: Sequence[Any], layouts: object) -> Body:
    blocks = [block if isinstance(block, Mapping) else {} for block in content]
    layout = read_layout(blocks, layouts)
    shown = layout.order if layout.paywall_at is None else layout.order[: layout.paywall_at]
    asked = set(layout.ask)
    answer = [blocks[i] for i in shown if i not in asked]
    question = [blocks[i] for i in shown if i in asked]
    parts = read_parts(answer)
    text = richtext_from_npf(answer)
    body = Body(text, "", parts.media, parts.link_card, parts.unsupported, poll=parts.poll)
    asked_media = 0
    if question:
        asked_parts = read_parts(question)
        asked_media = len(asked_parts.media)
        body.media[:0] = asked_parts.media
        body.unsupported.insert(0, _ask_part(layout.asker, richtext_from_npf(question).text))
        body.unsupported.extend(asked_parts.unsupported)
    if layout.paywall_at is not None:
        hidden = len(layout.order) - layout.paywall_at - 1
        body.unsupported.append(paywall_part(blocks[layout.order[layout.paywall_at]], hidden))
    if layout.truncate_after is not None and layout.truncate_after < len(blocks) - 1:
        body.unsupported.append(
            Unsupported(
                "read_more",
                "the read-more fold has no equivalent on other platforms; the whole post is kept",
            )
        )
    rows = [layout.row_of[i] for i in shown if i not in asked]
    body.layout = _pieces(answer, rows, text.text, asked_media)
    return body


def _pieces(blocks: Sequence[Any], rows: Sequence[int], text: str, first: int) -> list[Piece]:
    """The display order of text and media, when the post has both or lays media in rows:
    each run of text blocks is one piece (its range in `text`), each media block one, numbered
    from `first` (the media of an ask come before the answer's). Empty when it says
    no more than the default order (`_default_order`)."""
    pieces: list[Piece] = []
    media = first
    run: tuple[int, int, int] | None = None  # (row, start, end) of the text run being read
    for index, block in enumerate(blocks):
        if block.get("type") == "text":
            own = block.get("text")
            if not isinstance(own, str) or not own:
                continue
            # Where this block ends in the joined text: richtext_from_npf of the blocks so far.
            end = len(richtext_from_npf(blocks[: index + 1]).text)
            start = end - len(own)
            if text[start:end] != own:  # the joined text is not as expected: keep the default
                return []
            run = (run[0], run[1], end) if run is not None else (rows[index], start, end)
            continue
        found = len(read_parts([block]).media)
        if not found:
            continue
        if run is not None:
            pieces.append(Piece(run[0], -1, run[1], run[2]))
            run = None
        pieces.extend(Piece(rows[index], media + n) for n in range(found))
        media += found
    if run is not None:
        pieces.append(Piece(run[0], -1, run[1], run[2]))
    if _default_order(pieces):
        return []
    return pieces


def _default_order(pieces: Sequence[Piece]) -> bool:
    """Whether the pieces say no more than the viewer's default: the text, then the media (in a
    grid), with no row holding two or more media."""
    seen_media = False
    per_row: dict[int, int] = {}
    for piece in pieces:
        if piece.media < 0:
            if seen_media:
                return False
            continue
        seen_media = True
        per_row[piece.row] = per_row.get(piece.row, 0) + 1
    return all(count < 2 for count in per_row.values())


def _ask_part(asker: str, question: str) -> Unsupported:
    who = asker or "Anonymous"
    return Unsupported(
        "ask",
        "asks have no equivalent on other platforms; the answer is the post's text",
        f"{who} asked:\n{question}".rstrip(),
    )


def trail_post(item: Mapping[str, Any], index: int, fallback: datetime) -> Post:
    """One reblog trail item as a quoted Post; broken items keep their blog name and content.

    The item's `post` "possibly [has] a `timestamp` field" (npf-spec.md, Reblog Trail); without
    one the trail post is `undated`, dated `fallback` (the reblog's date): the latest it can be."""
    blog = _mapping(item.get("blog"))
    post = _mapping(item.get("post"))
    name = blog.get("name") or item.get("broken_blog_name") or blog.get("uuid") or "unknown"
    ident = post.get("id_string") or post.get("id")
    ident_text = str(ident) if isinstance(ident, (str, int)) and ident != "" else f"trail-{index}"
    blog_url = blog.get("url")
    url = (
        f"{blog_url.rstrip('/')}/post/{ident_text}"
        if isinstance(blog_url, str) and ident is not None
        else None
    )
    body = read_body(item)
    created_at = created_at_of(post)
    return Post(
        ref=PostRef(Platform.TUMBLR, str(name), ident_text, url),
        created_at=created_at or fallback,
        undated=created_at is None,
        text=body.text,
        title=body.title,
        media=tuple(body.media),
        link_card=body.link_card,
        unsupported=tuple(body.unsupported),
        layout=tuple(body.layout),
        poll=body.poll,
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _kind(
    post_json: Mapping[str, Any], body: Body, trail: tuple[Post, ...]
) -> tuple[PostKind, PostRef | None]:
    parent = _parent_ref(post_json, trail)
    if parent is None and not trail:
        return PostKind.ORIGINAL, None
    if post_json.get("type") != "blocks" and not isinstance(post_json.get("content"), list):
        # A legacy reblog's body quotes the whole trail; the comment cannot be told apart.
        return PostKind.REBLOG_WITH_COMMENT, parent
    return (PostKind.REPOST if body.empty else PostKind.REBLOG_WITH_COMMENT), parent


def _parent_ref(post_json: Mapping[str, Any], trail: tuple[Post, ...]) -> PostRef | None:
    """The post this one reblogs: the newest trail item, else the reblog_info fields."""
    parent_id = post_json.get("parent_post_id") or post_json.get("reblogged_from_id")
    parent_url = post_json.get("parent_post_url") or post_json.get("reblogged_from_url")
    name = post_json.get("reblogged_from_name")
    if trail and (parent_id is None or trail[-1].ref.id == str(parent_id)):
        return trail[-1].ref
    if parent_id is None and not isinstance(parent_url, str):
        return None
    match = _POST_ID.search(parent_url) if isinstance(parent_url, str) else None
    ident = str(parent_id) if parent_id is not None else (match.group(1) if match else "")
    return PostRef(
        Platform.TUMBLR,
        str(name or ""),
        ident,
        parent_url if isinstance(parent_url, str) else None,
    )
