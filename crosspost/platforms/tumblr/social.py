"""A blog's likes and social graph (following, followers, blocks) as collection entries, and how
their pages follow each other. Pure functions.

API docs: https://github.com/tumblr/docs/blob/master/api.md#likes--retrieve-blogs-likes,
#following--retrieve-blogs-following, #followers--retrieve-a-blogs-followers,
#blocks--retrieve-blogs-blocks

Likes page by `before` (the `liked_timestamp` of the oldest like read), never by `offset`:
"the maximum limit on the offset is 1000", says api.md. `before` is strict, so two likes in one
second across a page boundary would lose one; the next page asks for `before = last + 1` and
skips the ids already read in that second (as paging.py does for posts). A page is not full just
because it is short: without `before` Tumblr answers limit + 1 likes (tumblr/docs#67), and it
leaves out liked posts it will not show (tumblr/docs#92), so the listing ends on an empty page.

Following and followers page by offset, which counts places in the whole list: Tumblr drops
blogs it will not show from a page afterwards, so pages come back short (pytumblr#125, jumblr#97,
where stepping by what came back repeated about 10% of the followers). The next offset is
therefore always offset + limit, up to the total the answer gives. Blocks say their next offset
in `_links.next` and have no total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crosspost.account_data import Entry, Person
from crosspost.errors import DataError
from crosspost.model import Platform, PostRef
from crosspost.platforms.tumblr.blocks import best_media
from crosspost.platforms.tumblr.npf import blog_url
from crosspost.platforms.tumblr.read import post_id, to_post

LIST_LIMIT = 20  # likes, following, followers and blocks all take limit 1-20
Raw = Mapping[str, Any]


# --- entries ---------------------------------------------------------------------------------


def to_person(blog: Raw) -> Person:
    """A blog object (or a follower's user object) as a Person: id = uuid where given."""
    name = _text(blog, "name")
    uuid = _text(blog, "uuid")
    if not (name or uuid):
        raise DataError("a Tumblr blog without a name or uuid cannot be named")
    avatar = best_media(blog.get("avatar"))
    return Person(
        id=uuid or name,
        handle=name,
        display_name=_text(blog, "title"),
        url=_with_scheme(blog_url(blog)),
        avatar_url=str(avatar["url"]) if avatar is not None else None,
    )


def person_entry(blog: Raw) -> Entry:
    person = to_person(blog)
    return Entry(id=person.id, person=person, raw=dict(blog))


def like_entry(record: Raw) -> Entry:
    """One of `liked_posts`: the like (when, which post) and the post's content. A post the model
    cannot read keeps its reference and its payload in `raw`."""
    ident = post_id(record)
    blog = record.get("blog")
    name = _text(record, "blog_name") or (_text(blog, "name") if isinstance(blog, Mapping) else "")
    url = record.get("post_url")
    subject = PostRef(Platform.TUMBLR, name, ident, url if isinstance(url, str) else None)
    stamp = liked_timestamp(record)
    created_at = datetime.fromtimestamp(stamp, UTC) if stamp is not None else None
    kept = {key: record[key] for key in ("liked_timestamp", "reblog_key") if key in record}
    try:
        post = to_post(record, account=name)
    except DataError:
        return Entry(ident, created_at, subject, raw=dict(record))
    return Entry(ident, created_at, subject, post=post, raw=kept)


def liked_timestamp(record: Raw) -> int | None:
    value = record.get("liked_timestamp")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _with_scheme(url: str | None) -> str | None:
    """A blog URL as a link: the blocks example gives `harryblog19.tumblr.com` bare."""
    if url is None or url.startswith(("http://", "https://")):
        return url
    return f"https://{url.lstrip('/')}"


def _text(item: Raw, key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


# --- paging ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LikesCursor:
    """Where the next page of likes starts: below `before` (a liked_timestamp); `ids` were read in
    that second already; `strict` steps past the second altogether (a page full of one second)."""

    before: int | None = None
    ids: tuple[str, ...] = ()
    count: int = 0
    strict: bool = False

    @classmethod
    def parse(cls, text: str | None) -> LikesCursor:
        if not text:
            return cls()
        try:
            kind, before, count, ids = text.split(":", 3)
            seen = tuple(filter(None, ids.split(",")))
            if kind in ("likes", "likes!"):
                return cls(int(before), seen, int(count), strict=kind == "likes!")
        except ValueError:
            pass
        raise DataError(f"Tumblr likes cursor {text!r} is not one this version wrote")

    def dump(self) -> str:
        return f"likes{'!' if self.strict else ''}:{self.before}:{self.count}:{','.join(self.ids)}"

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"npf": "true", "limit": LIST_LIMIT}
        if self.before is not None:
            params["before"] = self.before if self.strict else self.before + 1
        return params

    def seen(self, record: Raw) -> bool:
        return (
            self.before is not None
            and liked_timestamp(record) == self.before
            and _id(record) in self.ids
        )


def next_likes(
    where: LikesCursor, raw: Sequence[Raw], total: object
) -> tuple[list[Raw], LikesCursor | None]:
    """The likes of this answer not read yet, and where the next page starts (None: the end)."""
    fresh = [record for record in raw if not where.seen(record)]
    last = liked_timestamp(raw[-1]) if raw else None
    if last is None:
        return fresh, None  # an empty page (or likes without times, which cannot page on)
    count = where.count + len(fresh)
    if len(raw) < LIST_LIMIT and isinstance(total, int) and count >= total:
        return fresh, None
    if not fresh:
        return fresh, LikesCursor(last, (), count, strict=True)
    carried = where.ids if where.before == last and not where.strict else ()
    in_last = [_id(record) for record in raw if liked_timestamp(record) == last]
    return fresh, LikesCursor(last, tuple(dict.fromkeys((*carried, *in_last))), count)


def parse_offset(text: str | None) -> int:
    if not text:
        return 0
    kind, _, number = text.partition(":")
    if kind == "offset" and number.isdigit():
        return int(number)
    raise DataError(f"Tumblr list cursor {text!r} is not one this version wrote")


def next_offset(offset: int, returned: int, total: object, links: object) -> str | None:
    """The cursor of the page after one read at `offset` (see the module docstring)."""
    after = offset + LIST_LIMIT
    following = links.get("next") if isinstance(links, Mapping) else None
    query = following.get("query_params") if isinstance(following, Mapping) else None
    stated = query.get("offset") if isinstance(query, Mapping) else None
    if isinstance(stated, str) and stated.isdigit():
        stated = int(stated)
    if isinstance(stated, int) and not isinstance(stated, bool) and stated > offset:
        after = stated
    if isinstance(total, int) and not isinstance(total, bool):
        return f"offset:{after}" if after < total else None
    if isinstance(links, Mapping) and following is None:
        return None  # a `_links` without `next`: the last page
    return f"offset:{after}" if returned else None


def _id(record: Raw) -> str:
    return str(record.get("id_string") or record.get("id"))
