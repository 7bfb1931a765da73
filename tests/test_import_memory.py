"""What an import holds while it writes posts does not grow with the size of the export: ids
seen, boosts and the statuses liked or bookmarked stay on disk until their collection is saved
(bench/bench_import_memory.py measures the process's peak at 100,000 posts)."""

from __future__ import annotations

import io
import json
import tarfile
import tracemalloc
from pathlib import Path
from typing import Any

from crosspost.backup.importer import import_export
from crosspost.backup.store import BackupStore

ACTOR = "https://memory.example/users/me"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _activity(number: int) -> dict[str, Any]:
    published = f"2024-01-01T00:{number // 60 % 60:02d}:{number % 60:02d}Z"
    if number % 10 == 9:  # a boost, kept as a repost entry with its whole activity
        return {
            "id": f"{ACTOR}/statuses/{number}/activity",
            "type": "Announce",
            "actor": ACTOR,
            "published": published,
            "to": [PUBLIC],
            "cc": [f"{ACTOR}/followers"],
            "object": f"https://other.example/users/bob/statuses/{number}",
        }
    note = {
        "id": f"{ACTOR}/statuses/{number}",
        "type": "Note",
        "published": published,
        "url": f"https://memory.example/@me/{number}",
        "to": [PUBLIC],
        "content": f"<p>Post number {number}</p>",
    }
    return {"id": f"{ACTOR}/statuses/{number}/activity", "type": "Create", "object": note}


def _archive(path: Path, posts: int) -> Path:
    liked = [f"https://other.example/users/bob/statuses/{n}" for n in range(posts // 2)]
    documents = {
        "outbox.json": {"orderedItems": [_activity(n) for n in range(posts)]},
        "likes.json": {"orderedItems": liked},
        "bookmarks.json": {"orderedItems": liked},
        "actor.json": {"id": ACTOR, "type": "Person", "preferredUsername": "me"},
    }
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for name, document in documents.items():
            data = json.dumps(document).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


class _HeldAfterPosts:
    """A progress that notes the memory Python holds once the last post is written."""

    held = 0

    def start(self, task: str, total: int | None = None) -> None:
        pass

    def advance(self, task: str, amount: int = 1) -> None:
        pass

    def finish(self, task: str) -> None:
        if task == "posts":
            self.held = tracemalloc.get_traced_memory()[0]

    def note(self, message: str) -> None:
        pass


def _held(tmp_path: Path, posts: int) -> int:
    archive = _archive(tmp_path / f"archive-{posts}.tar.gz", posts)
    progress = _HeldAfterPosts()
    tracemalloc.start()
    try:
        result = import_export(archive, BackupStore(tmp_path / f"out-{posts}"), progress)
    finally:
        tracemalloc.stop()
    assert result.new == posts
    assert result.collections == {
        "reposts": posts // 10,
        "likes": posts // 2,
        "bookmarks": posts // 2,
    }
    return progress.held


def test_what_an_import_holds_while_writing_posts_does_not_grow_with_them(
    tmp_path: Path,
) -> None:
    _held(tmp_path, 20)  # the modules an import loads on the way, loaded before measuring
    small, large = _held(tmp_path, 200), _held(tmp_path, 2000)
    # 1,800 posts more (180 boosts, 1,800 likes and bookmarks) held in memory were 1 MB more.
    assert large - small < 200_000, f"{(large - small) / 1e6:.2f} MB more held for 1,800 posts"
