"""Peak memory of `crosspost import` of a Mastodon archive (tar.gz) of 10,000 and 100,000 posts.

Run: python -m bench.bench_import_memory [POSTS ...] (default 10000 100000). Each archive is
laid out as Mastodon's BackupService writes it (bench_archive_import.build_archive: media
first, then outbox.json, likes, bookmarks, avatar, header, actor.json), one post in ten with
an image. Each import runs in a fresh process, whose own peak RSS is reported: the building
of the archive is not counted. The import of 100,000 posts must peak under 150 MB.

The peak is the kernel's high-water mark of the child's own memory (VmHWM in
/proc/self/status), not getrusage's ru_maxrss: on Linux, a child that subprocess starts with
vfork and exec inherits in ru_maxrss the parent's high-water mark (the kernel keeps the larger
of the two at exec), so ru_maxrss reported the 240 MB this process peaked at while building
the 100,000-post archive, not the import's own. Where /proc is absent, ru_maxrss is used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_archive_import import build_archive

LIMIT_MB = 150
_CHILD = """
import json, resource, sys, time
from pathlib import Path
from crosspost.backup.importer import import_export
from crosspost.backup.store import BackupStore

def peak_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

before = peak_kb()
started = time.perf_counter()
result = import_export(Path(sys.argv[1]), BackupStore(Path(sys.argv[2])))
seconds = time.perf_counter() - started
print(json.dumps({"new": result.new, "media": result.media_stored, "seconds": seconds,
                  "peak_mb": peak_kb() / 1024, "start_mb": before / 1024}))
"""


def measure(posts: int, folder: Path) -> dict[str, float]:
    archive = build_archive(folder / f"archive-{posts}.tar.gz", posts, posts // 10)
    output = subprocess.run(
        [sys.executable, "-c", _CHILD, str(archive), str(folder / f"out-{posts}")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(output)
    figures["archive_mb"] = archive.stat().st_size / 1e6
    return figures


def main(sizes: list[int]) -> None:
    worst = 0.0
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as temp:
        for posts in sizes:
            started = time.perf_counter()
            figures = measure(posts, Path(temp))
            print(
                f"{posts:>7} posts ({figures['archive_mb']:6.1f} MB tar.gz): "
                f"peak RSS {figures['peak_mb']:6.1f} MB (after imports "
                f"{figures['start_mb']:4.1f} MB), import {figures['seconds']:6.1f} s, "
                f"{figures['new']:.0f} new, {figures['media']:.0f} media "
                f"(with building: {time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            worst = max(worst, figures["peak_mb"]) if posts >= 100_000 else worst
    if worst >= LIMIT_MB:
        print(f"the import of 100,000 posts peaked at {worst:.0f} MB (limit {LIMIT_MB} MB)")
        sys.exit(1)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10_000, 100_000])
