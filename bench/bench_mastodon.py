"""API calls per 1,000 statuses read by MastodonClient.fetch_page, against mastodon-mock.

https://docs.joinmastodon.org/methods/accounts/#statuses . Run: python bench/bench_mastodon.py [N]
(starts mastodon-mock in-process on loopback; seeds N statuses; reads them all back, then
again with the account id known, as a backup that saved the account's profile reads them).
"""

from __future__ import annotations

import sys
import time

from mastodon_mock.testing import MockServer

from crosspost.accounts import Account
from crosspost.model import Platform
from crosspost.platforms.mastodon.client import MastodonClient


def read_all(client: MastodonClient) -> int:
    cursor: str | None = None
    read = 0
    while True:
        page = client.fetch_page(cursor)
        read += len(page.posts)
        if page.cursor is None:
            return read
        cursor = page.cursor


def main(total: int = 1000) -> None:
    with MockServer() as server:
        account = Account("bench", Platform.MASTODON, "alice@127.0.0.1", service=server.base_url)
        client = MastodonClient(account, "alice_token")  # mastodon-mock's seeded test token
        for number in range(total):
            client.api.status_post(f"status {number}")
        client.limiter.calls = 0
        started = time.perf_counter()
        read = read_all(client)
        seconds = time.perf_counter() - started
        known = MastodonClient(account, "alice_token", account_id=client.account_id())
        read_known = read_all(known)
        first_page = MastodonClient(account, "alice_token", account_id=client.account_id())
        first_page.fetch_page()
    print(f"statuses read: {read}")
    print(
        f"API calls: {client.calls} ({client.calls * 1000 / max(read, 1):.1f} per 1,000 statuses)"
    )
    print(f"time: {seconds:.2f} s against mastodon-mock on loopback")
    print(f"with the account id known: {known.calls} API calls for {read_known} statuses")
    print(f"an incremental read (the newest page) with the id known: {first_page.calls} API call")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
