"""Calls, bytes and seconds of Bluesky backups on a local PDS, with and without the getRepo
snapshot: a full backup, an incremental one with nothing new, one with 150 new posts, and
reading the profile and every collection.

Run: python bench/bench_bluesky_snapshot.py [POSTS] [IMAGES]   (needs tools/pds/pds.sh install)
"""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crosspost.accounts import Account
from crosspost.backup.runner import run_backup
from crosspost.backup.store import BackupStore
from crosspost.model import Platform
from crosspost.platforms.bluesky.client import BlueskyClient
from tests.bluesky_pds import LAUNCHER, PdsAccount, create_account, start_pds
from tests.bluesky_seed import Seeder, fill, stamp


class Counting(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.bytes += len(response.content)
        return response


def measure(user: PdsAccount, snapshots: bool, work: Callable[[BlueskyClient], None]) -> str:
    transport = Counting()
    account = Account("bench", Platform.BLUESKY, user.handle, service=user.url)
    client = BlueskyClient(account, snapshots=snapshots, transport=transport)
    started = time.perf_counter()
    work(client)
    seconds = time.perf_counter() - started
    calls = ", ".join(f"{n.rpartition('.')[2]} {c}" for n, c in sorted(client.xrpc.calls.items()))
    return f"{calls:<48} {transport.bytes / 1000:>8.0f} kB {seconds:>6.2f} s"


def collections(client: BlueskyClient) -> None:
    client.fetch_profile()
    for kind in client.collections():
        cursor = None
        while True:
            page = client.fetch_collection(kind, cursor)
            cursor = page.cursor
            if cursor is None:
                break


def main(posts: int, images: int) -> None:
    pds = start_pds(Path(tempfile.mkdtemp(prefix="bench-pds-")))
    try:
        user = create_account(pds.url)
        fill(user, posts, images)
        seeder = Seeder.open(user)
        post = f"at://{user.did}/app.bsky.feed.post/"
        likes = [
            {
                "subject": {
                    "uri": post + "x",
                    "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
                },
                "createdAt": stamp(n),
            }
            for n in range(300)
        ]
        seeder.create_many("app.bsky.feed.like", likes, "l")
        seeder.create_many(
            "app.bsky.graph.follow",
            [{"subject": user.did, "createdAt": stamp(n)} for n in range(250)],
            "f",
        )
        seeder.close()
        roots = {mode: Path(tempfile.mkdtemp(prefix=f"bench-{mode}-")) for mode in ("on", "off")}
        print(f"{posts} posts, {images} images, 300 likes, 250 follows")
        steps: list[tuple[str, Callable[[], None] | None]] = [
            ("full backup", None),
            ("incremental, nothing new", None),
            ("incremental, 150 new posts", lambda: fill(user, 150, 5, first=posts)),
            ("profile + every collection", None),
        ]
        for name, before in steps:
            if before is not None:
                before()
            for mode, snapshots in (("off", False), ("on", True)):
                store = BackupStore(roots[mode])
                work: Callable[[BlueskyClient], None] = (
                    collections
                    if name.startswith("profile")
                    else functools.partial(_backup, store=store)
                )
                label = "getRepo snapshot" if snapshots else "listRecords only"
                print(f"{name:<28} {label:<17} {measure(user, snapshots, work)}")
    finally:
        subprocess.run([str(LAUNCHER), "stop", str(pds.pid)], capture_output=True, check=False)


def _backup(client: BlueskyClient, store: BackupStore) -> None:
    assert run_backup(client, store).complete


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 50,
    )
