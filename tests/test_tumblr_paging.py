"""Paging a blog's published posts (crosspost/platforms/tumblr/paging.py) against the Tumblr-shaped
loopback server: by offset while the blog holds still (ties cost nothing, ceil(N / page) calls and
the empty page that says there is nothing older),
by `before` once it changes under the listing, a cursor is resumed elsewhere, or the server stops
honouring `offset`. Every case ends with each post read exactly once. A blog changed between two
pages is read here one page at a time, so the change lands at a known page; the same changes
with pages fetched ahead are in test_tumblr_prefetch.py."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from crosspost.errors import DataError
from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.paging import Cursor
from tests.test_tumblr_flow import client_for
from tests.tumblr_server import Handler, TumblrServer, envelope, running

PAGE = 20


@pytest.fixture
def server() -> Iterator[TumblrServer]:
    with running() as live:
        yield live


def original_ids(server: TumblrServer) -> list[str]:
    return [str(p["id_string"]) for p in server.state.posts["art"]]


def read(
    client: TumblrClient, between: Callable[[int], None] = lambda page: None
) -> tuple[list[str], list[str]]:
    """Every id read, in order, and the query of every list call; `between(n)` runs after the
    n-th page (from 1), to change the blog while the listing runs."""
    ids: list[str] = []
    cursor, pages = None, 0
    while True:
        page = client.fetch_page(cursor)
        pages += 1
        ids += [post.ref.id for post in page.posts]
        if page.cursor is None:
            return ids, []
        cursor = page.cursor
        between(pages)


def list_queries(server: TumblrServer) -> list[str]:
    return [path for method, path, _ in server.state.log if "/posts" in path and method == "GET"]


def test_a_still_blog_costs_one_call_a_page_even_with_ties(server: TumblrServer) -> None:
    # 200 posts in bursts of 7 sharing a second (scheduled posts): boundaries fall inside them.
    for n in range(200):
        server.state.add("art", {"timestamp": 1600000000 - (n // 7) * 60, "content": []})
    client = client_for(server.url, signed=False, page_size=PAGE)
    ids, _ = read(client)
    assert sorted(ids) == sorted(original_ids(server))
    assert len(ids) == len(set(ids)) == 200
    assert client.http.calls == math.ceil(200 / PAGE) + 1 == 11  # the last one: nothing older
    assert not any("before=" in q for q in list_queries(server))


def test_the_same_blog_by_time_costs_a_repeated_post_a_page(server: TumblrServer) -> None:
    """The `before` listing the fallback uses: exact, at one repeated post a page."""
    for n in range(200):
        server.state.add("art", {"timestamp": 1600000000 - (n // 7) * 60, "content": []})
    client = client_for(server.url, signed=False, page_size=PAGE)
    first = client.fetch_page(None)
    assert first.cursor is not None
    elsewhere = client_for(server.url, signed=False, page_size=PAGE)  # did not issue it
    ids, _ = read_from(elsewhere, first.cursor)
    ids = [p.ref.id for p in first.posts] + ids
    assert len(ids) == len(set(ids)) == 200
    assert all("before=" in q for q in list_queries(server)[1:])
    assert elsewhere.http.calls > math.ceil(180 / PAGE)


def read_from(client: TumblrClient, cursor: str) -> tuple[list[str], int]:
    ids, calls = [], 0
    next_cursor: str | None = cursor
    while next_cursor is not None:
        page = client.fetch_page(next_cursor)
        calls += 1
        ids += [post.ref.id for post in page.posts]
        next_cursor = page.cursor
    return ids, calls


def test_a_post_published_while_listing_is_not_read_twice(server: TumblrServer) -> None:
    server.state.add_posts("art", 100)
    before = original_ids(server)
    client = client_for(server.url, signed=False, page_size=PAGE, pages_ahead=1)

    def publish(handler: Handler) -> bool:
        # Just before the third page (offset 40, which may be sent ahead while the second is
        # being read) is answered: a post newest of all, so every older post moves one down.
        if "offset=40" in handler.path and not published:
            published.append(server.state.add("art", {"timestamp": 1700000000, "content": []}))
        return False

    published: list[object] = []
    server.intercept = publish
    ids, _ = read(client)
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(before)
    queries = list_queries(server)
    assert "offset=20" in queries[1]
    assert "offset=40" in queries[2]  # the page that moved: set aside, read again by time
    assert all("before=" in q and "offset" not in q for q in queries[3:])


def test_a_post_deleted_while_listing_leaves_none_unread(server: TumblrServer) -> None:
    server.state.add_posts("art", 100)
    client = client_for(server.url, signed=False, page_size=PAGE, pages_ahead=1)
    removed: list[str] = []

    def delete(page: int) -> None:
        if page == 2:  # one already read: every older post moves one place up
            gone = server.state.posts["art"].pop(5)
            removed.append(str(gone["id_string"]))

    ids, _ = read(client, delete)
    assert len(ids) == len(set(ids))
    assert set(original_ids(server)) <= set(ids), "no remaining post skipped"
    assert set(ids) == set(original_ids(server)) | set(removed)


def test_posts_published_and_deleted_while_listing_with_ties(server: TumblrServer) -> None:
    for n in range(150):
        server.state.add("art", {"timestamp": 1600000000 - (n // 5) * 60, "content": []})
    client = client_for(server.url, signed=False, page_size=PAGE, pages_ahead=1)
    removed: list[str] = []

    def churn(page: int) -> None:
        if page in (2, 4):
            server.state.add("art", {"timestamp": 1700000000 + page, "content": []})
        if page in (3, 5):
            gone = server.state.posts["art"].pop(page)
            removed.append(str(gone["id_string"]))

    ids, _ = read(client, churn)
    assert len(ids) == len(set(ids))
    remaining = {str(p["id_string"]) for p in server.state.posts["art"]}
    published_during = {i for i in remaining if i not in ids}
    assert len(published_during) <= 2  # only the two published above the listing may be unread
    assert remaining - published_during <= set(ids)


def test_a_server_that_ignores_offset_is_read_by_time(server: TumblrServer) -> None:
    server.state.add_posts("art", 90)
    server.state.ignore_offset = True  # every page would be the first one again
    client = client_for(server.url, signed=False, page_size=PAGE)
    ids, _ = read(client)
    assert sorted(ids) == sorted(original_ids(server))
    assert len(ids) == len(set(ids))


def test_where_offset_paging_stops_short_of_the_total_the_listing_goes_on_by_time(
    server: TumblrServer,
) -> None:
    server.state.add_posts("art", 130)
    cap = 60  # as /likes does past an offset of 1,000: nothing, while total_posts says more

    def capped(handler: Handler) -> bool:
        query = dict(parse_qsl(urlsplit(handler.path).query))
        if not handler.path.split("?")[0].endswith("/posts") or int(query.get("offset", 0)) < cap:
            return False
        handler._send(200, envelope(200, "OK", {"posts": [], "total_posts": 130}))
        return True

    server.intercept = capped
    client = client_for(server.url, signed=False, page_size=PAGE)
    ids, _ = read(client)
    assert sorted(ids) == sorted(original_ids(server))
    assert len(ids) == len(set(ids))
    queries = list_queries(server)
    by_time = [q for q in queries if "before=" in q]
    offsets = {int(dict(parse_qsl(urlsplit(q).query)).get("offset", 0)) for q in queries}
    by_offset = len(queries) - len(by_time)
    # The pages up to the cap, its empty page, and at most one sent ahead past it; then by time,
    # from the oldest post read (read again: one post more).
    assert {0, 20, 40, 60} <= offsets <= {0, 20, 40, 60, 80}
    assert by_offset == len(offsets)
    assert len(by_time) == math.ceil((130 - 60 + 1) / PAGE) + 1


def test_signed_listing_goes_on_to_drafts_and_the_queue(server: TumblrServer) -> None:
    server.state.add_posts("art", 45)
    server.state.add("art", {"timestamp": 5, "state": "private", "content": []})
    for n in range(25):
        server.state.add("art", {"timestamp": 10 + n, "state": "draft", "content": []})
    server.state.add("art", {"timestamp": 3, "state": "queued", "content": []})
    client = client_for(server.url, page_size=PAGE)
    ids, _ = read(client)
    assert sorted(ids) == sorted(original_ids(server))
    assert len(ids) == len(set(ids)) == 72


def test_cursors_round_trip_and_old_ones_still_read() -> None:
    for cursor in (
        Cursor(),
        Cursor("offset", 1600000000, ("7", "8"), 40, 123),
        Cursor("offset", None, (), 40, None),
        Cursor("posts", 1600000000, ("7",), 19),
        Cursor("draft", position="700000000000000001"),
        Cursor("queue", position="20"),
    ):
        assert Cursor.parse(cursor.dump()) == cursor
    written_before = Cursor.parse("posts:1600000000:19:700000000000000001")
    assert written_before == Cursor("posts", 1600000000, ("700000000000000001",), 19)
    assert written_before.params(20) == {"npf": "true", "limit": 20, "before": 1600000001}
    with pytest.raises(DataError, match="not one this version wrote"):
        Cursor.parse("offset:x")


@pytest.mark.parametrize("older_only", [False, True], ids=["total-shrinks", "total-of-before"])
def test_a_listing_resumed_after_deletes_reads_every_remaining_post(
    server: TumblrServer, older_only: bool
) -> None:
    """Killed after page 7 of 300, 10 posts deleted before the resume: the resumed listing ends
    when the blog has nothing older, not when the posts counted reach a total that shrank (or
    that, for a `before` query, counts only the older posts)."""
    server.state.add_posts("art", 300)
    server.state.total_counts_before = older_only
    first = client_for(server.url, signed=False, page_size=PAGE)
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(7):
        page = first.fetch_page(cursor)
        ids += [post.ref.id for post in page.posts]
        cursor = page.cursor
    assert cursor is not None
    assert len(ids) == 140
    del server.state.posts["art"][:10]  # ten of those read are deleted meanwhile
    resumed = client_for(server.url, signed=False, page_size=PAGE)  # a new run
    rest, _ = read_from(resumed, cursor)
    assert len(rest) == len(set(rest))
    assert not set(rest) & set(ids)
    assert set(original_ids(server)) <= set(ids) | set(rest), "no remaining post left unread"
    assert len(rest) == 160


def test_the_blogs_own_total_is_kept_from_a_listing_by_offset(server: TumblrServer) -> None:
    server.state.add_posts("art", 45)
    client = client_for(server.url, signed=False, page_size=PAGE)
    assert client.total_posts is None
    read(client)
    assert client.total_posts == 45


def test_a_first_backup_gives_the_progress_the_blogs_own_total(tmp_path: Path) -> None:
    from crosspost.backup.runner import BackupOptions, run_backup
    from crosspost.backup.store import BackupStore
    from crosspost.progress import RecordingProgress

    with running() as server:
        server.state.add_posts("art", 130, start=1690000000)
        progress = RecordingProgress()
        client = client_for(server.url, signed=False)
        run_backup(client, BackupStore(tmp_path), BackupOptions(parts=frozenset({"posts"})),
                   progress=progress)  # fmt: skip
    totals = [total for kind, task, total in progress.events if kind == "start" and task == "posts"]
    assert 130 in totals
