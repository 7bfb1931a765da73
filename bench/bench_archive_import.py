"""Time `crosspost import` of Mastodon archives as tar.gz, at two sizes, to show it is linear.

Run: python -m bench.bench_archive_import [POSTS [MEDIA]] (default 2,500 posts with 250 media,
then four times that). The archives are laid out as Mastodon's BackupService writes them
(app/services/backup_service.rb): the media files first, then outbox.json, likes.json,
bookmarks.json, avatar, header and actor.json last, gzipped, with incompressible media bytes.
One post in ten is a boost. The larger import must take under 5 times the smaller one.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from crosspost.backup.importer import import_export
from crosspost.backup.store import BackupStore

ACTOR = "https://bench.example/users/me"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
MEDIA_BYTES = 30_000
PNG = b"\x89PNG\r\n\x1a\n"
ROUNDS = 2


def _media_name(number: int) -> str:
    digits = f"{number:09d}"
    return (
        f"media_attachments/files/{digits[:3]}/{digits[3:6]}/{digits[6:]}/original/{number:x}.png"
    )


def _item(number: int, media: int | None) -> dict[str, Any]:
    published = f"2024-01-01T00:00:{number % 60:02d}Z"
    if number % 10 == 9:
        return {
            "id": f"{ACTOR}/statuses/{number}/activity",
            "type": "Announce",
            "actor": ACTOR,
            "published": published,
            "to": [PUBLIC],
            "cc": [f"{ACTOR}/followers"],
            "object": f"https://other.example/users/bob/statuses/{number}",
        }
    attachment = []
    if media is not None:
        url = "/" + _media_name(media)
        attachment = [{"type": "Document", "mediaType": "image/png", "url": url, "name": "alt"}]
    note = {
        "id": f"{ACTOR}/statuses/{number}",
        "type": "Note",
        "published": published,
        "url": f"https://bench.example/@me/{number}",
        "to": [PUBLIC],
        "cc": [f"{ACTOR}/followers"],
        "content": f"<p>Post number {number} with a few words of text in it</p>",
        "attachment": attachment,
        "tag": [],
    }
    return {"id": f"{ACTOR}/statuses/{number}/activity", "type": "Create", "object": note}


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def build_archive(path: Path, posts: int, media: int) -> Path:
    """A tar.gz archive of `posts` posts, `media` of them with one image each."""
    rng = random.Random(posts)
    every = max(posts // max(media, 1), 1)
    with_media = [n for n in range(posts) if n % every == 0 and n % 10 != 9][:media]
    owner = {number: index for index, number in enumerate(with_media)}
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for index in range(len(with_media)):
            _add(archive, _media_name(index), PNG + rng.randbytes(MEDIA_BYTES))
        items = [_item(n, owner.get(n)) for n in range(posts)]
        outbox = {"id": "outbox.json", "type": "OrderedCollection", "orderedItems": items}
        _add(archive, "outbox.json", json.dumps(outbox).encode())
        liked = [f"https://other.example/users/bob/statuses/{n}" for n in range(posts // 5)]
        for name in ("likes.json", "bookmarks.json"):
            collection = {"id": name, "type": "OrderedCollection", "orderedItems": liked}
            _add(archive, name, json.dumps(collection).encode())
        _add(archive, "avatar.png", PNG + rng.randbytes(MEDIA_BYTES))
        _add(archive, "header.png", PNG + rng.randbytes(MEDIA_BYTES))
        actor = {
            "id": ACTOR,
            "type": "Person",
            "preferredUsername": "me",
            "name": "Me",
            "icon": {"type": "Image", "mediaType": "image/png", "url": "avatar.png"},
            "image": {"type": "Image", "mediaType": "image/png", "url": "header.png"},
        }
        _add(archive, "actor.json", json.dumps(actor).encode())
    return path


def time_import(posts: int, media: int, folder: Path) -> tuple[float, int, Any]:
    """The best of two imports into a fresh backup (the disk is shared: fsync times vary)."""
    archive = build_archive(folder / f"archive-{posts}.tar.gz", posts, media)
    best = float("inf")
    for run in range(ROUNDS):
        started = time.perf_counter()
        result = import_export(archive, BackupStore(folder / f"out-{posts}-{run}"))
        best = min(best, time.perf_counter() - started)
    return best, archive.stat().st_size, result


def main(posts: int = 2500, media: int = 250) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as temp:
        figures = []
        for factor in (1, 4):
            seconds, size, result = time_import(posts * factor, media * factor, Path(temp))
            figures.append(seconds)
            print(
                f"{posts * factor:>6} posts, {media * factor:>5} media, "
                f"{size / 1e6:6.1f} MB tar.gz: {seconds:7.2f} s "
                f"({result.new} new, {result.media_stored} media stored)"
            )
        ratio = figures[1] / figures[0]
        print(f"4x the archive took {ratio:.2f}x the time (linear: about 4, must be under 5)")
        if ratio >= 5:
            sys.exit(1)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
