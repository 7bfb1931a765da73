"""JSON values kept on disk, one line each, while an archive is read: what grows with the size of
the account (the outbox's items, its boosts, the statuses liked and bookmarked) is never held in
memory, only read back one value at a time when it is needed.

A 100,000-post archive holds some 20,000 likes and 10,000 boosts; as Python objects (an Entry, a
PostRef and their strings each, a boost's whole activity) they weighed about 40 MB, held from
the first member read to the last post written. On disk they cost a temporary file each.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import Any


class Lines:
    """An append-only file of JSON values, read back in the order written, as often as asked
    (one reader at a time). Deleted when closed or garbage-collected (a TemporaryFile)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._at_end = True
        self.count = 0

    def add(self, value: Any) -> None:
        if not self._at_end:  # a reading left the file somewhere in the middle
            self._file.seek(0, 2)
            self._at_end = True
        # json.dumps escapes every newline inside a string: one value is one line.
        self._file.write(json.dumps(value).encode() + b"\n")
        self.count += 1

    def __iter__(self) -> Iterator[Any]:
        self._file.flush()
        self._file.seek(0)
        self._at_end = False
        for line in self._file:
            yield json.loads(line)

    def close(self) -> None:
        self._file.close()
