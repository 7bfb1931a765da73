"""Backup costs: API calls for a full backup and a no-change rerun, media concurrency, and time
end to end against the Tumblr-shaped loopback server (tests/tumblr_server.py).

Run: python -m bench.bench_backup  (from the project root). No network beyond 127.0.0.1.
"""

from __future__ import annotations

import io
import math
import tempfile
import time
from pathlib import Path

from PIL import Image

from crosspost.accounts import Account
from crosspost.backup.runner import BackupOptions, run_backup
from crosspost.backup.store import BackupStore
from crosspost.model import Media, Platform
from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.http import OAuthKeys
from tests.fake_platform import FakePlatform
from tests.tumblr_server import CONSUMER, TumblrServer, running


def fake_calls(posts: int, page_size: int) -> None:
    fake = FakePlatform(page_size=page_size)
    fake.add_many(posts)
    with tempfile.TemporaryDirectory() as folder:
        store = BackupStore(Path(folder))
        run_backup(fake, store, BackupOptions(media=False))
        full = fake.calls["fetch_page"]
        fake.calls.clear()
        started = time.perf_counter()
        run_backup(fake, store, BackupOptions(media=False))
        rerun = time.perf_counter() - started
        print(
            f"fake, {posts} posts, pages of {page_size}: full backup {full} list calls "
            f"(ceil = {math.ceil(posts / page_size)}); rerun with nothing new "
            f"{fake.calls['fetch_page']} call(s) in {rerun:.2f} s"
        )


class SlowMedia(FakePlatform):
    latency = 0.05

    def fetch_media(self, media: Media) -> bytes:
        time.sleep(self.latency)  # a server 50 ms away (a benchmark, not a test)
        return super().fetch_media(media)


def media_speedup(images: int) -> None:
    timings = {}
    for workers in (1, 16):
        fake = SlowMedia()
        fake.add_many(images, media_every=1)
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            run_backup(fake, BackupStore(Path(folder)), BackupOptions(workers=workers))
            timings[workers] = time.perf_counter() - started
    print(
        f"{images} images at 50 ms each: {timings[1]:.2f} s one at a time, "
        f"{timings[16]:.2f} s with 16 workers ({timings[1] / timings[16]:.1f}x)"
    )


def png(number: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (number % 256, number // 256 % 256, 7)).save(buffer, "PNG")
    return buffer.getvalue()


def fill(server: TumblrServer, posts: int, images: int) -> None:
    every = posts // images if images else 0
    for number in range(posts):
        content: list[dict[str, object]] = [{"type": "text", "text": f"post {number}"}]
        if every and number % every == 0:
            key = f"m{number}"
            server.state.media[key] = png(number)
            url = f"{server.url}/media/{key}"
            content.append({"type": "image", "media": [{"url": url, "type": "image/png"}]})
        server.state.add("bench", {"timestamp": 1700000000 - number * 60, "content": content})


def tumblr_end_to_end(posts: int, images: int, page_size: int) -> None:
    with running() as server, tempfile.TemporaryDirectory() as folder:
        server.state.hour_remaining = 10**9
        fill(server, posts, images)
        account = Account("bench", Platform.TUMBLR, "bench", service=server.url)
        client = TumblrClient(account, OAuthKeys(CONSUMER[0]), page_size=page_size)
        store = BackupStore(Path(folder))
        started = time.perf_counter()
        result = run_backup(client, store, BackupOptions())
        elapsed = time.perf_counter() - started
        calls = client.http.calls
        started = time.perf_counter()
        again = run_backup(client, store, BackupOptions())
        rerun = time.perf_counter() - started
        print(
            f"tumblr loopback (no added latency), {posts} posts + {images} images, pages of "
            f"{page_size}: {elapsed:.2f} s, {result.counts['list_calls']} list calls "
            f"({calls} API requests); rerun {again.counts['list_calls']} call, {rerun:.2f} s"
        )


def main() -> None:
    for posts, size in ((2000, 40), (2000, 100), (10000, 50)):
        fake_calls(posts, size)
    media_speedup(200)
    tumblr_end_to_end(2000, 200, 50)
    tumblr_end_to_end(2000, 200, 20)


if __name__ == "__main__":
    main()
