"""API calls per 1,000 posts read from the Tumblr-shaped loopback server (tests/tumblr_server.py).

Run: python -m bench.bench_tumblr  (from the project root). No network beyond 127.0.0.1.
"""

from __future__ import annotations

from crosspost.accounts import Account
from crosspost.model import Platform
from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.http import OAuthKeys
from tests.tumblr_server import CONSUMER, running


def calls_for(posts: int, page_size: int, same_second: bool = False) -> tuple[int, int]:
    with running() as server:
        server.state.add_posts("bench", posts, step=0 if same_second else 60)
        account = Account("bench", Platform.TUMBLR, "bench", service=server.url)
        client = TumblrClient(account, OAuthKeys(CONSUMER[0]), page_size=page_size)
        read, cursor = 0, None
        while True:
            page = client.fetch_page(cursor)
            read += len(page.posts)
            cursor = page.cursor
            if cursor is None:
                return read, client.http.calls


def main() -> None:
    for size in (50, 20):
        read, calls = calls_for(1000, size)
        per = calls * 1000 / read
        print(f"limit={size}: {read} posts read in {calls} API calls ({per:.0f} per 1,000)")


if __name__ == "__main__":
    main()
