"""Posts from a Bluesky repository export (`repo.car`, from Settings or com.atproto.sync.getRepo).

https://atproto.com/specs/repository . The export holds records, not blobs: images stay as
references, to be fetched by `crosspost backup` of the same account.
"""

from __future__ import annotations

from pathlib import Path

from crosspost.exports.model import Export
from crosspost.model import Platform
from crosspost.platforms.bluesky.car import commit_of, load_car, read_car


def read_bluesky_export(path: Path) -> Export:
    did, _ = commit_of(load_car(path))
    return Export(
        platform=Platform.BLUESKY,
        account=did,
        posts=read_car(path, account=did),
        skipped=[],
        media_bytes=lambda media: None,
    )
