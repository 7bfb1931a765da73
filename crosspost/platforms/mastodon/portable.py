"""A backup's collections in the CSV files Mastodon's own import takes (Preferences > Import
and export > Import), so follows, blocks, mutes, lists and bookmarks move to a new server as
they are: the formats of Mastodon's `app/models/form/import.rb` and its export.

following_accounts.csv  header `Account address,Show boosts,Notify on new posts,Languages`
muted_accounts.csv      header `Account address,Hide notifications`
blocked_accounts.csv    one account address a line, no header
lists.csv               `list name,account address` a line, no header
bookmarks.csv           one status URI a line, no header
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from crosspost.account_data import Collection, Entry, Person

_FILES = {
    Collection.FOLLOWING: "following_accounts.csv",
    Collection.MUTES: "muted_accounts.csv",
    Collection.BLOCKS: "blocked_accounts.csv",
    Collection.LISTS: "lists.csv",
    Collection.BOOKMARKS: "bookmarks.csv",
}


def portable_files(kind: Collection, entries: Sequence[Entry]) -> Sequence[tuple[str, str]]:
    name = _FILES.get(kind)
    if name is None:
        return ()
    if kind is Collection.FOLLOWING:
        header = ["Account address", "Show boosts", "Notify on new posts", "Languages"]
        rows = [[acct, "true", "false", ""] for acct in _accts(e.person for e in entries)]
        return ((name, _csv([header, *rows])),)
    if kind is Collection.MUTES:
        rows = [[acct, "true"] for acct in _accts(e.person for e in entries)]
        return ((name, _csv([["Account address", "Hide notifications"], *rows])),)
    if kind is Collection.BLOCKS:
        return ((name, _csv([[acct] for acct in _accts(e.person for e in entries)])),)
    if kind is Collection.LISTS:
        rows = [[e.name, acct] for e in entries for acct in _accts(e.members)]
        return ((name, _csv(rows)),)
    # A bookmark's id is the status's ActivityPub URI, which is what the import looks up.
    return ((name, _csv([[e.id] for e in entries if e.id.startswith("https://")])),)


def _accts(people: Iterable[Person | None]) -> list[str]:
    """Account addresses (user@host) as Mastodon's import reads them, each once."""
    found: dict[str, None] = {}
    for person in people:
        if person is not None and "@" in person.handle.lstrip("@"):
            found.setdefault(person.handle.lstrip("@"), None)
    return list(found)


def _csv(rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
