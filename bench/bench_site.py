"""Benchmark: `crosspost site` (the public site) on generated backups, for time and memory.

The backups of bench_view.py (three accounts; links, tags, replies, quotes, an image on one post
in five), rendered with `--url` so every account and tag has its feed: a first render, a second
with nothing changed, and one after 10 new posts, each in a fresh interpreter reporting its
peak RSS. Built under BENCH_TMP (else /work/tmp, else the system's temp folder).
Run: `python -m bench.bench_site [--posts 1000,10000]`.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.bench_view import _temp_parent, build_backup, drop_posts, line
from bench.bench_view import render as render_in_fresh_process

RENDER = """
import json, resource, sys, time
from pathlib import Path
from crosspost.view.public import PublicOptions, render_public_site
cpu, started = time.process_time(), time.perf_counter()
report = render_public_site(Path(sys.argv[1]), Path(sys.argv[2]),
                            PublicOptions("https://me.example/", old_addresses=True))
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kb": peak, "posts": report.posts,
                  "written": len(report.written), "files": report.files, "feeds": report.feeds,
                  "size": report.size}))
"""


def render(root: Path, out: Path) -> dict[str, float]:
    return render_in_fresh_process(root, out, RENDER)


def bench(folder: Path, posts: int) -> None:
    root, out = folder / "backup", folder / "site"
    started = time.perf_counter()
    build_backup(root, posts)
    print(f"  generated in {time.perf_counter() - started:.1f} s")
    first = render(root, out)
    print(line("first render", first))
    print(f"  {' ' * 13} {first['posts']:,.0f} posts, {first['files']:,.0f} files, "
          f"{first['feeds']:,.0f} feeds, {first['size'] / 1e6:.1f} MB")  # fmt: skip
    print(line("no change", render(root, out)))
    build_backup(root, 10, first=posts)
    try:
        print(line("10 new posts", render(root, out)))
    finally:
        drop_posts(root, 10, posts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", default="1000,10000", help="sizes, comma-separated")
    args = parser.parse_args()
    for posts in (int(size) for size in args.posts.split(",")):
        print(f"{posts:,} posts")
        folder = Path(tempfile.mkdtemp(prefix="bench-site-", dir=_temp_parent()))
        try:
            bench(folder, posts)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
