"""A backup's follows and blocks as plain lists of DIDs, one a line: what bulk-follow and
block-list tools for Bluesky (and a starter pack) are made from. A DID, not a handle: it stays
right when the person changes their handle."""

from __future__ import annotations

from collections.abc import Sequence

from crosspost.account_data import Collection, Entry

_FILES = {Collection.FOLLOWING: "following_dids.txt", Collection.BLOCKS: "blocked_dids.txt"}


def portable_files(kind: Collection, entries: Sequence[Entry]) -> Sequence[tuple[str, str]]:
    name = _FILES.get(kind)
    if name is None:
        return ()
    dids = dict.fromkeys(
        e.person.id for e in entries if e.person is not None and e.person.id.startswith("did:")
    )
    return ((name, "".join(f"{did}\n" for did in dids)),)
