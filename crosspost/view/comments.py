"""The comments others left on a post (a Dreamwidth journal's), as a threaded list on its page.

A backup keeps them as the `comments` collection (collections/comments.json), each naming the
post it answers (`subject`) and the comment it replies to (`raw.parentid`). A post's page shows
them under its card, each reply inside its parent's item, so it is indented under it; a comment
whose parent is not kept stands at the top. An anonymous comment is named "Anonymous"; a deleted
one shows as "deleted comment" (its replies stay); a screened one is marked "screened" (only the
journal's owner sees it on the site). Comment text is HTML others wrote: it passes the viewer's
sanitiser (safe.py) like post text, and the template (comments.html.j2) escapes the rest.

Only the private viewer (`crosspost view`) shows comments. The public site (`crosspost site`)
never does: commenters wrote for the journal's readers, not for a published archive, and their
comments on a locked entry are as private as the entry.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from markupsafe import Markup, escape

from crosspost.account_data import Collection, Entry
from crosspost.backup.account_files import read_collection
from crosspost.backup.store import AccountBackup
from crosspost.errors import DataError
from crosspost.model import RichText
from crosspost.view.cards import sanitised_markup
from crosspost.view.render import partial
from crosspost.view.safe import Sanitise, safe_url

QUESTION = "c"  # the dependency question (depends.py): the comments of one post
MAX_DEPTH = 30  # replies deeper than this are listed under it in order, not indented further


class CommentIndex:
    """Each account's comments, read once per render, by the id of the post they answer."""

    def __init__(self) -> None:
        self._by_folder: dict[str, dict[str, list[Entry]]] = {}

    def of(self, backup: AccountBackup, post_id: str) -> list[Entry]:
        """The comments on one post, oldest first (a damaged or absent file: none)."""
        folder = os.fspath(backup.folder)
        found = self._by_folder.get(folder)
        if found is None:
            found = self._by_folder[folder] = _read(backup)
        return found.get(post_id, [])

    def digest(self, backup: AccountBackup, post_id: str) -> str:
        """What the comments of a post are, in one string: a page shows them as they are."""
        entries = self.of(backup, post_id)
        if not entries:
            return ""
        text = "\n".join(repr(e.to_json()) for e in entries)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read(backup: AccountBackup) -> dict[str, list[Entry]]:
    try:
        _, entries = read_collection(backup, Collection.COMMENTS)
    except DataError:
        return {}
    grouped: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.subject is not None:
            grouped[entry.subject.id].append(entry)
    for run in grouped.values():
        run.sort(key=_order)
    return dict(grouped)


def _order(entry: Entry) -> tuple[int, str]:
    return (int(entry.id) if entry.id.isdigit() else 0, entry.id)


class Shown(NamedTuple):
    """One comment as the template shows it; `text` is sanitised markup, the rest is escaped
    by the template."""

    id: str
    deleted: bool
    author: str  # "Anonymous" for an anonymous comment
    author_url: str | None
    when: str
    when_iso: str
    notes: tuple[str, ...]  # screened, frozen, no longer on the site
    url: str | None
    subject: str
    text: Markup
    replies: list[Shown]


_THREAD = partial("comments.html.j2")


def thread_html(comments: Sequence[Entry], sanitise: Sanitise) -> Markup:
    """The comments of a post as nested lists (replies inside their parent's item); "" for
    none."""
    if not comments:
        return escape("")
    ids = {c.id for c in comments}
    children: dict[str, list[Entry]] = defaultdict(list)
    for comment in comments:
        parent = str(comment.raw.get("parentid") or "")
        children[parent if parent in ids and parent != comment.id else ""].append(comment)
    tree = _tree(children, "", sanitise, set(), 0)
    return _THREAD(count=len(comments), comments=tree)


def _tree(
    children: dict[str, list[Entry]], parent: str, sanitise: Sanitise, done: set[str], depth: int
) -> list[Shown]:
    shown = []
    below = children.get(parent, [])
    if depth >= MAX_DEPTH:
        below = _descendants(children, parent)
    for comment in below:
        if comment.id in done:  # a loop of parents in a damaged file: each comment once
            continue
        done.add(comment.id)
        replies = _tree(children, comment.id, sanitise, done, depth + 1)
        shown.append(_shown(comment, sanitise, replies))
    return shown


def _descendants(children: dict[str, list[Entry]], parent: str) -> list[Entry]:
    """Every reply under `parent`, in reading order (each after the one it answers)."""
    found, stack, seen = [], list(reversed(children.get(parent, []))), set()
    while stack:
        comment = stack.pop()
        if comment.id in seen:
            continue
        seen.add(comment.id)
        found.append(comment)
        stack.extend(reversed(children.get(comment.id, [])))
    return found


def _shown(comment: Entry, sanitise: Sanitise, replies: list[Shown]) -> Shown:
    state = str(comment.raw.get("state") or "A")
    notes = [word for flag, word in ((state == "S", "screened"), (state == "F", "frozen"),
                                     (bool(comment.raw.get("gone")), "no longer on the site"))
             if flag]  # fmt: skip
    post = comment.post
    source: RichText | str = post.text if post is not None else ""
    if post is None or not post.text.text.strip():
        source = str(comment.raw.get("body") or "")
    when = comment.created_at
    person = comment.person
    return Shown(
        id=comment.id,
        deleted=state == "D",
        author=person.name if person is not None else "Anonymous",
        author_url=safe_url(person.url) if person is not None else None,
        when=when.strftime("%Y-%m-%d %H:%M") if when is not None else "",
        when_iso=when.isoformat() if when is not None else "",
        notes=tuple(notes),
        url=safe_url(post.ref.url) if post is not None else None,
        subject=str(comment.raw.get("subject") or ""),
        text=sanitised_markup(source, sanitise),
        replies=replies,
    )
