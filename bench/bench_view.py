"""Benchmark: `crosspost view` on a generated backup of 10,000 posts over three accounts.

Times a first render, a second render with nothing changed, and one after an incremental backup
of 10 new posts; reports the site's size. The backup is written with the real BackupStore into a
temporary folder (posts with links, tags, mentions, replies, quotes, content warnings, and an
image on one post in five). Run: `python bench/bench_view.py [--posts N] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import shutil
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
from crosspost.view import SiteReport, render_site

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


def build_backup(root: Path, count: int, first: int = 0, seed: int = 9) -> None:
    rng = random.Random(seed + first)
    store = BackupStore(root)
    backups = [store.account(platform, account) for platform, account in ACCOUNTS]
    for number in range(first, first + count):
        backup = backups[number % len(backups)]
        backup.save_post(_post(rng, number, backup, root))


def _timed(root: Path, out: Path) -> tuple[float, SiteReport]:
    start = time.perf_counter()
    report = render_site(root, out)
    return time.perf_counter() - start, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="crosspost-bench-view-"))
    root, out = folder / "backup", folder / "site"
    try:
        started = time.perf_counter()
        build_backup(root, args.posts)
        print(f"generated {args.posts:,} posts in {time.perf_counter() - started:.1f} s")
        seconds, first = _timed(root, out)
        pages = first.pages - first.media
        print(f"first render:  {seconds:6.2f} s  {first.posts:,} posts, {pages:,} pages and "
              f"assets, {first.media:,} media files, {first.size / 1e6:.1f} MB")  # fmt: skip
        seconds, again = _timed(root, out)
        print(f"no change:     {seconds:6.2f} s  {len(again.written)} files written")
        build_backup(root, 10, first=args.posts)
        seconds, third = _timed(root, out)
        print(f"10 new posts:  {seconds:6.2f} s  {len(third.written)} files written, "
              f"{third.unchanged:,} unchanged")  # fmt: skip
        on_disk = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        index = [out / "assets" / "search-index.js", *(out / "assets" / "search").glob("*.js")]
        search = sum(p.stat().st_size for p in index if p.is_file())
        print(f"site on disk:  {on_disk / 1e6:.1f} MB (search index {search / 1e6:.2f} MB)")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
