"""Reading the members of an export archive safely, whichever platform wrote it.

A member's name is normalised ("./a", "/a" and "a\\b" become "a" and "a/b") and never becomes
a path on disk by itself. A member is read as a stream checked against the size it declares
(`Bounded`): a zip bomb, or a file growing while read, ends in DataError instead of filling
memory or disk. Opening a member the zip module cannot read (an encrypted one, an unknown
compression method) is a DataError saying what to do. The exceptions a damaged container
raises while being read are `UNREADABLE`.

(This sits in crosspost/platforms/ rather than crosspost/exports/: platform readers use it, and
the platforms layer may not import the exports layer; see tests/test_layers.py.)
"""

from __future__ import annotations

import gzip
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

from crosspost.errors import DataError

# What a truncated or damaged archive raises, also while one of its members is being read.
UNREADABLE = (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, EOFError)
CHUNK = 1 << 20


def normalise(name: str) -> str:
    parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]
    return "/".join(parts)


def said(error: BaseException) -> str:
    """What a damaged container's exception says, for a one-line message."""
    if isinstance(error, EOFError):
        return f"truncated: {error}"
    return str(error) or type(error).__name__


class Bounded:
    """A member's stream that ends in DataError when it gives more or fewer bytes than its
    member declared."""

    def __init__(self, name: str, stream: IO[bytes], size: int) -> None:
        self.name, self._stream, self._left = name, stream, size

    def read(self, size: int = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else size
        data = self._stream.read(min(want, self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise DataError(f"{self.name}: more bytes than the archive says it has")
        if not data and self._left > 0 and want > 0:
            raise DataError(f"{self.name}: {self._left} bytes fewer than the archive says")
        return data

    def __enter__(self) -> Bounded:
        return self

    def __exit__(self, *_: object) -> None:
        self._stream.close()


def zip_opener(
    path: Path | str, archive: zipfile.ZipFile, info: zipfile.ZipInfo
) -> Callable[[], IO[bytes]]:
    """Opens one member of `archive` (the file at `path`), or says in one line why it cannot."""

    def opened() -> IO[bytes]:
        try:
            return archive.open(info)
        except NotImplementedError:
            method = info.compress_type
            raise DataError(
                f"{path}: {info.filename} uses a compression method crosspost cannot read "
                f"({method}); unpack the archive with another tool and import the folder"
            ) from None
        except RuntimeError as error:  # zipfile's "File ... is encrypted, password required"
            if "encrypted" not in str(error):
                raise
            raise DataError(
                f"{path}: {info.filename} is encrypted; unpack the archive with its password "
                "and import the folder"
            ) from None

    return opened
