"""Ledger writes per second: `record_intent` then `record_published` of one mirror (the two
commits every published post costs), on SQLite (a file, WAL, synchronous=FULL) and on PostgreSQL
over loopback (the server CROSSPOST_POSTGRES_URL names, e.g. the one `.ci/setup-postgres.sh`
starts; skipped when unset). Also the claim the engine takes between the two (`claim`), as
a third figure per backend.

Run: python -m bench.bench_ledger [POSTS] (default 2000), from the project root. The SQLite file
is in BENCH_DISK (default the working folder), so its fsyncs are the real disk's; the PostgreSQL
server's data folder is wherever it was started.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from crosspost.model import Platform, PostRef
from crosspost.state import Ledger


def _ref(n: int) -> PostRef:
    return PostRef(Platform.MASTODON, "a@b.test", str(n), f"https://b.test/@a/{n}")


def measure(store: Ledger, posts: int, *, claim: bool) -> float:
    """Posts per second through intent (+ claim) + published."""
    started = time.perf_counter()
    for n in range(posts):
        key = f"tumblr:art:{n}"
        store.record_intent(key, "masto", 0, 1, "rule")
        if claim:
            store.claim(key, "masto", 0)
        store.record_published(key, "masto", 0, _ref(n), rule="rule")
    return posts / (time.perf_counter() - started)


def run(name: str, open_: Callable[[], Ledger], posts: int) -> None:
    for claim in (False, True):
        store = open_()
        try:
            rate = measure(store, posts, claim=claim)
        finally:
            store.close()
        what = "intent + claim + published" if claim else "intent + published"
        print(f"{name:<22} {what:<28} {rate:8.0f} posts/s ({posts} posts)")


def main(posts: int = 2000) -> None:
    folder = Path(os.environ.get("BENCH_DISK", "."))
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        counter = iter(range(10))
        run("sqlite (file)", lambda: Ledger(Path(tmp) / f"s{next(counter)}.sqlite3"), posts)
    url = os.environ.get("CROSSPOST_POSTGRES_URL")
    if not url:
        print("postgresql: skipped (set CROSSPOST_POSTGRES_URL; .ci/setup-postgres.sh prints one)")
        return
    from crosspost.state.postgres import PostgresLedger
    from tests.postgres import drop_schemas

    opened: list[PostgresLedger] = []

    def open_postgres() -> Ledger:
        opened.append(PostgresLedger(url, namespace=f"bench_{uuid.uuid4().hex[:8]}"))
        return opened[-1]

    try:
        run("postgresql (loopback)", open_postgres, posts)
    finally:
        drop_schemas(url, {ledger.schema for ledger in opened})


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
