"""Bluesky adapter figures against a local PDS: ms per published post, API calls per 100 read.

Run: python bench/bench_bluesky.py [N]   (needs tools/pds/pds.sh install; starts and stops a PDS)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import keyring

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crosspost.accounts import Account
from crosspost.credentials import Secrets
from crosspost.model import Platform
from crosspost.platforms.base import Draft
from crosspost.platforms.bluesky.client import BlueskyClient
from crosspost.platforms.bluesky.richtext import detect_spans
from tests.bluesky_pds import LAUNCHER, create_account, start_pds
from tests.memory_keyring import MemoryKeyring


def main(count: int) -> None:
    keyring.set_keyring(MemoryKeyring())
    pds = start_pds(Path(tempfile.mkdtemp(prefix="bench-pds-")))
    try:
        user = create_account(pds.url)
        account = Account("bench", Platform.BLUESKY, user.handle, service=pds.url)
        store = Secrets()
        store.save(account, {"app_password": user.password})
        client = BlueskyClient(account, credentials=store)
        client.publish(Draft(detect_spans("warm-up"), "warm"))  # log in outside the timing
        started = time.perf_counter()
        for n in range(count):
            text = f"post {n} #bench https://example.com/{n}"
            client.publish(Draft(detect_spans(text), f"bench:{n}"))
        publish_ms = (time.perf_counter() - started) * 1000 / count
        before = client.xrpc.total_calls
        read, cursor, started = 0, None, time.perf_counter()
        while True:
            page = client.fetch_page(cursor)
            read += len(page.posts)
            if page.cursor is None:
                break
            cursor = page.cursor
        read_ms = (time.perf_counter() - started) * 1000
        calls = client.xrpc.total_calls - before
        print(f"published {count} posts: {publish_ms:.1f} ms per post (1 createRecord each)")
        print(
            f"read {read} posts in {read_ms:.0f} ms with {calls} calls: "
            f"{calls * 100 / read:.2f} calls per 100 posts read"
        )
    finally:
        subprocess.run([str(LAUNCHER), "stop", str(pds.pid)], check=False)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
