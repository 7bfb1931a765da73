"""The media files of an export, kept on disk as its one pass meets them, then moved into the
backup's content-addressed media folder when a post (or the profile) names them.

A Mastodon tar.gz puts its media before outbox.json, so when a file is met nothing yet says
which post it belongs to, what type the post says it is, nor which account's folder it goes
to (actor.json comes last). Each file is therefore streamed, in chunks (never whole in
memory), into a spool folder under the backup root, hashed on the way; naming it later is a
rename on the same disk, not a second copy. What no post names is deleted with the spool.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import IO

from crosspost.backup.media import MediaCheckError, expected_sha256, extension_for
from crosspost.backup.store import TEMP_SUFFIX, AccountBackup, make_private_dirs, sync_folder
from crosspost.model import Media

CHUNK = 1 << 20
HEAD = 16  # enough bytes to tell the file's type (media.sniff_mime)
SPOOL_PREFIX = ".import-spool-"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True, slots=True)
class Spooled:
    path: str  # a str, not a Path: one per media file of the export, 300 bytes less each
    sha256: str
    size: int
    head: bytes


class Spool:
    """A with-block: the spool folder is removed at its end, whatever happened."""

    def __init__(self, root: Path) -> None:
        self.folder = root / f"{SPOOL_PREFIX}{secrets.token_hex(6)}"
        self.files: dict[str, Spooled] = {}
        self.bytes = 0
        self._placed: dict[str, Media] = {}
        self._moved_into: set[Path] = set()

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def put(self, name: str, stream: IO[bytes]) -> None:
        """Keep one file of the export (a sink for `Export.read_files`); a name met twice keeps
        its first file."""
        if name in self.files:
            return
        make_private_dirs(self.folder)
        path = os.path.join(self.folder, f"{len(self.files):08d}")
        digest = hashlib.sha256()
        head = b""
        size = 0
        descriptor = os.open(path, _CREATE, 0o600)
        try:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                head = head or chunk[:HEAD]
                size += len(chunk)
                _write_all(descriptor, chunk)
            os.fsync(descriptor)  # durable before it is renamed into the backup
        finally:
            os.close(descriptor)
        self.files[name] = Spooled(path, digest.hexdigest(), size, head)
        self.bytes += size

    def place(self, backup: AccountBackup, media: Media) -> Media | None:
        """The media item with its file stored in `backup` (sha256, size, mime, local_path),
        or None when the export held no file by the name its `local_path` gives;
        MediaCheckError when the file is not what the item says."""
        name = media.local_path or ""
        if name in self._placed:
            stored = self._placed[name]
            return replace(
                media,
                sha256=stored.sha256,
                size=stored.size,
                mime=stored.mime,
                local_path=stored.local_path,
            )
        spooled = self.files.get(name)
        if spooled is None:
            return None
        _check(media, spooled)
        extension, mime = extension_for(media.mime, spooled.head)
        target = backup.media_path(spooled.sha256, extension)
        if target.exists() and target.stat().st_size == spooled.size:
            _unlink(spooled.path)  # the backup has it already
        else:
            _move(spooled.path, target)
            self._moved_into.add(target.parent)
        stored = replace(
            media,
            sha256=spooled.sha256,
            size=spooled.size,
            mime=mime or media.mime,
            local_path=backup.media_relative(spooled.sha256, extension),
        )
        self._placed[name] = stored
        return stored

    def sync(self) -> None:
        """Make the renames into the media folders durable (once per folder, not per file)."""
        for folder in self._moved_into:
            sync_folder(folder)
        self._moved_into.clear()


def _check(media: Media, spooled: Spooled) -> None:
    if media.size is not None and media.size != spooled.size:
        raise MediaCheckError(f"expected {media.size} bytes, got {spooled.size} (truncated?)")
    expected = expected_sha256(media)
    if expected is not None and expected != spooled.sha256:
        raise MediaCheckError(f"the bytes do not match the expected SHA-256 {expected[:12]}...")


def _move(source: str, target: Path) -> None:
    make_private_dirs(target.parent)
    try:
        os.replace(source, target)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    # The backup's media folder is on another disk (a mount inside the backup root): copy.
    temp = target.parent / f".w{secrets.token_hex(6)}{TEMP_SUFFIX}"
    try:
        shutil.copyfile(source, temp)
        descriptor = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    _unlink(source)


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
