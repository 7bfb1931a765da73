"""SIGKILL a real `crosspost backup` of a Bluesky account on the local PDS at several points, and
change the account before each resume (posts deleted, posts added): at the end every post still
in the repo is saved once, the deleted ones saved before are kept (marked by --full), the
manifest is complete only when the run is, and `verify` is clean. Waits on the clock: it has
to let a real process run."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.backup_world import cli_env, crosspost, run
from tests.bluesky_pds import PdsAccount, local_pds, pds_account
from tests.bluesky_seed import Seeder, fill

__all__ = ["local_pds", "pds_account"]
POSTS, IMAGES, KILLS = 400, 40, 6


def repo_posts(account: PdsAccount) -> set[str]:
    found: set[str] = set()
    cursor = None
    with httpx.Client(base_url=f"{account.url}/xrpc", timeout=30) as http:
        while True:
            params: dict[str, str | int] = {"repo": account.did, "limit": 100}
            params["collection"] = "app.bsky.feed.post"
            if cursor:
                params["cursor"] = cursor
            page = http.get("com.atproto.repo.listRecords", params=params).json()
            found |= {r["uri"] for r in page["records"]}
            cursor = page.get("cursor")
            if not page["records"] or not cursor:
                return found


def test_kills_while_the_account_changes(pds_account: PdsAccount, tmp_path: Path) -> None:
    fill(pds_account, POSTS, IMAGES)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.sky]\nplatform = "bluesky"\nhandle = "{pds_account.handle}"\n'
        f'service = "{pds_account.url}"\n'
    )
    env = cli_env(tmp_path, {})
    out = tmp_path / "out"
    args = crosspost("backup", "sky", "-c", str(config), "-d", str(out), "-q", "--json")
    started = time.monotonic()
    run(crosspost("--help"), env)
    startup = time.monotonic() - started
    rng = random.Random(20260601)
    kills, added, deleted = 0, POSTS, 0
    while kills < KILLS:
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            process.wait(timeout=rng.uniform(startup * 0.9, startup + 2.5))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        manifest = out / "bluesky" / pds_account.handle / "manifest.json"
        if manifest.exists() and process.returncode == -signal.SIGKILL:
            saved = json.loads(manifest.read_text())
            assert not (saved["complete"] and saved["run"]), saved["run"]
        # The account changes before the resume: three posts go, five come.
        seeder = Seeder.open(pds_account)
        for uri in sorted(repo_posts(pds_account))[kills * 7 : kills * 7 + 3]:
            seeder.delete(uri)
            deleted += 1
        seeder.close()
        fill(pds_account, 5, 1, first=added)
        added += 5
    done = run([*args, "--full"], env)
    assert done.returncode == 0, done.stderr
    folder = out / "bluesky" / pds_account.handle
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["run"] is None
    documents = [json.loads(p.read_text()) for p in (folder / "posts").glob("*.json")]
    ids = [d["post"]["ref"]["id"] for d in documents]
    live = {i for d, i in zip(documents, ids, strict=True) if not d["post"]["deleted"]}
    assert len(ids) == len(set(ids))  # no post saved twice
    assert live == repo_posts(pds_account)  # none missing, none extra
    gone = [i for d, i in zip(documents, ids, strict=True) if d["post"]["deleted"]]
    print(f"{kills} kills, {deleted} deleted meanwhile ({len(gone)} had been saved), {added} made")
    checked = run(crosspost("verify", str(out), "--json", "-q"), env)
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["problems"] == []
