"""The backup figures of issue 7, against local servers answering with added latency:

- media: 1,000 images at 50 ms a request, one at a time against the default pool;
- end to end: 2,000 posts with 200 images at 20 ms a request (Tumblr pages of 20; Mastodon 40);
- memory: peak RSS of a 100,000-post backup, in a process of its own (resource.getrusage);
- a rerun over 10,000 saved posts with nothing new.

Tumblr runs against tests/tumblr_server.py keeping connections open (`tumblr_http10`: one
connection a request); Mastodon against bench/mastodon_shaped_server.py (`mastodon_mock`: against
mastodon-mock, whose own ~130 ms a page hides the client's speed).

Run: python -m bench.bench_backup_e2e [media|tumblr|tumblr_http10|mastodon|mastodon_mock|memory|
rerun ...] (project root).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import requests

from bench.bench_backup_servers import mastodon_process, mastodon_shaped_process, tumblr_process
from crosspost.accounts import Account
from crosspost.backup.runner import BackupOptions, BackupResult, run_backup
from crosspost.backup.store import BackupStore
from crosspost.model import Media, MediaKind, Platform, RichText
from crosspost.platforms.base import Draft, RetryPolicy
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.http import OAuthKeys
from crosspost.platforms.tumblr.prefetch import DEPTH
from tests.backup_mastodon import TOKEN
from tests.backup_world import png
from tests.tumblr_server import CONSUMER


def tumblr_backup(
    url: str, root: Path, page_size: int, pages_ahead: int = DEPTH, **options: object
) -> BackupResult:
    account = Account("bench", Platform.TUMBLR, "bench", service=url)
    client = TumblrClient(
        account, OAuthKeys(CONSUMER[0]), page_size=page_size, pages_ahead=pages_ahead
    )
    return run_backup(client, BackupStore(root), BackupOptions(**options))  # type: ignore[arg-type]


def _tumblr_into(url: str, page_size: int, ahead: int, folder: Path) -> BackupResult:
    return tumblr_backup(url, folder, page_size, ahead)


def timed(function: object, *args: object, **kwargs: object) -> tuple[float, BackupResult]:
    started = time.perf_counter()
    result = function(*args, **kwargs)  # type: ignore[operator]
    return time.perf_counter() - started, result


def media(images: int = 1000, latency: float = 0.05) -> None:
    times = {}
    with tumblr_process(images, images, latency) as url:
        for workers in (1, 16):
            with tempfile.TemporaryDirectory() as folder:
                times[workers], result = timed(
                    tumblr_backup, url, Path(folder), 50, workers=workers
                )
                assert result.counts["media_downloaded"] == images, result.counts
    print(
        f"media: {images} images, {latency * 1000:.0f} ms a request (pages too): "
        f"{times[1]:.2f} s one at a time, {times[16]:.2f} s with 16 workers: "
        f"{times[1] / times[16]:.1f}x"
    )


def bare_get(url: str, times: int = 30) -> float:
    """Seconds one plain GET to the server takes (requests, a kept session): what each list
    call costs at the least, so list calls x this is the floor of a sequential listing."""
    session = requests.Session()
    session.get(url, timeout=5)
    started = time.perf_counter()
    for _ in range(times):
        session.get(url, timeout=5)
    return (time.perf_counter() - started) / times


def spread(times: list[float]) -> str:
    """`median s (min-max, N runs)`: one run on a shared machine says little."""
    return (
        f"{statistics.median(times):.2f} s ({min(times):.2f}-{max(times):.2f} s, {len(times)} runs)"
    )


def repeated(
    backup: Callable[[Path], BackupResult], runs: int, posts: int, images: int
) -> tuple[list[float], BackupResult]:
    """The seconds of `runs` backups, each into a fresh folder, and the last one's result;
    every run must have read every post and image."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            elapsed, result = timed(backup, Path(folder))
        assert result.complete, result.stopped
        assert result.counts["new"] == posts, result.counts
        # the posts' images, and the profile's avatar where the server has one
        assert result.counts["media_downloaded"] in (images, images + 1), result.counts
        times.append(elapsed)
    return times, result


def tumblr(
    posts: int = 2000,
    images: int = 200,
    page_size: int = 20,
    latency: float = 0.02,
    keep_alive: bool = True,
    runs: int = 5,
) -> None:
    with tumblr_process(posts, images, latency, keep_alive=keep_alive) as url:
        get = bare_get(f"{url}/v2/blog/bench/info?api_key={CONSUMER[0]}")
        for ahead in (1, DEPTH):  # one page at a time (the sequential listing), then ahead
            times, result = repeated(
                partial(_tumblr_into, url, page_size, ahead),
                runs,
                posts,
                images,
            )
            calls = result.counts["list_calls"]
            print(
                f"tumblr end to end ({'keep-alive' if keep_alive else 'HTTP/1.0'} server): "
                f"{posts} posts + {images} images, pages of {page_size}, {ahead} page(s) in "
                f"flight, {latency * 1000:.0f} ms a request: {spread(times)} ({calls} list "
                f"calls x {get * 1000:.1f} ms a bare GET = {calls * get:.2f} s sequential floor)"
            )


def tumblr_http10() -> None:
    tumblr(keep_alive=False)


def mastodon(posts: int = 2000, images: int = 200, latency: float = 0.02, runs: int = 5) -> None:
    """Against bench/mastodon_shaped_server.py: public reads, as a backup of any account."""
    with mastodon_shaped_process(posts, images, latency) as url:
        account = Account("bench", Platform.MASTODON, "bench@127.0.0.1", service=url)
        times, result = repeated(
            lambda folder: run_backup(MastodonClient(account, None), BackupStore(folder)),
            runs,
            posts,
            images,
        )
        get = bare_get(f"{url}/api/v1/accounts/lookup?acct=bench")
    calls = result.counts["list_calls"]
    print(
        f"mastodon end to end (Mastodon-shaped server): {posts} statuses + {images} images, "
        f"pages of 40, {latency * 1000:.0f} ms a request: {spread(times)} ({calls} list calls "
        f"x {get * 1000:.1f} ms a bare GET = {calls * get:.2f} s sequential floor); "
        "target < 3.5 s"
    )


def mastodon_mock(posts: int = 2000, images: int = 200, latency_ms: int = 20) -> None:
    """Against mastodon-mock: its own ~130 ms a page shows the server more than the client."""
    with tempfile.TemporaryDirectory() as folder, mastodon_process(folder) as (url, _):
        account = Account("bench", Platform.MASTODON, "alice@127.0.0.1", service=url)
        count = iter(range(10**9))
        writer = MastodonClient(
            account,
            TOKEN,
            retry=RetryPolicy(sleep=lambda s: None, max_wait=10**9),
            media_source=lambda m: png(next(count)),
        )
        every = posts // images
        for number in range(posts):
            with_image = number % every == 0
            items = (Media(MediaKind.IMAGE, mime="image/png", alt="x"),) if with_image else ()
            writer.publish(Draft(RichText(f"status {number}"), f"k{number}", media=items))
        rule: dict[str, dict[str, str | int]] = {
            "effect": {"type": "latency", "delay_ms": latency_ms}
        }
        requests.post(f"{url}/api/v1/_mock/faults", json=rule, timeout=5).raise_for_status()
        client = MastodonClient(account, TOKEN)
        elapsed, result = timed(run_backup, client, BackupStore(Path(folder) / "out"))
        assert result.complete, result.stopped
        assert result.counts["new"] == posts, result.counts
        listing = MastodonClient(account, TOKEN)
        started, cursor = time.perf_counter(), None
        while (cursor := listing.fetch_page(cursor).cursor) is not None:
            pass
        floor = time.perf_counter() - started
    print(
        f"mastodon-mock listing alone (sequential fetch_page, no writing or media): {floor:.2f} s"
    )
    print(
        f"mastodon-mock end to end (the server's own time included): {posts} statuses + "
        f"{images} images, pages of 40, {latency_ms} ms a request: {elapsed:.2f} s "
        f"({result.counts['list_calls']} list calls, "
        f"{result.counts['media_downloaded']} media); target < 3.5 s"
    )


_MEMORY_CHILD = """
import json, resource, sys, time
from pathlib import Path
from bench.bench_backup_e2e import tumblr_backup
started = time.perf_counter()
result = tumblr_backup(sys.argv[1], Path(sys.argv[2]), 50)
print(json.dumps({"seconds": time.perf_counter() - started, "new": result.counts["new"],
    "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def memory(posts: int = 100_000, images: int = 1000) -> None:
    with tumblr_process(posts, images, 0.0) as url, tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, url, folder],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout)
    print(
        f"memory: {figures['new']} posts + {images} images backed up in "
        f"{figures['seconds']:.1f} s; peak RSS {figures['maxrss_kb'] / 1024:.0f} MB; "
        "target < 150 MB"
    )


def rerun(posts: int = 10_000) -> None:
    with tumblr_process(posts, 100, 0.0) as url, tempfile.TemporaryDirectory() as folder:
        tumblr_backup(url, Path(folder), 50)
        elapsed, result = timed(tumblr_backup, url, Path(folder), 50)
        assert result.counts["new"] == 0
        assert result.complete
        config = Path(folder) / "config.toml"
        config.write_text(
            f'[accounts.bench]\nplatform = "tumblr"\nblog = "bench"\nservice = "{url}"\n'
        )
        env = {"CROSSPOST_SECRET_BENCH": CONSUMER[0], "PATH": "/usr/bin:/bin",
               "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}  # fmt: skip
        command = [sys.executable, "-m", "crosspost", "backup", "bench", "-c", str(config)]
        started = time.perf_counter()
        subprocess.run([*command, "-d", folder, "-q"], env=env, check=True, capture_output=True)
        whole = time.perf_counter() - started
    print(
        f"rerun over {posts} saved posts, nothing new: {elapsed:.2f} s in process "
        f"({result.counts['list_calls']} list call); `crosspost backup` as a command, start-up "
        f"included: {whole:.2f} s; target < 2 s"
    )


def main() -> None:
    wanted = sys.argv[1:] or ["tumblr", "mastodon", "mastodon_mock", "media", "rerun", "memory"]
    for name in wanted:
        globals()[name]()


if __name__ == "__main__":
    main()
