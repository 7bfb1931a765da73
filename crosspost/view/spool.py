"""Rendered post cards kept on disk while a site is rendered, not in memory.

A post's card is shown on several pages (the index, its month, each of its tags, its
conversation, its own page), so it is rendered once and kept; kept in memory, the cards of
100,000 posts would be a few hundred MB. They go into one unnamed temporary file beside the
site instead (gone when it is closed, or when the process ends however it ends), with their
places in two arrays indexed by the post's place in the archive; a card is read back with one
pread, from the page cache.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from pathlib import Path

from markupsafe import Markup


class CardSpool:
    """Cards by the index of their entry (`Entry.index`), from 0 to `count` - 1."""

    def __init__(self, count: int, folder: Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by close()
        self._fd = self._file.fileno()
        self._offsets = array("q", [-1]) * count
        self._lengths = array("q", [0]) * count
        self._end = 0

    def get(self, index: int) -> Markup | None:
        data = self.get_bytes(index)
        if data is None:
            return None
        return Markup(data.decode("utf-8"))  # written by `put`: markup the card template made

    def put(self, index: int, html: Markup) -> None:
        if not isinstance(html, Markup):
            raise TypeError("only a rendered card (Markup) goes into the card spool")
        self.put_bytes(index, html.encode("utf-8"))

    def get_bytes(self, index: int) -> bytes | None:
        """What `put_bytes` kept for the index (a post's line of the post cache, depends.py)."""
        if not 0 <= index < len(self._offsets):
            return None
        offset = self._offsets[index]
        if offset < 0:
            return None
        return os.pread(self._fd, self._lengths[index], offset)

    def put_bytes(self, index: int, data: bytes) -> None:
        if not 0 <= index < len(self._offsets):
            return
        view = memoryview(data)
        while view:
            view = view[os.pwrite(self._fd, view, self._end + len(data) - len(view)) :]
        self._offsets[index] = self._end
        self._lengths[index] = len(data)
        self._end += len(data)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CardSpool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
