"""Benchmark: `crosspost view` on generated backups of 1,000, 10,000 and 100,000 posts over
three accounts, for time and memory.

For each size: a first render, a second render with nothing changed, and one after an
incremental backup of 10 new posts; each render runs in a fresh interpreter, which reports its
peak RSS (ru_maxrss), the render's wall-clock and CPU time and the files it wrote. The backups
are written with the real BackupStore (posts with links, tags, mentions, replies, quotes,
content warnings, and an image on one post in five), each once per run, under BENCH_TMP (else
/work/tmp when it exists, else the system's temp folder); `--keep DIR` builds there and keeps
the backups for the next run (the 10 new posts are taken out again after their render). To
measure another version of the viewer, put its folder first on PYTHONPATH.
Run: `python bench/bench_view.py [--posts 1000,10000,100000] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from crosspost.backup.store import AccountBackup, BackupStore
from crosspost.model import (
    LinkCard,
    Media,
    MediaKind,
    Platform,
    Post,
    PostKind,
    PostRef,
    RichText,
    Span,
    SpanKind,
)

WORDS = [
    *("the", "a", "garden", "light", "morning", "river", "paint", "sketch", "coffee", "train"),
    *("city", "rain", "book", "letter", "music", "window", "quiet", "old", "new", "small"),
    *("bright", "slow", "walk", "found", "made", "today", "again", "friend", "story"),
]
TAGS = ["art", "photography", "Writing", "cats", "music", "books", "gardening", "travel", "wip"]
ACCOUNTS = (
    (Platform.BLUESKY, "alice.bsky.social"),
    (Platform.MASTODON, "alice@mastodon.social"),
    (Platform.TUMBLR, "alice"),
)
START = datetime(2019, 1, 1, tzinfo=UTC)


def _image(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    Image.new("RGB", (48, 32), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _text(rng: random.Random) -> RichText:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 60))]
    text = " ".join(words).capitalize() + "."
    spans: list[Span] = []
    if rng.random() < 0.4:
        start = len(text) + 1
        text += " example.com/" + rng.choice(WORDS)
        spans.append(Span(start, len(text), SpanKind.LINK, "https://" + text[start:]))
    if rng.random() < 0.5:
        tag = rng.choice(TAGS)
        start = len(text) + 1
        text += f" #{tag}"
        spans.append(Span(start, len(text), SpanKind.TAG, tag))
    if rng.random() < 0.2:
        text += "\n\nA second paragraph with @bob in it."
        at = text.rindex("@bob")
        spans.append(Span(at, at + 4, SpanKind.MENTION, "did:plc:bob"))
    return RichText(text, tuple(spans))


def _ref(platform: Platform, account: str, number: int) -> PostRef:
    return PostRef(platform, account, f"p{number}", f"https://example.social/{account}/{number}")


def _post(rng: random.Random, number: int, backup: AccountBackup, root: Path) -> Post:
    platform, account = backup.platform, backup.account
    created = START + timedelta(minutes=number * 263)
    post = Post(_ref(platform, account, number), created, _text(rng),
                tags=tuple(rng.sample(TAGS, rng.randint(0, 3))))  # fmt: skip
    roll = rng.random()
    if roll < 0.15 and number > 3:
        parent = _ref(platform, account, number - 3)
        post = post.with_changes(kind=PostKind.REPLY, reply_to=parent, thread_root=parent)
    elif roll < 0.22:
        quoted = Post(_ref(platform, "bob", number), created, _text(rng))
        post = post.with_changes(kind=PostKind.QUOTE, quote_of=quoted.ref, trail=(quoted,))
    elif roll < 0.27:
        post = post.with_changes(content_warning="spoilers")
    if rng.random() < 0.1:
        post = post.with_changes(link_card=LinkCard("https://example.org/", "A title", "About"))
    if rng.random() < 0.2:
        data = _image(rng)
        digest = hashlib.sha256(data).hexdigest()
        path = backup.media_path(digest, "png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        alt = "An image: " + " ".join(rng.sample(WORDS, 5))
        local = path.relative_to(root).as_posix()
        media = Media(MediaKind.IMAGE, None, alt, 48, 32, "image/png", len(data), digest, local)
        post = post.with_changes(media=(media,))
    return post


BATCH = 500  # posts written at once (`save_posts`): one flush per batch, not per post


def build_backup(root: Path, count: int, first: int = 0, seed: int = 9) -> None:
    """Posts `first` .. `first + count - 1`, the same for the same numbers and seed."""
    rng = random.Random(seed + first)
    store = BackupStore(root)
    backups = [store.account(platform, account) for platform, account in ACCOUNTS]
    pending: dict[int, list[Post]] = {index: [] for index in range(len(backups))}
    for number in range(first, first + count):
        index = number % len(backups)
        pending[index].append(_post(rng, number, backups[index], root))
        if len(pending[index]) >= BATCH:
            backups[index].save_posts(pending[index])
            pending[index] = []
    for index, posts in pending.items():
        if posts:
            backups[index].save_posts(posts)


def drop_posts(root: Path, count: int, first: int) -> None:
    """Take posts `first` .. out of the backup again (their media files may stay: unshown)."""
    store = BackupStore(root)
    backups = [store.account(platform, account) for platform, account in ACCOUNTS]
    for number in range(first, first + count):
        backups[number % len(backups)].post_path(f"p{number}").unlink()


RENDER = """
import json, resource, sys, time
from pathlib import Path
from crosspost.view import render_site
ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu, started = time.process_time(), time.perf_counter()
report = render_site(Path(sys.argv[1]), Path(sys.argv[2]))
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kb": peak, "ready_kb": ready,
                  "written": len(report.written), "unchanged": report.unchanged,
                  "posts": report.posts, "pages": report.pages - report.media,
                  "media": report.media, "size": report.size}))
"""


def render(root: Path, out: Path, program: str = RENDER) -> dict[str, float]:
    """Render in a fresh interpreter (`program`: the viewer's render, or another that prints
    the same JSON line): its peak RSS (KB on Linux) is the render's alone, with the interpreter
    and its imports (`ready_kb`)."""
    done = subprocess.run(
        # -P: the viewer is imported from PYTHONPATH or the installed package, never from the
        # folder the benchmark was started in.
        [sys.executable, "-P", "-c", program, str(root), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def line(name: str, result: dict[str, float]) -> str:
    return (
        f"  {name:<13} {result['seconds']:7.2f} s wall {result['cpu']:7.2f} s CPU  "
        f"peak RSS {result['peak_kb'] / 1024:6.0f} MB  {result['written']:>7,.0f} files written"
    )


def bench(folder: Path, posts: int) -> dict[str, dict[str, float]]:
    """The three renders of one size; the backup is built unless `folder` has it already."""
    root, out = folder / "backup", folder / "site"
    done = folder / "built"
    if not done.is_file():
        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        build_backup(root, posts)
        done.write_text(f"{posts}\n")
        print(f"  generated in {time.perf_counter() - started:.1f} s")
    shutil.rmtree(out, ignore_errors=True)
    results = {"first render": render(root, out)}
    first = results["first render"]
    print(line("first render", first))
    print(f"  {' ' * 13} {first['posts']:,.0f} posts, {first['pages']:,.0f} pages and assets, "
          f"{first['media']:,.0f} media files, {first['size'] / 1e6:.1f} MB")  # fmt: skip
    results["no change"] = render(root, out)
    print(line("no change", results["no change"]))
    build_backup(root, 10, first=posts)
    try:
        results["10 new posts"] = render(root, out)
    finally:
        drop_posts(root, 10, posts)
    print(line("10 new posts", results["10 new posts"]))
    on_disk = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    index = [out / "assets" / "search-index.js", *(out / "assets" / "search").glob("*.js")]
    search = sum(p.stat().st_size for p in index if p.is_file())
    print(f"  site on disk:  {on_disk / 1e6:.1f} MB (search index {search / 1e6:.2f} MB)")
    return results


def _temp_parent() -> Path | None:
    """BENCH_TMP, else /work/tmp where it exists: the largest backup is a few GB of small files."""
    chosen = os.environ.get("BENCH_TMP") or ("/work/tmp" if Path("/work/tmp").is_dir() else "")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", default="1000,10000,100000", help="sizes, comma-separated")
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sizes = [int(n.replace("_", "")) for n in args.posts.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="crosspost-bench-view-", dir=_temp_parent()))
    figures: dict[str, dict[str, dict[str, float]]] = {}
    try:
        for posts in sizes:
            print(f"{posts:,} posts")
            figures[str(posts)] = bench(folder / f"posts-{posts}", posts)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
