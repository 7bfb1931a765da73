"""One entry point: detect the kind of export and read it, through the platform that gives it."""

from __future__ import annotations

from pathlib import Path

from crosspost.exports.detect import detect_export
from crosspost.platforms.export import Export


def read_export(path: Path) -> tuple[str, Export]:
    """The export's kind (e.g. "bluesky-car") and what it holds; DataError when unreadable."""
    found = detect_export(path)
    return found.kind, found.read(path)
