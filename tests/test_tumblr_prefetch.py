"""Offset pages sent ahead (crosspost/platforms/tumblr/prefetch.py) against the Tumblr-shaped
loopback server: a still blog is read with the calls of a sequential listing, several at once; a
blog changed while pages are in flight is still read exactly once; an incremental run that stops
after its first page costs one call."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.http import TumblrNotFoundError
from crosspost.platforms.tumblr.prefetch import DEPTH
from tests.test_tumblr_flow import client_for
from tests.tumblr_server import Handler, TumblrServer, envelope, running

PAGE = 20


@pytest.fixture
def server() -> Iterator[TumblrServer]:
    with running() as live:
        yield live


class InFlight:
    """Counts list requests being answered at once (each held `hold` seconds), and runs
    `on_offset[n]` when the request for offset n arrives, before it is answered."""

    def __init__(self, server: TumblrServer, hold: float = 0.05) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()
        self.on_offset: dict[int, list[object]] = {}
        self.hold = hold
        server.intercept = self.see

    def see(self, handler: Handler) -> bool:
        parts = urlsplit(handler.path)
        if not parts.path.endswith("/posts") or handler.command != "GET":
            return False
        offset = int(dict(parse_qsl(parts.query)).get("offset", 0))
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            for change in self.on_offset.pop(offset, []):
                change()  # type: ignore[operator]
        time.sleep(self.hold)
        with self.lock:
            self.now -= 1
        return False  # the server answers as usual


def read_all(client: TumblrClient) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = client.fetch_page(cursor)
        ids += [post.ref.id for post in page.posts]
        if page.cursor is None:
            return ids
        cursor = page.cursor


def test_a_still_blog_is_read_several_pages_at_once_with_no_call_more(
    server: TumblrServer,
) -> None:
    server.state.add_posts("art", 400)
    flight = InFlight(server)
    client = client_for(server.url, signed=False, page_size=PAGE)
    ids = read_all(client)
    assert len(ids) == len(set(ids)) == 400
    assert client.http.calls == math.ceil(400 / PAGE) + 1  # as many as one page at a time
    assert flight.most == DEPTH, "pages were in flight together"


def test_one_page_at_a_time_when_asked(server: TumblrServer) -> None:
    server.state.add_posts("art", 100)
    flight = InFlight(server, hold=0.01)
    client = client_for(server.url, signed=False, page_size=PAGE, pages_ahead=1)
    assert len(read_all(client)) == 100
    assert flight.most == 1


@pytest.mark.parametrize("change", ["publish", "delete", "delete unread"])
def test_a_blog_changed_while_pages_are_in_flight_is_read_exactly_once(
    server: TumblrServer, change: str
) -> None:
    server.state.add_posts("art", 300)
    before = {str(p["id_string"]) for p in server.state.posts["art"]}
    flight = InFlight(server)
    removed: list[str] = []

    def apply() -> None:
        posts = server.state.posts["art"]
        if change == "publish":  # newest of all: every older post moves one place down
            server.state.add("art", {"timestamp": 1700000000, "content": []})
        else:  # one read already, or one not read yet: every older post moves up
            removed.append(str(posts.pop(3 if change == "delete" else 250)["id_string"]))

    flight.on_offset[100] = [apply]  # while pages 100-160 are in flight
    client = client_for(server.url, signed=False, page_size=PAGE)
    ids = read_all(client)
    assert len(ids) == len(set(ids)), "no post read twice"
    now = {str(p["id_string"]) for p in server.state.posts["art"]}
    assert before & now <= set(ids), "every post still on the blog read"
    assert set(ids) <= before  # one published after the listing began waits for the next run
    straight = math.ceil(300 / PAGE) + 1
    # pages fetched ahead of the change are dropped (at most DEPTH - 1 of them), and the
    # listing by time repeats one post a page from there on
    assert client.http.calls <= straight + DEPTH + math.ceil(300 / PAGE), client.http.calls


def test_an_incremental_run_that_stops_after_one_page_costs_one_call(
    server: TumblrServer,
) -> None:
    server.state.add_posts("art", 400)
    client = client_for(server.url, signed=False, page_size=PAGE)
    first = client.fetch_page(None)
    assert first.cursor is not None
    assert len(first.posts) == PAGE
    time.sleep(0.2)  # anything sent ahead would have gone by now
    assert client.http.calls == 1
    assert len([e for e in server.state.log if "/posts" in e[1]]) == 1


def test_an_error_on_a_page_sent_ahead_is_raised_when_that_page_is_asked_for(
    server: TumblrServer,
) -> None:
    server.state.add_posts("art", 200)

    def refuse(handler: Handler) -> bool:
        if "offset=40" not in handler.path:
            return False
        handler._send(404, envelope(404, "Not Found"))
        return True

    server.intercept = refuse
    client = client_for(server.url, signed=False, page_size=PAGE)
    first = client.fetch_page(None)
    second = client.fetch_page(first.cursor)  # now the page at offset 40 is sent ahead
    time.sleep(0.1)  # and answered: the error waits for the page to be asked for
    assert len(second.posts) == PAGE
    with pytest.raises(TumblrNotFoundError):
        client.fetch_page(second.cursor)
