"""Listing a journal: which entries exist (syncitems), and the entries themselves (getevents).

`syncitems` (Protocol.pm) answers the items changed strictly after `lastsync`, oldest change
first, at most 500 a call, with `count` (this answer) and `total` (all that changed): a listing
loops until an answer holds everything left (`count == total`). Items are `L-<itemid>` (an entry
created or edited) and `C-<itemid>` (comments changed on an entry): only `L-` items are
entries. A deleted entry is simply absent; what was deleted is what a listing no longer has.

An incremental listing asks only for what changed after the mark the last one left (`changes`).
The cursor moves to the last item's time, less a second: an answer cut at 500 may have left out
items of that same second, which "strictly newer" would otherwise skip for good; the items seen
again are merged. (Only a second holding more than 500 changes still loses some: then the
cursor has to move on.)

`getevents` with `selecttype=multiple` takes up to 100 item ids a call; each entry comes back in
the native shape of the contract (`journal` and `ditemid` added here).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crosspost.platforms.dreamwidth.protocol import Transport

EVENTS_PER_CALL = 100  # getevents selecttype=multiple (and syncitems): Protocol.pm's $limit
_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass
class SyncItems:
    """What syncitems said: entries (itemid -> time of its last change), entries whose comments
    changed, and the newest time seen (the `lastsync` a later listing may start from)."""

    entries: dict[int, str] = field(default_factory=dict)
    comments: dict[int, str] = field(default_factory=dict)
    lastsync: str = ""
    latest: set[str] = field(default_factory=set)  # the items ("L-3") changed at `lastsync`
    calls: int = 0


def sync_items(transport: Transport, lastsync: str = "", *, journal: str = "") -> SyncItems:
    """Every item changed after `lastsync` ("": ever), over as many calls as it takes."""
    found = SyncItems(lastsync=lastsync)
    cursor = lastsync
    while True:
        args: dict[str, Any] = {"lastsync": cursor} if cursor else {}
        args = _on(transport, journal, args)
        answer = transport.call("syncitems", args, what="list the journal's entries")
        found.calls += 1
        items = [i for i in answer.get("syncitems") or [] if isinstance(i, Mapping)]
        for item in items:
            kind, _, number = str(item.get("item", "")).partition("-")
            when = str(item.get("time", ""))
            if not number.isdigit():
                continue
            target = found.entries if kind == "L" else found.comments if kind == "C" else None
            if target is not None:
                target[int(number)] = max(when, target.get(int(number), ""))
            if when > found.lastsync:
                found.lastsync, found.latest = when, set()
            if when == found.lastsync:
                found.latest.add(str(item.get("item", "")))
        count, total = _int(answer.get("count"), len(items)), _int(answer.get("total"), 0)
        if not items or count >= total:
            return found
        cursor = _next_cursor(cursor, [str(i.get("time", "")) for i in items])


def changes(
    transport: Transport, mark: str | None, *, journal: str = ""
) -> tuple[SyncItems, str | None]:
    """The items changed after `mark` (None: every item ever), and the mark this listing
    leaves: the newest change's time and the items changed in that second ("T|L-3,C-5"). The
    next listing starts a second before it and leaves those items out, so a change made later
    in that same second is not lost to "strictly newer"."""
    if not mark:
        items = sync_items(transport, journal=journal)
        return items, _mark(items) or None
    when, _, seen = mark.partition("|")
    items = sync_items(transport, earlier(when), journal=journal)
    known = set(seen.split(",")) if seen else set()
    for kind, found in (("L", items.entries), ("C", items.comments)):
        for number, changed in list(found.items()):
            if changed == when and f"{kind}-{number}" in known:
                del found[number]
    return items, _mark(items) if items.latest else mark


def _mark(items: SyncItems) -> str:
    return f"{items.lastsync}|{','.join(sorted(items.latest))}" if items.lastsync else ""


def earlier(when: str) -> str:
    """A syncitems time one second earlier (so that a listing from it holds that second)."""
    return (datetime.strptime(when[:19], _TIME) - timedelta(seconds=1)).strftime(_TIME)


def _next_cursor(cursor: str, times: Sequence[str]) -> str:
    last = max(times)
    if min(times) == last:  # the whole answer is one second: move past it
        return last
    return max(earlier(last), cursor)


def events(
    transport: Transport, itemids: Iterable[int], *, journal: str
) -> Iterator[dict[str, Any]]:
    """The entries of `itemids` (those that still exist), 100 a call, in the order asked."""
    batch: list[int] = []
    for itemid in itemids:
        batch.append(itemid)
        if len(batch) == EVENTS_PER_CALL:
            yield from _batch(transport, batch, journal)
            batch = []
    if batch:
        yield from _batch(transport, batch, journal)


def _batch(transport: Transport, itemids: Sequence[int], journal: str) -> list[dict[str, Any]]:
    args = {"selecttype": "multiple", "itemids": ",".join(str(i) for i in itemids)}
    answer = transport.call("getevents", _on(transport, journal, args), what="read entries")
    by_id = {e["itemid"]: e for e in (native(e, journal) for e in _events(answer))}
    return [by_id[i] for i in itemids if i in by_id]


def one(transport: Transport, itemid: int, *, journal: str) -> dict[str, Any] | None:
    """One entry, or None when it is not there (deleted, or never was)."""
    args = {"selecttype": "one", "itemid": itemid}
    answer = transport.call("getevents", _on(transport, journal, args), what="read an entry")
    found = [native(e, journal) for e in _events(answer)]
    return next((e for e in found if e["itemid"] == itemid), None)


def recent(transport: Transport, *, journal: str, howmany: int = 50) -> list[dict[str, Any]]:
    """The newest entries by their date (`lastn`, at most 50)."""
    args = {"selecttype": "lastn", "howmany": min(howmany, 50)}
    answer = transport.call("getevents", _on(transport, journal, args), what="read recent entries")
    return [native(e, journal) for e in _events(answer)]


def native(event: Mapping[str, Any], journal: str) -> dict[str, Any]:
    """An entry as getevents gave it (decoded), with what the contract adds."""
    entry = dict(event)
    entry["itemid"] = _int(entry.get("itemid"), 0)
    entry["anum"] = _int(entry.get("anum"), 0)
    entry["ditemid"] = entry["itemid"] * 256 + entry["anum"]
    entry.setdefault("subject", "")
    entry.setdefault("event", "")
    entry["subject"], entry["event"] = str(entry["subject"]), str(entry["event"])
    if "allowmask" in entry:
        entry["allowmask"] = _int(entry["allowmask"], 0)
    entry["props"] = dict(entry.get("props") or {})
    entry["journal"] = journal
    return entry


def gone(known: Iterable[int], listed: SyncItems) -> list[int]:
    """Entries a backup holds that a whole listing no longer has: deleted on the site."""
    return sorted(set(known) - set(listed.entries))


def _on(transport: Transport, journal: str, args: dict[str, Any]) -> dict[str, Any]:
    """`usejournal` only for another journal (a community): the user's own needs none."""
    if journal and journal != transport.username:
        return {**args, "usejournal": journal}
    return args


def _events(answer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in answer.get("events") or [] if isinstance(e, Mapping)]


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
