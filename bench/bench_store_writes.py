"""Syncs and time per page of posts written into a backup: an fsync of each file against one
syncfs per page (crosspost/backup/store.py, `atomic_write_many`).

Run: python -m bench.bench_store_writes [PAGES] (default 50 pages of 20 posts), from the project
root. Each way is measured twice over:

- the store alone: `save_posts` of a page, then `sync_folder(posts/)`, as the backup runner
  does before its checkpoint;
- a whole `run_backup` of a fake platform serving pages of 20 (no media): the store, the
  manifest's checkpoint and the listed ids, i.e. everything a page costs the writer.

in a folder on tmpfs (/dev/shm: syncs are almost free, what is left is the system calls) and in
one on the real disk (BENCH_DISK, default the working folder). os.fsync and syncfs calls are
counted by wrapping them; "fsync each" is the store with syncfs turned off.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crosspost.backup import store
from crosspost.backup.runner import BackupOptions, run_backup
from crosspost.backup.store import BackupStore, sync_folder
from crosspost.model import Platform, Post, PostRef, RichText
from tests.fake_platform import FakePlatform

PAGE = 20
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@contextmanager
def counting(calls: Counter[str], *, syncfs: bool) -> Iterator[None]:
    """os.fsync and the store's syncfs counted; `syncfs=False`: the store fsyncs each file."""
    real_fsync, real_syncfs, real_one = os.fsync, store._syncfs, store._syncfs_one

    def fsync(descriptor: int) -> None:
        calls["fsync"] += 1
        real_fsync(descriptor)

    def one(descriptor: int) -> bool:
        calls["syncfs"] += 1
        return real_one(descriptor)

    os.fsync = fsync  # type: ignore[assignment]
    store._syncfs_one = one
    if not syncfs:
        store._syncfs = lambda: None  # type: ignore[assignment]
    try:
        yield
    finally:
        os.fsync, store._syncfs, store._syncfs_one = real_fsync, real_syncfs, real_one


def _post(number: int) -> Post:
    raw: dict[str, Any] = {
        "id": str(number),
        "content": "<p>" + "A few words of a post. " * 20 + "</p>",
        "tags": [{"name": f"tag{n}"} for n in range(5)],
        "counts": {"replies": number % 7, "likes": number % 13},
    }
    return Post(
        ref=PostRef(Platform.MASTODON, "me@bench.example", str(number), None),
        created_at=T0 + timedelta(minutes=number),
        text=RichText("A few words of a post. " * 20),
        raw=raw,
    )


def store_alone(folder: Path, pages: int) -> float:
    backup = BackupStore(folder).account(Platform.MASTODON, "me@bench.example")
    started = time.perf_counter()
    for page in range(pages):
        backup.save_posts([_post(page * PAGE + n) for n in range(PAGE)])
        sync_folder(backup.posts_dir)
    return time.perf_counter() - started


def whole_backup(folder: Path, pages: int) -> float:
    fake = FakePlatform(page_size=PAGE)
    fake.add_many(pages * PAGE)
    started = time.perf_counter()
    run_backup(fake, BackupStore(folder), BackupOptions(media=False))
    return time.perf_counter() - started


def measure(where: str, pages: int, run: Callable[[Path, int], float], syncfs: bool) -> str:
    calls: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(dir=where) as temp, counting(calls, syncfs=syncfs):
        seconds = run(Path(temp), pages)
    per_page = {kind: count / pages for kind, count in sorted(calls.items())}
    said = ", ".join(f"{count:.1f} {kind}" for kind, count in per_page.items())
    return f"{seconds * 1000 / pages:7.2f} ms a page; per page: {said}"


def main(pages: int = 50) -> None:
    if store._syncfs() is None:
        print("syncfs is not available here: the store fsyncs each file")
    disk = os.environ.get("BENCH_DISK", os.getcwd())
    for label, where in (("tmpfs", "/dev/shm"), ("disk", disk)):
        if not Path(where).is_dir():
            continue
        for name, run in (("store alone", store_alone), ("whole backup", whole_backup)):
            for syncfs in (False, True):
                way = "one syncfs" if syncfs else "fsync each"
                print(
                    f"{label:>5} ({where}), {name:>12}, {way}: "
                    f"{measure(where, pages, run, syncfs)}",
                    flush=True,
                )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
