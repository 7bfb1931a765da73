"""Pages whose posts are converted on first use (LazyPosts), and where a backup converts them:
never on the thread that pages through a full listing, which is the critical path."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crosspost.backup.runner import BackupOptions, run_backup
from crosspost.backup.store import BackupStore
from crosspost.errors import DataError, PlatformError
from crosspost.model import Platform, Post, PostRef, RichText
from crosspost.platforms.base import LazyPosts, Page
from tests.fake_platform import START, FakePlatform

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _post(record: Mapping[str, Any]) -> Post:
    return Post(PostRef(Platform.TUMBLR, "blog", str(record["id"])), START, RichText("x"))


def test_the_length_is_known_without_converting() -> None:
    calls: list[object] = []

    def convert(record: Mapping[str, Any]) -> Post:
        calls.append(record)
        return _post(record)

    posts = LazyPosts([{"id": 1}, {"id": 2}], convert)
    assert len(posts) == 2
    assert calls == []
    assert "not yet converted" in repr(posts)
    assert [p.ref.id for p in posts] == ["1", "2"]
    assert posts[-1].ref.id == "2"
    assert [p.ref.id for p in posts[:1]] == ["1"]
    assert len(calls) == 2
    list(posts)
    assert len(calls) == 2, "converted once, then kept"
    assert len(posts) == 2


def test_lazy_posts_compare_like_the_tuple_they_stand_for() -> None:
    posts = LazyPosts([{"id": 1}], _post)
    assert posts == (_post({"id": 1}),)
    assert LazyPosts([], _post) == ()
    assert [LazyPosts([], _post)] == [()]  # the tuple on the left: its reflected ==
    assert posts != (_post({"id": 2}),)
    assert posts != "x"


def test_threads_racing_to_read_convert_once() -> None:
    calls: list[object] = []
    gate = threading.Barrier(8)

    def convert(record: Mapping[str, Any]) -> Post:
        calls.append(record)
        return _post(record)

    posts = LazyPosts([{"id": n} for n in range(50)], convert)

    def read(_: int) -> tuple[Post, ...]:
        gate.wait()
        return tuple(posts)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(read, range(8)))
    assert len(calls) == 50
    assert all(r == results[0] for r in results)


def test_an_error_in_a_record_surfaces_where_the_posts_are_used() -> None:
    def convert(record: Mapping[str, Any]) -> Post:
        raise DataError("a post with no blocks")

    page = Page(LazyPosts([{"id": 1}], convert), "next")
    assert len(page.posts) == 1
    with pytest.raises(DataError):
        list(page.posts)


@dataclass
class LazyFake(FakePlatform):
    """The fake platform answering with LazyPosts, noting which thread converted each post."""

    converted_on: list[str] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)

    def fetch_page(self, cursor: str | None = None) -> Page:
        page = super().fetch_page(cursor)
        return Page(LazyPosts([{"id": p.ref.id} for p in page.posts], self._convert), page.cursor)

    def _convert(self, record: Mapping[str, Any]) -> Post:
        self.converted_on.append(threading.current_thread().name)
        if record["id"] in self.broken:
            raise KeyError("content")
        return self.posts[str(record["id"])]


def test_a_full_backup_never_converts_on_the_paging_thread(tmp_path: Path) -> None:
    fake = LazyFake()
    fake.add_many(120)
    result = run_backup(fake, BackupStore(tmp_path), BackupOptions(full=True), now=lambda: NOW)
    assert result.complete
    assert result.counts["new"] == 120
    assert len(fake.converted_on) == 120
    assert not any(name.startswith("read pages") for name in fake.converted_on)
    assert all(name.startswith("prepare page") for name in fake.converted_on)


def test_an_incremental_run_still_stops_after_one_page(tmp_path: Path) -> None:
    fake = LazyFake()
    fake.add_many(120)
    run_backup(fake, BackupStore(tmp_path), now=lambda: NOW)
    fake.calls.clear()
    again = run_backup(fake, BackupStore(tmp_path), now=lambda: NOW)
    assert again.complete
    assert again.counts["new"] == 0
    assert fake.calls["fetch_page"] == 1


def test_a_record_that_breaks_the_converter_stops_the_run_with_a_clear_error(
    tmp_path: Path,
) -> None:
    fake = LazyFake()
    fake.add_many(120)
    fake.broken = {"000050"}  # on the second page (newest first, 40 a page)
    with pytest.raises(PlatformError, match=r"reading the list of posts failed \(KeyError"):
        run_backup(fake, BackupStore(tmp_path), now=lambda: NOW)
    saved = BackupStore(tmp_path).account(fake.account.platform, fake.account.identity)
    assert len(list(saved.iter_post_ids())) == 40, "the page read before it is written"
    fake.broken.clear()
    result = run_backup(fake, BackupStore(tmp_path), now=lambda: NOW)
    assert result.complete
    assert result.counts["new"] == 80
