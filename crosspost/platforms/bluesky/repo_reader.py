"""Reading Bluesky repos for BlueskyClient: the account's own (listRecords, or one getRepo
snapshot for everything past a first page) and other accounts' records and blobs, each on the
PDS that holds it.

https://docs.bsky.app/docs/api/com-atproto-repo-list-records,
https://docs.bsky.app/docs/api/com-atproto-sync-get-repo and https://atproto.com/specs/did (a
DID document names the account's PDS)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from crosspost.errors import DataError, PlatformError, RateLimitedError
from crosspost.model import Media
from crosspost.platforms.bluesky.refs import split_uri
from crosspost.platforms.bluesky.snapshot import Item, RepoSnapshot
from crosspost.platforms.bluesky.xrpc import CallError, Xrpc

PAGE_SIZE = 100
# A getRepo snapshot serves later pages of any collection for this long (a run's listing); a
# first page of posts is always asked for afresh (sync polls it).
SNAPSHOT_MAX_AGE = timedelta(minutes=5)
_BLOB_IN_URL = re.compile(r"(did:[a-z]+:[A-Za-z0-9._:%-]+)[/&?].*?\b(baf[a-z2-7]{20,})")
GET_BLOB_PATH = "/xrpc/com.atproto.sync.getBlob"


class RepoReader:
    """Every read of records and blobs, counted in `xrpc.calls` whichever PDS answers."""

    def __init__(
        self,
        xrpc: Xrpc,
        did: str,
        pds: str,
        *,
        now: Callable[[], datetime],
        transport: httpx.BaseTransport | None,
        pds_of: Callable[[str], str | None],
        snapshots: bool,
    ) -> None:
        self.xrpc, self.did, self.pds = xrpc, did, pds
        self._now, self._transport = now, transport
        self._pds_of = pds_of  # another account's PDS (a liked post's author)
        self._pds_found: dict[str, str | None] = {}
        self._others: dict[str, Xrpc] = {}  # other PDSes, counted in the same `xrpc.calls`
        self._snapshot: RepoSnapshot | None = None
        self._snapshot_at: datetime | None = None
        # Why no getRepo snapshot is used (it failed, or `snapshots` is off): listRecords serves.
        self._snapshot_problem = "" if snapshots else "repo snapshots are turned off"
        self._snapshot_lock = threading.Lock()

    def query(
        self, what: str, nsid: str, params: Mapping[str, Any], xrpc: Xrpc | None = None
    ) -> Any:
        return (xrpc or self.xrpc).get(what, nsid, params)

    def get_record(self, uri: str, xrpc: Xrpc | None = None) -> Mapping[str, Any] | None:
        authority, collection, rkey = split_uri(uri)
        params = {"repo": authority, "collection": collection, "rkey": rkey}
        try:
            return as_mapping(self.query("read a post", "com.atproto.repo.getRecord", params, xrpc))
        except CallError as error:
            if error.status == 400 and error.error in ("RecordNotFound", None):
                return None
            raise

    def list_records(
        self, collection: str, cursor: str | None = None, *, fresh: bool = False
    ) -> tuple[list[Item], str | None]:
        """One listRecords-shaped page of a collection of the account's repo, newest first.

        A listing that goes past its first page is served from the whole repo, downloaded once
        (sync.getRepo) and kept for SNAPSHOT_MAX_AGE: a full backup of 1,000 posts and every
        collection costs two calls instead of ten and more, while an incremental one that
        stops after the first page still costs one small call. Where getRepo fails, listRecords
        serves every page. `fresh` asks a first page of the server even with a snapshot kept."""
        snapshot = self._kept_snapshot()
        if snapshot is None and cursor is not None:
            snapshot = self._load_snapshot()
        if snapshot is not None and not (fresh and cursor is None):
            return snapshot.page(collection, cursor, PAGE_SIZE)
        params: dict[str, Any] = {"repo": self.did, "collection": collection, "limit": PAGE_SIZE}
        if cursor:
            params["cursor"] = cursor
        out = as_mapping(self.query("list posts", "com.atproto.repo.listRecords", params))
        records = [r for r in out.get("records") or [] if isinstance(r, Mapping)]
        next_cursor = out.get("cursor")
        more = isinstance(next_cursor, str) and len(records) == PAGE_SIZE
        return records, next_cursor if more else None

    def snapshot_loaded(self) -> bool:
        return self._kept_snapshot() is not None

    def snapshot_count(self, collection: str) -> int | None:
        """How many records of `collection` the kept snapshot holds (None without one)."""
        snapshot = self._kept_snapshot()
        return None if snapshot is None else snapshot.count(collection)

    def _kept_snapshot(self) -> RepoSnapshot | None:
        taken = self._snapshot_at
        if taken is None or self._now() - taken > SNAPSHOT_MAX_AGE:
            self._snapshot = None  # let the memory go
            return None
        return self._snapshot

    def load_snapshot(self) -> RepoSnapshot | None:
        """The repo snapshot, downloaded now unless one is kept (None: getRepo failed)."""
        return self._kept_snapshot() or self._load_snapshot()

    def _load_snapshot(self) -> RepoSnapshot | None:
        with self._snapshot_lock:
            if self._kept_snapshot() is not None or self._snapshot_problem:
                return self._kept_snapshot()
            taken = self._now()
            try:
                snapshot = RepoSnapshot.from_bytes(self.fetch_repo())
            except RateLimitedError:
                raise
            except (PlatformError, DataError) as error:
                self._snapshot_problem = str(error)  # listRecords it is, for this run
                return None
            self._snapshot, self._snapshot_at = snapshot, taken
            return snapshot

    def own_record(self, collection: str, rkey: str) -> Item | None:
        """One record of the account's repo (from the snapshot when one is kept)."""
        uri = f"at://{self.did}/{collection}/{rkey}"
        snapshot = self._kept_snapshot()
        return snapshot.get(uri) if snapshot is not None else self.get_record(uri)

    def read_record(self, uri: str) -> tuple[Item, str | None] | None:
        """Any account's record and the PDS that holds it (None: not there, e.g. deleted):
        the account's own from its repo, another's from its PDS as its DID document names
        it, else as the account's PDS finds it (a PDS with an App View asks it)."""
        author = split_uri(uri)[0]
        if author == self.did:
            record = self.own_record(*split_uri(uri)[1:])
            return None if record is None else (record, self.pds)
        pds = self.pds_for(author)
        if pds is None or pds == self.pds:
            record = self.get_record(uri)
            return None if record is None else (record, pds)
        record = self.get_record(uri, self.other(pds))
        return None if record is None else (record, pds)

    def pds_for(self, did: str) -> str | None:
        if did not in self._pds_found:
            try:
                self._pds_found[did] = self._pds_of(did)
            except PlatformError:
                self._pds_found[did] = None
        return self._pds_found[did]

    def other(self, pds: str) -> Xrpc:
        if pds not in self._others:
            other = Xrpc(pds, self.xrpc.retry, self._transport)
            other.calls = self.xrpc.calls  # one count of every call this client makes
            self._others[pds] = other
        return self._others[pds]

    def fetch_blob(self, media: Media) -> bytes:
        """A blob, from the PDS its URL names, else its owner's PDS (a liked post's author's:
        a CDN URL from an App View names the DID), else the account's."""
        match = _BLOB_IN_URL.search(media.url or "")
        if match is None:
            raise DataError(f"{media.url!r} names no Bluesky blob (DID and CID)")
        did = match.group(1)
        params = {"did": did, "cid": match.group(2)}
        host = _blob_host(media.url or "") or (None if did == self.did else self.pds_for(did))
        xrpc = self.other(host) if host and host != self.pds else None
        data = self.query("download media", "com.atproto.sync.getBlob", params, xrpc)
        if not isinstance(data, bytes):
            raise PlatformError("sync.getBlob did not answer with bytes")
        return data

    def fetch_repo(self, since: str | None = None) -> bytes:
        """The repo as a CAR file (com.atproto.sync.getRepo), e.g. for `read_car`. With `since`
        (the `rev` of an earlier download, see car.read_rev) only the diff: the blocks written
        after that revision, so `read_car` yields the records created or changed since (deletions
        do not show in a diff)."""
        params = {"did": self.did} if since is None else {"did": self.did, "since": since}
        data = self.query("download repo", "com.atproto.sync.getRepo", params)
        if not isinstance(data, bytes):
            raise PlatformError("sync.getRepo did not answer with bytes")
        return data


def _blob_host(url: str) -> str | None:
    """The service a sync.getBlob URL asks (None for a CDN URL)."""
    parts = urlsplit(url)
    if not parts.path.endswith(GET_BLOB_PATH):
        return None
    return f"{parts.scheme}://{parts.netloc}{parts.path.removesuffix(GET_BLOB_PATH)}"


def as_mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if hasattr(value, "model_dump"):  # an SDK model (a write's answer): its JSON form
        dumped = value.model_dump(by_alias=True, exclude_none=True)
        if isinstance(dumped, Mapping):
            return dumped
    raise PlatformError("Bluesky answered with something other than a JSON object")
