"""The members of a Mastodon archive, each met once: a tar.gz read as a stream, a zip, a folder.

Mastodon writes its archive as a tar.gz (app/services/backup_service.rb: the media files
first, then outbox.json, likes.json, bookmarks.json, avatar, header, actor.json). A gzip
stream cannot seek, so every member is read in one pass, front to back: reopening it to reach
one member costs a rescan from the start, and per media file that made a 69 MB archive take
8 minutes. A zip and a folder can be read in any order: their JSON documents come first.

Member names are normalised ("./a" and "/a" are "a"); they never become paths on disk. In a
folder, links are not followed, so nothing outside it is read. Nothing is read whole: a member
is a stream checked against the size it declares (a zip bomb, a file growing while read), and
a member declaring more than MAX_MEMBER is left out unread. A damaged container (a bad CRC, a
truncated or corrupt gzip or deflate stream, an encrypted member, an unknown compression
method, a name that is not the UTF-8 it says) is a DataError naming the file.
"""

from __future__ import annotations

import gzip
import os
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from crosspost.errors import DataError
from crosspost.platforms.archive_safety import (
    CHUNK,
    UNREADABLE,
    Bounded,
    normalise,
    said,
    zip_opener,
)

DOCUMENTS = ("outbox.json", "actor.json", "likes.json", "bookmarks.json")
# Mastodon's largest attachment is 99 MB by default (MediaAttachment::VIDEO_LIMIT, raised by
# some servers); a member declaring more than this is no media file of an account.
MAX_MEMBER = 4 << 30
MAX_ITEM = 16 << 20  # one outbox item, actor.json: far beyond a post with its attachments
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    size: int
    open: Callable[[], IO[bytes]]  # good until the next member is met


def iter_members(path: Path) -> Iterator[Member]:
    """Every file of the archive at `path`, once; DataError when it is no archive."""
    if path.is_dir():
        return _folder(path)
    if zipfile.is_zipfile(path):
        return _zip(path)
    if path.is_file():
        return _tar(path)
    raise DataError(f"{path} is not a Mastodon archive (expected a zip or tar.gz)")


def document_name(name: str) -> str | None:
    """ "outbox.json" for the archive's outbox, also inside one wrapping folder (an archive
    unpacked and zipped again); None for a media file."""
    head, _, base = name.rpartition("/")
    return base if base in DOCUMENTS and "/" not in head else None


def _documents_first(names: Iterable[str]) -> list[str]:
    return sorted(names, key=lambda name: document_name(normalise(name)) is None)


def bounded(member: Member) -> Bounded:
    return Bounded(member.name, member.open(), member.size)


def _tar(path: Path) -> Iterator[Member]:
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            # tarfile's own gzip reader ignores the gzip trailer: GzipFile checks its CRC.
            source: IO[bytes] = gzip.GzipFile(fileobj=raw) if gzipped else raw  # type: ignore[assignment]
            with tarfile.open(fileobj=source, mode="r|" if gzipped else "r|*") as archive:
                while (info := archive.next()) is not None:
                    # A stream's TarFile still keeps every member it met (in `members`, which
                    # typeshed omits): some 500 bytes each, for nothing when read once in order.
                    archive.members.clear()  # type: ignore[attr-defined]
                    if info.isfile():
                        yield Member(normalise(info.name), info.size, _tar_opener(archive, info))
                while source.read(CHUNK):  # to the end, where the trailer is checked
                    pass
    except (*UNREADABLE, OSError) as error:
        raise DataError(f"{path}: not a readable Mastodon archive ({said(error)})") from None


def _tar_opener(archive: tarfile.TarFile, info: tarfile.TarInfo) -> Callable[[], IO[bytes]]:
    def opened() -> IO[bytes]:
        stream = archive.extractfile(info)
        if stream is None:
            raise DataError(f"{info.name}: not a file")
        return stream

    return opened


def _zip(path: Path) -> Iterator[Member]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
            for name in _documents_first(infos):
                info = infos[name]
                yield Member(normalise(name), info.file_size, zip_opener(path, archive, info))
    except UnicodeDecodeError:
        raise DataError(f"{path}: a member's name is not the UTF-8 the zip says it is") from None
    except (*UNREADABLE, OSError) as error:
        raise DataError(f"{path}: not a readable Mastodon archive ({said(error)})") from None


def _folder(root: Path) -> Iterator[Member]:
    found: dict[str, Path] = {}
    for folder, subfolders, files in os.walk(root):  # os.walk follows no linked folder
        subfolders.sort()
        for file in sorted(files):
            full = Path(folder, file)
            if not full.is_symlink() and full.is_file():
                found[full.relative_to(root).as_posix()] = full
    for name in _documents_first(found):
        full = found[name]
        yield Member(name, full.stat().st_size, _file_opener(full))


def _file_opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def suffixes(name: str) -> Iterator[str]:
    """`name`, then what follows each "/" in it: a/b/c, b/c, c."""
    yield name
    start = name.find("/")
    while start >= 0:
        yield name[start + 1 :]
        start = name.find("/", start + 1)


MIN_PARTS = 3  # a path shortened to match a member keeps at least e.g. "original/x/y.png"


class MemberNames:
    """The media files met in the archive, found by the path an attachment names. The two may
    differ in front: a server on local storage writes absolute file paths
    (/home/mastodon/live/public/system/media_attachments/...), and a URL behind a CDN may have
    a prefix of its own (/mastodon/media_attachments/...)."""

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}
        self._ending: dict[str, str] = {}

    def add(self, name: str, size: int) -> None:
        self.sizes.setdefault(name, size)
        for tail in suffixes(name):
            self._ending.setdefault(tail, name)

    def find(self, path: str) -> str | None:
        if path in self.sizes:
            return path
        if path in self._ending:
            return self._ending[path]
        for tail in suffixes(path):
            if tail in self.sizes and tail.count("/") >= MIN_PARTS - 1:
                return tail
        return None


def wanted_by(paths: Iterable[str]) -> Callable[[str], bool]:
    """Whether a member may be what one of `paths` names (as MemberNames.find matches)."""
    exact = set(paths)
    shorter = {tail for path in exact for tail in suffixes(path)}
    return lambda name: name in shorter or any(tail in exact for tail in suffixes(name))
