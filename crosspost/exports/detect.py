"""What kind of export a file is: a Bluesky repo CAR, a Mastodon archive, or a Tumblr export.

https://ipld.io/specs/transport/car/carv1/ (a varint-prefixed DAG-CBOR header with `roots` and
`version`), https://docs.joinmastodon.org/user/moving/#export (`outbox.json` and `actor.json` in
a zip or tar.gz), https://help.tumblr.com/export-your-blog/ (a zip of `posts/` HTML and media).
"""

from __future__ import annotations

import tarfile
import zipfile
from enum import StrEnum
from pathlib import Path

from crosspost.errors import DataError


class ExportKind(StrEnum):
    BLUESKY_CAR = "bluesky-car"
    MASTODON_ARCHIVE = "mastodon-archive"
    TUMBLR_EXPORT = "tumblr-export"


def detect_export(path: Path) -> ExportKind:
    """The kind of an export file or unpacked folder; DataError when it is none we know."""
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        return _kind_of_names([p.relative_to(path).as_posix() for p in path.rglob("*")], path)
    if _is_car(path):
        return ExportKind.BLUESKY_CAR
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return _kind_of_names(archive.namelist(), path)
        if tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                return _kind_of_names(archive.getnames(), path)
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as error:
        raise DataError(f"{path}: cannot read the archive ({error})") from None
    raise DataError(
        f"{path} is not an export crosspost reads (a Bluesky repo.car, or a Mastodon archive "
        "zip or tar.gz)"
    )


def _is_car(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            head = file.read(64)
    except OSError as error:
        raise DataError(f"{path}: cannot read it ({error.strerror})") from None
    # A varint header length, then a CBOR map (major type 5) naming "roots" and "version".
    length, offset = _varint(head)
    return (
        length is not None
        and 0 < length < 1024
        and offset < len(head)
        and head[offset] >> 5 == 5
        and b"roots" in head
        and b"version" in head
    )


def _varint(data: bytes) -> tuple[int | None, int]:
    value = shift = 0
    for index, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, index + 1
        shift += 7
    return None, 0


def _kind_of_names(names: list[str], path: Path) -> ExportKind:
    bases = {name.rstrip("/").rpartition("/")[2] for name in names}
    if "outbox.json" in bases:
        return ExportKind.MASTODON_ARCHIVE
    if "posts.zip" in bases or any(name.startswith("posts/") for name in names):
        return ExportKind.TUMBLR_EXPORT
    raise DataError(
        f"{path}: an archive without outbox.json (Mastodon) or posts/ (Tumblr); "
        "not an export crosspost reads"
    )
