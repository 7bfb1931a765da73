"""A community's servers on loopback, for the scale tests: the real local PDS with its own rate
limits on, behind a counting proxy, and mastodon-mock (as tests/mastodon_account_server.py
extends it) in a process of its own with one seeded account per member. Accounts and posts are
made straight at the servers (the PDS's rate-limit bypass key), so only crosspost's own requests
count against the limits; what landed is read back through each server's own API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.bluesky_pds import LAUNCHER, LocalPds, PdsAccount, create_account, start_pds
from tests.fixtures import PROJECT_ROOT

BYPASS = "community-test-setup"  # the PDS's rate-limit bypass key, for the test's own calls
TAG = "cp"


@dataclass(frozen=True)
class Member:
    name: str  # u000 ...
    sky: PdsAccount
    masto_token: str
    masto_handle: str


@contextmanager
def rate_limited_pds(data_dir: Path) -> Iterator[LocalPds]:
    pds = start_pds(
        data_dir, extra_env={"CROSSPOST_PDS_RATE_LIMITS": "1", "CROSSPOST_PDS_BYPASS_KEY": BYPASS}
    )
    try:
        yield pds
    finally:
        subprocess.run([str(LAUNCHER), "stop", str(pds.pid)], capture_output=True, check=False)


@contextmanager
def mastodon_process(
    media_dir: Path, members: int, log: Path, limit: tuple[int, int] | None = None
) -> Iterator[str]:
    """mastodon-mock in its own process with accounts u000 ... (tokens uNNN_token), each token
    limited to `limit` (requests, seconds) a window; its URL."""
    command = [sys.executable, "-m", "tests.mastodon_process", str(media_dir), str(members)]
    command += [str(n) for n in limit or ()]
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("http"):
        process.kill()
        raise RuntimeError(f"mastodon-mock did not start: {log.read_text()[-2000:]}")
    try:
        yield line.strip()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def make_members(pds_url: str, count: int) -> list[tuple[str, PdsAccount]]:
    def one(n: int) -> tuple[str, PdsAccount]:
        name = f"u{n:03d}"
        return name, create_account(pds_url, f"{name}.test", headers={"x-ratelimit-bypass": BYPASS})

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def sky_text(member: str, n: int) -> str:
    return f"{member} sky post {n}"


def masto_text(member: str, n: int) -> str:
    return f"{member} masto post {n}"


def seed_sky(account: PdsAccount, member: str, posts: list[tuple[int, bool]]) -> None:
    """Posts numbered n, tagged #cp where selected, as the app writes them (a tag facet)."""
    with httpx.Client(
        base_url=f"{account.url}/xrpc", timeout=60, headers={"x-ratelimit-bypass": BYPASS}
    ) as http:
        made = http.post(
            "com.atproto.server.createSession",
            json={"identifier": account.handle, "password": account.password},
        )
        made.raise_for_status()
        http.headers["Authorization"] = f"Bearer {made.json()['accessJwt']}"
        for n, selected in posts:
            text = sky_text(member, n)
            record: dict[str, object] = {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            }
            if selected:
                body = f"{text} #{TAG}"
                start = len(text.encode()) + 1
                record["text"] = body
                record["facets"] = [
                    {
                        "index": {"byteStart": start, "byteEnd": len(body.encode())},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": TAG}],
                    }
                ]
            answer = http.post(
                "com.atproto.repo.createRecord",
                json={"repo": account.did, "collection": "app.bsky.feed.post", "record": record},
            )
            answer.raise_for_status()


def seed_masto(base_url: str, token: str, member: str, posts: list[tuple[int, bool]]) -> None:
    with httpx.Client(
        base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for n, selected in posts:
            text = masto_text(member, n) + (f" #{TAG}" if selected else "")
            http.post("/api/v1/statuses", data={"status": text}).raise_for_status()


def sky_texts(account: PdsAccount) -> list[str]:
    """Every post in the account's repo, read from the PDS itself (bypassing its limits)."""
    texts: list[str] = []
    cursor: str | None = None
    with httpx.Client(timeout=60, headers={"x-ratelimit-bypass": BYPASS}) as http:
        while True:
            params = {"repo": account.did, "collection": "app.bsky.feed.post", "limit": "100"}
            if cursor:
                params["cursor"] = cursor
            page = http.get(f"{account.url}/xrpc/com.atproto.repo.listRecords", params=params)
            page.raise_for_status()
            body = page.json()
            texts += [str(item["value"].get("text", "")) for item in body["records"]]
            cursor = body.get("cursor")
            if not cursor or not body["records"]:
                return texts


_ACCOUNT_IDS: dict[tuple[str, str], str] = {}


def masto_texts(base_url: str, token: str) -> list[str]:
    """Every status of the token's account, by its own API (HTML content, as Mastodon gives);
    the account's id looked up once (each request counts against the token's limit)."""
    with httpx.Client(
        base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        if (base_url, token) not in _ACCOUNT_IDS:
            me = http.get("/api/v1/accounts/verify_credentials").json()
            _ACCOUNT_IDS[(base_url, token)] = str(me["id"])
        me = {"id": _ACCOUNT_IDS[(base_url, token)]}
        texts: list[str] = []
        params: dict[str, str] = {"limit": "40"}
        while True:
            page = http.get(f"/api/v1/accounts/{me['id']}/statuses", params=params)
            page.raise_for_status()
            statuses = page.json()
            texts += [str(status["content"]) for status in statuses]
            if len(statuses) < 40:
                return texts
            params["max_id"] = statuses[-1]["id"]


def wait_until(done: object, timeout: float, every: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(done) and done():
            return True
        time.sleep(every)
    return False


def dump(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=1, sort_keys=True, default=str))
