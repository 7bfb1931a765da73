"""Reading an account's pages ahead of the writer, and deciding where an incremental run stops.

Paging is sequential (each page names the next), so the listing is the critical path of a
backup: a thread of its own does nothing but read page after page, and hands each page to a
second thread that prepares it (loads saved copies, starts its media downloads) while the next
request is on the wire; the run's thread writes earlier pages and checkpoints them. A small queue
bounds how far reading runs ahead (memory stays flat however large the account). What was read
but not yet written when a run is interrupted is simply read again on resume: only written pages
are checkpointed.

Where to stop (incremental): after the first page whose oldest listed post is already saved and
older than the newest saved post less an edit window, so recent edits are caught and a run with
nothing new costs one list call. Order is never trusted blindly: a Bluesky repo lists by record
key, and mirrors crosspost made may carry keys out of time order, so the decision uses
`created_at` and the saved ids, not position.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from crosspost.backup.store import AccountBackup
from crosspost.errors import CrosspostError, PlatformError
from crosspost.platforms.base import Page

_In = TypeVar("_In")
_Out = TypeVar("_Out")
AHEAD = 32  # pages read ahead of the writer: the listing rarely waits for a commit
_POLL = 0.1  # seconds between checks of `closed` while the queue is full


@dataclass
class StopRule:
    """When an incremental (or --since) listing has read enough."""

    backup: AccountBackup
    since: datetime | None
    boundary: datetime | None  # incremental: stop once older posts are all known
    listed: set[str]  # ids listed earlier in this run (a resumed run's journal included)
    rechecked: int = 0  # posts saved before this run that it listed again
    first_page: int = 0

    @property
    def reads_to_end(self) -> bool:
        """A full listing without --since: no page is looked into to decide where to stop, so
        the paging thread never converts posts (LazyPosts leaves that to the prepare thread)."""
        return self.since is None and self.boundary is None

    def should_stop(self, page: Page) -> bool:
        """Stop after this page when its last (oldest listed) post lies beyond what is wanted:
        older than --since, or (incremental) saved before this run and past the edit window."""
        if self.reads_to_end:
            return False
        ids = [post.ref.id for post in page.posts]
        try:
            return self._decide(page)
        finally:
            self.listed.update(ids)

    def _decide(self, page: Page) -> bool:
        if not page.posts:
            return False  # an empty page with a cursor (Tumblr's empty drafts): read on
        last = page.posts[-1]
        if self.since is not None and last.created_at < self.since:
            return True
        if self.boundary is None:
            return False
        known = [p.ref.id not in self.listed and self.backup.has_post(p.ref.id) for p in page.posts]
        self.rechecked += sum(known)
        self.first_page = self.first_page or len(page.posts)
        # The window re-read for edits: posts within the edit window of the newest saved one,
        # but no more than one page of them, so a run with nothing new costs a single call.
        return known[-1] and (last.created_at < self.boundary or self.rechecked >= self.first_page)


@dataclass(frozen=True, slots=True)
class ReadPage:
    page: Page
    next_cursor: str | None  # where a resumed run continues after this page; None: the end
    last: bool


class _End:
    """The reader has nothing more to give (the listing ended, or it was closed)."""


class PageReader:
    """Reads pages from `cursor` on a thread of its own; iterate to get them, `prepare`d, in
    order. An error that ended reading (or preparing) is raised by the iteration after the pages
    read before it."""

    def __init__(
        self,
        fetch: Callable[[str | None], Page],
        rule: StopRule,
        cursor: str | None,
        prepare: Callable[[ReadPage], object] = lambda page: page,
        ahead: int = AHEAD,
    ) -> None:
        self._fetch, self._rule, self._cursor, self._prepare = fetch, rule, cursor, prepare
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(ahead, 1))
        self._closed = threading.Event()
        # One thread, so pages are prepared in the order they were read.
        self._preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare page")
        self._thread = threading.Thread(target=self._run, name="read pages", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[object]:
        for batch in self.batches(lambda: 1):
            yield from batch

    def batches(self, most: Callable[[], int]) -> Iterator[list[object]]:
        """The pages, prepared, in order, in lists of up to `most()` (asked before each list):
        each holds the next page (waited for) and the pages read after it that are already
        waiting in the queue, so a writer slower than the listing commits them together. A list
        never holds a page read after an error: the error is raised once the pages before it
        were handed over."""
        held: object = None
        while True:
            item = held if held is not None else self._queue.get()
            held = None
            batch: list[object] = []
            limit = max(most(), 1)
            while isinstance(item, Future):
                batch.append(item.result())
                if len(batch) >= limit:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            else:
                held = item  # the end, or an error: after this batch
            if batch:
                yield batch
            if isinstance(held, _End):
                return
            if isinstance(held, BaseException):
                raise held

    def close(self) -> None:
        """Stop reading (the thread finishes the request it is in, if any, and drops it)."""
        self._closed.set()
        self._preparer.shutdown(wait=True, cancel_futures=True)
        while True:  # unblock a reader waiting on a full queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break

    def _run(self) -> None:
        cursor = self._cursor
        try:
            while not self._closed.is_set():
                page = self._read(cursor)
                last = page.cursor is None or self._guarded(self._rule.should_stop, page)
                read = ReadPage(page, None if last else page.cursor, last)
                self._put(self._preparer.submit(self._convert_and_prepare, read))
                if last:
                    break
                cursor = page.cursor
        except BaseException as error:  # handed to the run's thread, which decides
            self._put(error)
        self._put(_End())

    def _convert_and_prepare(self, read: ReadPage) -> object:
        self._guarded(_convert, read.page)
        return self._prepare(read)

    def _read(self, cursor: str | None) -> Page:
        return self._guarded(self._fetch, cursor)

    @staticmethod
    def _guarded(step: Callable[[_In], _Out], value: _In) -> _Out:
        """One step of reading a page (the request, or converting what it returned: LazyPosts
        converts where the posts are first used), with a failure the adapter did not name
        turned into a PlatformError that says what was being done."""
        try:
            return step(value)
        except CrosspostError:
            raise
        except Exception as error:  # the platform's SDK or a record failed unexpectedly
            raise PlatformError(
                f"reading the list of posts failed ({type(error).__name__}: {error})"[:500]
            ) from error

    def _put(self, item: object) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue


def _convert(page: Page) -> None:
    """Convert the page's records into Posts now (a LazyPosts does it on first use)."""
    for _ in page.posts:
        break
