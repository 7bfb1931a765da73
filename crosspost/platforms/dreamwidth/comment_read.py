"""Dreamwidth comments, as the comment export gives them (comments.py) -> collection entries.

Each comment is one Entry of `Collection.COMMENTS`: `id` is its id in the journal (jtalkid),
`subject` the entry it answers (by ditemid, the id the backup keeps the entry under), `person`
its poster (None for an anonymous comment), `created_at` its date, and `post` the comment itself
as a Post: its subject as the title, its body read as Dreamwidth shows it (casual line breaks,
user tags: richtext_read), `reply_to` the comment it answers or else the entry. `raw` keeps the
export's record (body HTML, parent id, state, props) untouched.

States (Export.pm): A active, S screened (only the journal's owner sees it: kept, private),
F frozen (no more replies), D deleted (the export gives no body; a body kept from before stays).
A comment the export no longer lists at all (its entry was deleted) is kept, marked `gone`.
A comment's page is its entry's page with `?thread=<dtalkid>#cmt<dtalkid>`, where dtalkid is
`jtalkid * 256 + anum`, the entry's anum (LJ::Comment::dtalkid).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from crosspost.account_data import Entry, Person
from crosspost.model import Platform, Post, PostKind, PostRef, Visibility
from crosspost.platforms.dreamwidth.richtext_read import body_format, read_body

STATES = {"A": "active", "S": "screened", "F": "frozen", "D": "deleted"}
People = Callable[[int, str], Person | None]  # (posterid, username) -> the poster


def to_entry(
    record: Mapping[str, Any], *, journal: str, entry: PostRef | None, people: People
) -> Entry:
    """One comment record (comments.py's dict) as a collection entry; `entry` is the entry it
    answers (None when that entry is gone and its id can no longer be told)."""
    cid = int(record.get("id") or 0)
    when = _date(str(record.get("date") or ""))
    person = people(int(record.get("posterid") or 0), str(record.get("poster") or ""))
    parent = int(record.get("parentid") or 0)
    state = str(record.get("state") or "A")
    body = str(record.get("body") or "")
    props = record.get("props")
    props = props if isinstance(props, Mapping) else {}
    read = read_body(body, body_format(props, None, body))
    ref = _ref(journal, cid, entry)
    post = Post(
        ref=ref,
        created_at=when or datetime.fromtimestamp(0, UTC),
        undated=when is None,
        kind=PostKind.REPLY,
        title=str(record.get("subject") or ""),
        text=read.text,
        media=tuple(read.media),
        reply_to=_ref(journal, parent, entry) if parent else entry,
        thread_root=entry,
        visibility=Visibility.PRIVATE if state == "S" else Visibility.PUBLIC,
        deleted=state == "D",
    )  # its raw record is the entry's
    return Entry(str(cid), created_at=when, subject=entry, post=post, person=person,
                 name=post.title, raw=dict(record))  # fmt: skip


def with_state(saved: Entry, state: str, person: Person | None) -> Entry:
    """A comment kept from an earlier run, in the state the export gives it now (its body, when
    it is deleted since, stays as it was kept)."""
    raw = {**saved.raw, "state": state}
    raw.pop("gone", None)
    post = saved.post
    if post is not None:
        visibility = Visibility.PRIVATE if state == "S" else Visibility.PUBLIC
        post = replace(post, deleted=state == "D", visibility=visibility)
    return replace(saved, raw=raw, post=post, person=person or saved.person)


def gone(saved: Entry) -> Entry:
    """A comment kept from an earlier run that the export no longer lists (its entry deleted)."""
    if saved.raw.get("gone"):
        return saved
    post = saved.post.with_changes(deleted=True) if saved.post is not None else None
    return replace(saved, raw={**saved.raw, "gone": True}, post=post)


def state_of(entry: Entry) -> str:
    """How the comment stands: active, screened, frozen, deleted (or gone from the site)."""
    if entry.raw.get("gone"):
        return "gone"
    return STATES.get(str(entry.raw.get("state") or "A"), "active")


def _ref(journal: str, cid: int, entry: PostRef | None) -> PostRef:
    if entry is None or not entry.id.isdigit():
        return PostRef(Platform.DREAMWIDTH, journal, f"comment-{cid}")
    dtalkid = cid * 256 + int(entry.id) % 256
    url = f"{entry.url}?thread={dtalkid}#cmt{dtalkid}" if entry.url else None
    return PostRef(Platform.DREAMWIDTH, journal, f"{entry.id}-{dtalkid}", url)


def _date(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
