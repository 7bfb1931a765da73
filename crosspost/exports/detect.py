"""What kind of export a file is, asked of every platform's export formats (their registry
entries): a file's first bytes (e.g. a repo CAR header), or an archive's or folder's member
names (e.g. a Mastodon archive's `outbox.json`).

A tar.gz is read as a stream and only until a format claims one of its member names: a
gzip stream cannot seek, and listing every member of a gigabytes-large archive would cost a
whole pass over it before the import's own.
"""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from pathlib import Path

from crosspost.errors import DataError
from crosspost.platforms.registry import specs
from crosspost.platforms.spec import ExportFormat

_HEAD_BYTES = 64


def export_formats() -> list[ExportFormat]:
    return [form for entry in specs() for form in entry.exports]


def detect_export(path: Path) -> ExportFormat:
    """The format of an export file or unpacked folder; DataError when it is none we know."""
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if not path.is_dir() and not path.is_file():  # a FIFO or a device: reading it may never end
        raise DataError(f"{path}: not a regular file or folder; give the export file itself")
    if path.is_dir():
        return _by_names([p.relative_to(path).as_posix() for p in path.rglob("*")], path)
    head = _head(path)
    for form in export_formats():
        if form.matches_head is not None and form.matches_head(head):
            return form
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return _by_names(archive.namelist(), path)
        if tarfile.is_tarfile(path):
            return _by_names(_tar_names(path), path)
    except UnicodeDecodeError:
        raise DataError(f"{path}: a member's name is not the UTF-8 the zip says it is") from None
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, zlib.error) as error:
        said = f"truncated: {error}" if isinstance(error, EOFError) else str(error)
        raise DataError(f"{path}: cannot read the archive ({said})") from None
    readable = [form.label for form in export_formats() if form.label]
    raise DataError(f"{path} is not an export crosspost reads ({', or '.join(readable)})")


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(_HEAD_BYTES)
    except OSError as error:
        raise DataError(f"{path}: cannot read it ({error.strerror})") from None


def _tar_names(path: Path) -> list[str]:
    """The member names up to the first one a format claims (all of them when none does)."""
    claims = [form.matches_names for form in export_formats() if form.matches_names is not None]
    names: list[str] = []
    with tarfile.open(path, mode="r|*") as archive:
        for member in archive:
            names.append(member.name)
            if any(claim([member.name]) for claim in claims):
                break
    return names


def _by_names(names: list[str], path: Path) -> ExportFormat:
    for form in export_formats():
        if form.matches_names is not None and form.matches_names(names):
            return form
    hints = " or ".join(form.names_hint for form in export_formats() if form.names_hint)
    raise DataError(f"{path}: an archive without {hints}; not an export crosspost reads")
