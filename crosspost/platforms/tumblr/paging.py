"""Paging through a blog: published posts by `before` timestamp, then drafts, then the queue.

API docs: https://github.com/tumblr/docs/blob/master/api.md#posts--retrieve-published-posts

`before` is strict ("published before a timestamp"), so paging with the last post's own timestamp
would skip posts sharing that second. The cursor asks for `before = last + 1` and carries the ids
already seen in that second, which costs one repeated post per page and never loses one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crosspost.errors import DataError

PHASES = ("posts", "draft", "queue")
QUEUE_LIMIT = 20  # /posts/queue takes 1-20


@dataclass(frozen=True, slots=True)
class Cursor:
    phase: str = "posts"
    before: int | None = None  # posts: the timestamp of the last post seen
    ids: tuple[str, ...] = ()  # posts: ids already seen at `before`
    count: int = 0  # posts: how many were read so far (checked against total_posts)
    position: str = ""  # draft: before_id; queue: offset

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        phase, _, rest = text.partition(":")
        try:
            if phase == "posts":
                before, count, ids = rest.split(":", 2)
                return cls(phase, int(before), tuple(filter(None, ids.split(","))), int(count))
            if phase in PHASES:
                return cls(phase, position=rest)
        except ValueError:
            pass
        raise DataError(f"Tumblr page cursor {text!r} is not one this version wrote")

    def dump(self) -> str:
        if self.phase == "posts":
            return f"posts:{self.before}:{self.count}:{','.join(self.ids)}"
        return f"{self.phase}:{self.position}"

    def params(self, page_size: int) -> dict[str, Any]:
        params: dict[str, Any] = {"npf": "true"}
        if self.phase == "posts":
            params["limit"] = page_size
            if self.before is not None:
                params["before"] = self.before + 1
        elif self.phase == "draft" and self.position:
            params["before_id"] = self.position
        elif self.phase == "queue":
            params.update(limit=min(page_size, QUEUE_LIMIT), offset=int(self.position or 0))
        return params

    def seen(self, post: Mapping[str, Any]) -> bool:
        return (
            self.phase == "posts"
            and self.before is not None
            and _timestamp(post) == self.before
            and _id(post) in self.ids
        )


def _timestamp(post: Mapping[str, Any]) -> int | None:
    value = post.get("timestamp")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _id(post: Mapping[str, Any]) -> str:
    return str(post.get("id_string") or post.get("id"))


def next_cursor(
    where: Cursor,
    raw: Sequence[Mapping[str, Any]],
    fresh: Sequence[Mapping[str, Any]],
    total: object,
    signed: bool,
) -> Cursor | None:
    """Where the next page starts, or None when everything readable has been read."""
    if where.phase == "posts":
        count = where.count + len(fresh)
        last = _timestamp(raw[-1]) if raw else None
        done = not fresh or last is None or (isinstance(total, int) and count >= total)
        if done:
            return Cursor("draft") if signed else None
        same_second = [_id(p) for p in raw if _timestamp(p) == last]
        carried = where.ids if where.before == last else ()
        return Cursor("posts", last, tuple(dict.fromkeys((*carried, *same_second))), count)
    if where.phase == "draft":
        return Cursor("draft", position=_id(raw[-1])) if raw else Cursor("queue")
    if len(raw) < QUEUE_LIMIT:
        return None
    return Cursor("queue", position=str(int(where.position or 0) + len(raw)))
