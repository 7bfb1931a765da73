"""Reading a blog's offset pages a few at a time: past the sequential floor of one round trip per
page, without a single extra call while the blog holds still.

The first /posts answer gives `total_posts`, so every offset the listing will ask for is known
before it asks: `offset = n, n + page, ...` up to the first one at or past the total (its empty
answer is what ends the listing). `PagePrefetcher` sends the next `depth` of them at once, on a
small pool of threads, and hands each answer over when TumblrClient.fetch_page asks for exactly
that request. Every answer still goes through paging.next_page's checks in order (the same
`total_posts`, a first post older than the oldest read): when one fails, the listing goes on by
`before` and what was fetched ahead is dropped, which costs at most `depth - 1` calls, once.

Offset paging of /posts has no documented ceiling (unlike /likes, whose offset stops at 1,000),
and tumblr-backup pages whole blogs by offset. The calls are the ones a sequential listing makes,
only sooner, so the hourly and daily budgets (1,000 and 5,000 calls a key) are spent no faster
per post; the pool is small so a blog's listing never opens more than `depth` connections.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

DEPTH = 4  # requests in flight at once; the pool's size

Params = Mapping[str, Any]
Fetch = Callable[[Params], Any]


def request_key(params: Params) -> Hashable:
    return tuple(sorted((str(k), str(v)) for k, v in params.items()))


class PagePrefetcher:
    """Answers to requests sent ahead, by their parameters. Not for concurrent callers: one
    listing asks for one page at a time; only the sending happens on the pool."""

    def __init__(self, fetch: Fetch, depth: int = DEPTH) -> None:
        self._fetch = fetch
        self.depth = depth
        self._ahead: dict[Hashable, Future[Any]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def take(self, params: Params) -> Any:
        """The answer to `params`: the one fetched ahead (its error raised here, as if the call
        were made now), else a call made now. Requests sent ahead for other parameters stay."""
        future = self._ahead.pop(request_key(params), None)
        if future is None:
            return self._fetch(params)
        return future.result()

    def ahead(self, requests: Sequence[Params]) -> None:
        """Send these (the next pages, in order) unless sent already, up to `depth` in flight;
        any other request fetched ahead is dropped (the listing no longer goes there)."""
        wanted = [(request_key(params), params) for params in requests[: self.depth]]
        keys = {key for key, _ in wanted}
        for key in [key for key in self._ahead if key not in keys]:
            self._ahead.pop(key).cancel()
        for key, params in wanted:
            if key not in self._ahead:
                # In the caller's context: a gate on its requests (retry.requests_gated_by)
                # is asked about these too.
                context = contextvars.copy_context()
                self._ahead[key] = self._executor().submit(context.run, self._fetch, params)

    def drop(self) -> None:
        """Forget every request sent ahead (the listing left offset paging, or ended)."""
        for future in self._ahead.values():
            future.cancel()
        self._ahead.clear()

    def close(self) -> None:
        self.drop()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.depth, thread_name_prefix="tumblr-page")
        return self._pool
