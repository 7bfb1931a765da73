"""Posts from a Bluesky repository export (`repo.car`, from Settings or com.atproto.sync.getRepo).

https://atproto.com/specs/repository and https://ipld.io/specs/transport/car/carv1/ (a
varint-prefixed DAG-CBOR header with `roots` and `version`). The export holds records, not
blobs: images stay as references, to be fetched by `crosspost backup` of the same account.
"""

from __future__ import annotations

from pathlib import Path

from crosspost.model import Platform
from crosspost.platforms.export import Export
from crosspost.platforms.spec import ExportFormat


def read_export(path: Path) -> Export:
    from crosspost.platforms.bluesky.car import commit_of, load_car, read_car

    did, _ = commit_of(load_car(path))
    return Export(
        platform=Platform.BLUESKY,
        account=did,
        stable_id=did,
        posts=read_car(path, account=did),
        skipped=[],
        media_bytes=lambda media: None,
    )


def is_car_head(head: bytes) -> bool:
    """A varint header length, then a CBOR map (major type 5) naming "roots" and "version"."""
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


CAR_EXPORT = ExportFormat(
    kind="bluesky-car", label="a Bluesky repo.car", read=read_export, matches_head=is_car_head
)
