"""Local servers for the backup benchmarks, each in a process of its own (so the server does not
share the benchmark's interpreter lock), answering with an added per-request latency.

Tumblr: tests/tumblr_server.py with `latency`, as bench/tumblr_bench_server.py runs it (a
pre-sorted listing, so a 100,000-post blog answers each page in constant time; the legacy format
without `npf=true`; requests counted per endpoint). Mastodon: bench/mastodon_shaped_server.py
(stdlib, canned documented statuses), and mastodon-mock with a `latency` fault rule on every
request (~130 ms a page of its own, so it shows the server more than the client).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from bench.mastodon_shaped_server import MastodonShapedServer
from bench.tumblr_bench_server import TumblrBenchServer
from tests.backup_world import fill_tumblr


@contextmanager
def _serving(serve: Callable[..., None], *arguments: Any) -> Iterator[tuple[str, Connection]]:
    """Run `serve(pipe, *arguments)` in a forked process until the block ends; yield the URL
    it sends first, and the parent's end of the pipe."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=serve, args=(child, *arguments))
    process.start()
    try:
        yield str(parent.recv()), parent
    finally:
        process.kill()
        process.join()


def _serve_tumblr(
    pipe: Connection, posts: int, images: int, latency: float, keep_alive: bool
) -> None:
    server = TumblrBenchServer(latency=latency, keep_alive=keep_alive)
    server.state.hour_remaining = 10**9
    fill_tumblr(server, posts, images, blog="bench")
    server.freeze("bench")
    pipe.send(server.url)
    server.serve_forever()


@contextmanager
def tumblr_process(
    posts: int, images: int, latency: float, *, keep_alive: bool = True
) -> Iterator[str]:
    """The URL of a Tumblr-shaped server holding blog "bench", in a forked process; it keeps
    connections open (HTTP/1.1, as api.tumblr.com does) unless `keep_alive` is False."""
    with _serving(_serve_tumblr, posts, images, latency, keep_alive) as (url, _):
        yield url


def _serve_mastodon(pipe: Connection, folder: str) -> None:
    from pathlib import Path

    from tests.backup_mastodon import serving

    with serving(Path(folder)) as mock:
        pipe.send(mock.base_url)
        pipe.recv()  # until the parent is done


@contextmanager
def mastodon_process(folder: str) -> Iterator[tuple[str, Connection]]:
    with _serving(_serve_mastodon, folder) as served:
        yield served


def _serve_mastodon_shaped(
    pipe: Connection, statuses: int, images: int, latency: float, budget: int
) -> None:
    server = MastodonShapedServer(statuses, images, latency, budget=budget)
    pipe.send(server.url)
    server.serve_forever()


@contextmanager
def mastodon_shaped_process(
    statuses: int, images: int, latency: float, *, budget: int = 300
) -> Iterator[str]:
    """The URL of a Mastodon-shaped server holding account "bench", in a forked process."""
    with _serving(_serve_mastodon_shaped, statuses, images, latency, budget) as (url, _):
        yield url
