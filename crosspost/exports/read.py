"""One entry point: detect the kind of export and read it."""

from __future__ import annotations

from pathlib import Path

from crosspost.errors import DataError
from crosspost.exports.detect import ExportKind, detect_export
from crosspost.exports.model import Export


def read_export(path: Path) -> tuple[ExportKind, Export]:
    kind = detect_export(path)
    if kind is ExportKind.BLUESKY_CAR:
        from crosspost.exports.bluesky import read_bluesky_export

        return kind, read_bluesky_export(path)
    if kind is ExportKind.MASTODON_ARCHIVE:
        from crosspost.exports.mastodon import read_mastodon_export

        return kind, read_mastodon_export(path)
    raise DataError(
        f"{path} looks like a Tumblr blog export; its HTML pages do not carry what a backup "
        "needs. Back the blog up from the API instead: crosspost backup tumblr:BLOG"
    )
