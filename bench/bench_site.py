"""Benchmark: `crosspost site` (the public site) on generated backups, for time and memory.

The backups of bench_view.py (three accounts; links, tags, replies, quotes, an image on one post
in five), rendered with `--url` and `--tumblr-redirects` so every account and tag has its feed:
a first render (with no cache), a second with nothing changed, and one after 10 new posts, each
in a fresh interpreter reporting its wall-clock and CPU time, peak RSS and the files it wrote.
Built under BENCH_TMP (else /work/tmp, else the system's temp folder); `--keep DIR` builds
there, or reuses what bench_view.py --keep built there, and keeps it (the 10 new posts are taken
out again after their render). To measure another version, put its folder first on PYTHONPATH.
Run: `python -m bench.bench_site [--posts 1000,10000] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import json
import os
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
SITE = "public-site"  # beside bench_view.py's "site" in a kept folder, a folder per run
STATE = Path(".state") / "sites"  # where the public site keeps its cache, in the backup


def render(root: Path, out: Path) -> dict[str, float]:
    return render_in_fresh_process(root, out, RENDER)


def bench(folder: Path, posts: int, run: str) -> dict[str, dict[str, float]]:
    """The three renders of one size; the backup is built unless `folder` has it already, and
    the site (in a folder of this run's own) and its cache are made from nothing."""
    root, out = folder / "backup", folder / f"{SITE}-{run}"
    if not (folder / "built").is_file():
        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        build_backup(root, posts)
        (folder / "built").write_text(f"{posts}\n")
        print(f"  generated in {time.perf_counter() - started:.1f} s")
    shutil.rmtree(root / STATE, ignore_errors=True)
    results = {"first render": render(root, out)}
    first = results["first render"]
    print(line("first render", first))
    print(f"  {' ' * 13} {first['posts']:,.0f} posts, {first['files']:,.0f} files, "
          f"{first['feeds']:,.0f} feeds, {first['size'] / 1e6:.1f} MB")  # fmt: skip
    results["no change"] = render(root, out)
    print(line("no change", results["no change"]))
    build_backup(root, 10, first=posts)
    try:
        results["10 new posts"] = render(root, out)
    finally:
        drop_posts(root, 10, posts)
    print(line("10 new posts", results["10 new posts"]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", default="1000,10000", help="sizes, comma-separated")
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sizes = [int(size.replace("_", "")) for size in args.posts.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-site-", dir=_temp_parent()))
    figures: dict[str, dict[str, dict[str, float]]] = {}
    # Each run renders into folders of its own, and the sites are removed after the last run:
    # on an ext4 mounted with discard, files written right after the removal of many others
    # pay for that removal (bench_peers.py found the same), and a first render is 14,000 or
    # 140,000 new files.
    run = f"{os.getpid()}-{time.time_ns()}"
    try:
        for posts in sizes:
            print(f"{posts:,} posts")
            figures[str(posts)] = bench(folder / f"posts-{posts}", posts, run)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for old in folder.glob(f"posts-*/{SITE}*"):
                shutil.rmtree(old, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
