"""Benchmark: `crosspost view` on a backup of long self-threads, for site size and memory.

Builds a backup of N posts (default 10,000) in self-threads of the given lengths in turn
(default 50 and 200: each post replies to the one before), renders it in a fresh interpreter
and reports the render's time and peak RSS, the site's size on disk, its file count and the
size of its search index (and of its largest search file); then adds one reply to a thread and
reports what the second render wrote. Run it from a checkout to measure that checkout:
`python bench/bench_view_threads.py [--posts N] [--threads 50,200] [--keep DIR]`; to measure
another version, put its folder first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crosspost.backup.store import BackupStore
from crosspost.model import Platform, Post, PostKind, PostRef, RichText

ACCOUNT = "alice.bsky.social"
START = datetime(2020, 1, 1, tzinfo=UTC)
WORDS = [
    "the",
    "garden",
    "light",
    "morning",
    "river",
    "paint",
    "sketch",
    "coffee",
    "train",
    "city",
    "rain",
    "book",
    "letter",
]
WORDS += ["猫", "雨の日", "珈琲", "東京", "手紙"]  # CJK text in the search index too
RENDER = """
import json, sys, time
from pathlib import Path
from crosspost.view import render_site
started = time.perf_counter()
report = render_site(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - started, "written": len(report.written)}))
"""


def _ref(number: int) -> PostRef:
    return PostRef(Platform.BLUESKY, ACCOUNT, f"p{number}", None)


def build_backup(root: Path, posts: int, lengths: list[int], seed: int = 5) -> list[int]:
    """Self-threads of `lengths` in turn; returns the number of each thread's last post."""
    rng = random.Random(seed)
    backup = BackupStore(root).account(Platform.BLUESKY, ACCOUNT)
    lasts, number = [], 0
    for length in itertools.cycle(lengths):
        if number >= posts:
            break
        first = _ref(number)
        for place in range(min(length, posts - number)):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 60)))
            when = START + timedelta(minutes=number * 7)
            post = Post(_ref(number), when, RichText(f"{words} ({place + 1}/{length})"))
            if place:
                post = post.with_changes(
                    kind=PostKind.REPLY, reply_to=_ref(number - 1), thread_root=first
                )
            backup.save_post(post)
            number += 1
        lasts.append(number - 1)
    return lasts


def render(root: Path, out: Path) -> dict[str, float]:
    """Render in a fresh interpreter: its peak RSS is the render's alone."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [sys.executable, "-c", RENDER, str(root), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["peak_mb"] = max(peak, before) / 1024
    return result


def measure(out: Path) -> dict[str, float]:
    files = [p for p in out.rglob("*") if p.is_file()]
    search = [p for p in files if p.relative_to(out).as_posix().startswith("assets/search")]
    search = [p for p in search if p.name != "search.js"]
    return {
        "files": len(files),
        "size_mb": sum(p.stat().st_size for p in files) / 1e6,
        "index_mb": sum(p.stat().st_size for p in search) / 1e6,
        "largest_index_file_mb": max((p.stat().st_size for p in search), default=0) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--threads", default="50,200", help="thread lengths, in turn")
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    args = parser.parse_args()
    lengths = [int(n) for n in args.threads.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="crosspost-bench-threads-"))
    root, out = folder / "backup", folder / "site"
    try:
        started = time.perf_counter()
        lasts = build_backup(root, args.posts, lengths)
        print(f"generated {args.posts:,} posts in threads of {args.threads} "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        first = render(root, out)
        size = measure(out)
        print(f"first render:  {first['seconds']:7.2f} s  peak RSS {first['peak_mb']:,.0f} MB")
        print(f"site:          {size['size_mb']:,.1f} MB in {size['files']:,.0f} files; search "
              f"index {size['index_mb']:.2f} MB (largest file "
              f"{size['largest_index_file_mb']:.2f} MB)")  # fmt: skip
        # One more reply at the end of the longest thread.
        backup = BackupStore(root).account(Platform.BLUESKY, ACCOUNT)
        last = lasts[lengths.index(max(lengths)) % len(lasts)]
        parent = backup.load_post(f"p{last}")
        assert parent is not None
        root_ref = parent.thread_root or parent.ref
        reply = Post(_ref(args.posts + 1), parent.created_at + timedelta(seconds=30),
                     RichText("one more"), kind=PostKind.REPLY, reply_to=parent.ref,
                     thread_root=root_ref)  # fmt: skip
        backup.save_post(reply)
        again = render(root, out)
        print(f"one new reply: {again['seconds']:7.2f} s  {again['written']:,.0f} files written")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
