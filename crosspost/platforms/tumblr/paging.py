"""Paging through a blog: published posts by offset (by `before` when the blog changes under the
listing), then drafts, then the queue.

API docs: https://github.com/tumblr/docs/blob/master/api.md#posts--retrieve-published-posts

Neither of the API's ways through /posts is right on its own:
- `before` (and the `_links.next` the API returns, which uses it) is strict, so posts sharing a
  second across a page boundary are skipped: scheduled and backdated posts often do
  (tumblr/docs#76, which Tumblr will not change). Asking for `before = last + 1` instead re-reads
  the posts of that second, one repeated post a page at least: 2,000 posts at 20 a page cost 106
  calls instead of 100.
- `offset` counts positions, so ties cost nothing, but a post published or deleted while the
  listing runs moves every older post by one: a repeat or, worse, a skip. (The two cannot be
  combined: "you cannot use `before` and `offset` in the same request", says api.md.)

So the listing pages by offset and checks every page: `total_posts` must be the one the previous
page gave, and the page must begin right after the previous one (no post newer than the oldest
read so far, none read already). When a check fails the page is set aside and the listing goes
on by `before = last + 1` from the oldest post read, carrying the ids seen in that second so they
are not counted twice; it also does so when it continues a cursor this client did not issue (a
run resumed later, when anything may have changed). The listing ends only when the blog has
nothing older: an empty page (at an offset at or past an unchanged `total_posts`, or by time),
never because the posts counted reached `total_posts`. An empty page short of `total_posts`
goes on by `before`, so offset paging that stops being served (as /likes' does past 1,000)
loses nothing either. A full listing of N posts therefore costs ceil(N / page) + 1 calls while
the blog holds still (one more when its count holds posts the API does not list), and never
loses a post when it does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from crosspost.errors import DataError

PHASES = ("offset", "posts", "draft", "queue")
QUEUE_LIMIT = 20  # /posts/queue takes 1-20
Raw = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Cursor:
    phase: str = "offset"
    before: int | None = None  # offset, posts: the timestamp of the oldest post read so far
    ids: tuple[str, ...] = ()  # offset, posts: ids already read in that second
    count: int = 0  # offset, posts: posts read so far (offset: the next offset too)
    total: int | None = None  # offset: total_posts when the last page was read
    position: str = ""  # draft: before_id; queue: offset

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        phase, _, rest = text.partition(":")
        try:
            if phase == "offset":
                count, total, before, ids = rest.split(":", 3)
                return cls(phase, _int(before), _ids(ids), int(count), _int(total))
            if phase == "posts":
                before, count, ids = rest.split(":", 2)
                return cls(phase, int(before), _ids(ids), int(count))
            if phase in PHASES:
                return cls(phase, position=rest)
        except ValueError:
            pass
        raise DataError(f"Tumblr page cursor {text!r} is not one this version wrote")

    def dump(self) -> str:
        ids = ",".join(self.ids)
        if self.phase == "offset":
            return f"offset:{self.count}:{_text(self.total)}:{_text(self.before)}:{ids}"
        if self.phase == "posts":
            return f"posts:{self.before}:{self.count}:{ids}"
        return f"{self.phase}:{self.position}"

    def by_time(self) -> Cursor:
        """The same place in the listing, reached by `before` rather than by offset."""
        if self.phase != "offset" or self.before is None:
            return self  # nothing read yet (or no timestamps): the offset is all there is
        return Cursor("posts", self.before, self.ids, self.count)

    def params(self, page_size: int) -> dict[str, Any]:
        params: dict[str, Any] = {"npf": "true"}
        if self.phase == "offset":
            params["limit"] = page_size
            if self.count:
                params["offset"] = self.count
        elif self.phase == "posts":
            params["limit"] = page_size
            if self.before is not None:
                params["before"] = self.before + 1
        elif self.phase == "draft" and self.position:
            params["before_id"] = self.position
        elif self.phase == "queue":
            params.update(limit=min(page_size, QUEUE_LIMIT), offset=int(self.position or 0))
        return params

    def seen(self, post: Raw) -> bool:
        """Read already: in the second of the oldest post read, and among the ids kept for it."""
        return self.before is not None and _timestamp(post) == self.before and _id(post) in self.ids


def next_page(
    where: Cursor, raw: Sequence[Raw], total: object, signed: bool
) -> tuple[list[Raw], Cursor | None]:
    """The posts of this answer to keep, and where the next page starts (None: all is read)."""
    if where.phase == "offset":
        if where.count and not raw and isinstance(total, int) and total == where.total:
            if where.count < total:
                # Nothing here, yet the blog counts more: offset paging may stop short (the API
                # caps `offset` at 1,000 on /likes, and could on /posts one day), or the count
                # holds posts this reader is not shown. Going on by time settles it: one call.
                return [], where.by_time()
            return [], _end(signed)  # nothing at this offset, and nothing moved: all is read
        if where.count and not _continues(where, raw, total):
            return [], where.by_time()  # the blog changed under the listing: go on by time
        return list(raw), _after(where, raw, list(raw), total, signed)
    if where.phase == "posts":
        fresh = [p for p in raw if not where.seen(p)]
        return fresh, _after(where, raw, fresh, total, signed)
    if where.phase == "draft":
        return list(raw), Cursor("draft", position=_id(raw[-1])) if raw else Cursor("queue")
    if len(raw) < QUEUE_LIMIT:
        return list(raw), None
    return list(raw), Cursor("queue", position=str(int(where.position or 0) + len(raw)))


def _continues(where: Cursor, raw: Sequence[Raw], total: object) -> bool:
    """This offset page follows the pages before it: nothing was published or deleted between
    them, and it starts below the oldest post read so far."""
    if not isinstance(total, int) or total != where.total or not raw:
        return False  # an empty page before the end is confirmed by time, too
    first = _timestamp(raw[0])
    if where.before is None or first is None:
        return True
    return first < where.before or (first == where.before and _id(raw[0]) not in where.ids)


def _after(
    where: Cursor, raw: Sequence[Raw], fresh: Sequence[Raw], total: object, signed: bool
) -> Cursor | None:
    count = where.count + len(fresh)
    last = _timestamp(raw[-1]) if raw else None
    # The end is where the blog has nothing older: never a count reaching `total_posts`, which
    # shrinks when posts are deleted between two runs (and may count, for a `before` query, only
    # the older posts), so such arithmetic ends a resumed listing short.
    end = not fresh
    if where.phase == "posts":
        end = end or last is None
    if end:
        return _end(signed)
    if last is None:  # offset paging without timestamps: nothing to fall back on
        return replace(where, count=count, total=total if isinstance(total, int) else None)
    in_last_second = [_id(p) for p in raw if _timestamp(p) == last]
    carried = where.ids if where.before == last else ()
    ids = tuple(dict.fromkeys((*carried, *in_last_second)))
    kept_total = total if isinstance(total, int) else None
    return Cursor(where.phase, last, ids, count, kept_total if where.phase == "offset" else None)


def _end(signed: bool) -> Cursor | None:
    """After the published posts: drafts and the queue when signed, else the end."""
    return Cursor("draft") if signed else None


def _timestamp(post: Raw) -> int | None:
    value = post.get("timestamp")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _id(post: Raw) -> str:
    return str(post.get("id_string") or post.get("id"))


def _ids(text: str) -> tuple[str, ...]:
    return tuple(filter(None, text.split(",")))


def _int(text: str) -> int | None:
    return int(text) if text else None


def _text(value: int | None) -> str:
    return "" if value is None else str(value)
