"""A whole repo (one com.atproto.sync.getRepo CAR) served as listRecords pages, from memory.

https://docs.bsky.app/docs/api/com-atproto-sync-get-repo and
https://docs.bsky.app/docs/api/com-atproto-repo-list-records

Listing 1,000 posts costs ten listRecords calls; the CAR holds every record of the repo in one.
Pages come out as listRecords gives them: `{uri, cid, value}` items of one collection, newest
record key first, and the cursor is the last key of the page (records with smaller keys come
next), so a listing may go on from a cursor either gave. Records are converted to JSON only as
their page is served: the CAR's blocks are what is kept.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

from crosspost.errors import DataError
from crosspost.platforms.bluesky.car import commit_of, parse_car, to_json, walk_mst
from crosspost.platforms.bluesky.cid import Car, Cid
from crosspost.platforms.bluesky.refs import split_uri

Item = Mapping[str, Any]


class RepoSnapshot:
    def __init__(self, car: Car) -> None:
        self.did, root = commit_of(car)
        rev = car.blocks[car.root].get("rev")  # commit_of found the commit there
        self.rev: str | None = rev if isinstance(rev, str) else None
        self._blocks = car.blocks
        self._keys: dict[str, list[str]] = {}  # collection -> record keys, ascending
        self._cids: dict[str, Cid] = {}  # "collection/rkey" -> record CID
        for path, cid in walk_mst(car, root):
            collection, _, rkey = path.partition("/")
            self._keys.setdefault(collection, []).append(rkey)
            self._cids[path] = cid
        for keys in self._keys.values():
            keys.sort()  # MST order is key order already; sorting costs little and is sure

    @classmethod
    def from_bytes(cls, data: bytes) -> RepoSnapshot:
        try:
            car = parse_car(data)
        except DataError as error:
            raise DataError(f"the repo download is not a readable CAR file ({error})") from None
        return cls(car)

    def count(self, collection: str) -> int:
        return len(self._keys.get(collection, ()))

    def page(
        self, collection: str, cursor: str | None, limit: int
    ) -> tuple[list[Item], str | None]:
        """Up to `limit` records with keys below `cursor` (all, without one), newest first; the
        next cursor, or None after the last page."""
        keys = self._keys.get(collection, [])
        end = len(keys) if cursor is None else bisect.bisect_left(keys, cursor)
        start = max(end - limit, 0)
        chosen = keys[start:end][::-1]
        items = [item for rkey in chosen if (item := self._item(collection, rkey)) is not None]
        return items, (chosen[-1] if start > 0 and chosen else None)

    def get(self, uri: str) -> Item | None:
        """One record by its at-uri, if this repo holds it."""
        did, collection, rkey = split_uri(uri)
        if did != self.did:
            return None
        return self._item(collection, rkey)

    def _item(self, collection: str, rkey: str) -> Item | None:
        cid = self._cids.get(f"{collection}/{rkey}")
        block = self._blocks.get(cid) if cid is not None else None
        if not isinstance(block, Mapping):
            return None  # a partial CAR leaves records out
        uri = f"at://{self.did}/{collection}/{rkey}"
        return {"uri": uri, "cid": str(cid), "value": to_json(block)}
