"""A real `crosspost backup` of a Tumblr-shaped blog SIGKILLed after page 7 of 15 is saved,
ten of the posts it had read deleted before the rerun: the resumed run saves every post the blog
still has and only then says the backup is complete (the listing ends where the blog has nothing
older, not where a count of posts reaches a `total_posts` that shrank)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.backup_world import BLOG, cli_env, crosspost, fill_tumblr, run, tumblr_config
from tests.tumblr_server import running

POSTS, PAGE, KILLED_AFTER, DELETED = 300, 20, 7, 10
HELD = 12  # the list call that waits, so the reader (a few pages ahead) stops near page 7


def saved_ids(folder: Path) -> set[str]:
    posts = folder / "tumblr" / BLOG / "posts"
    return {path.name.split(".")[0] for path in posts.rglob("*.json")}


def pages_saved(folder: Path) -> int:
    path = folder / "tumblr" / BLOG / "manifest.json"
    try:
        run_state = json.loads(path.read_text()).get("run") or {}
    except (OSError, ValueError):
        return 0
    return int(run_state.get("pages", 0))


@pytest.mark.parametrize("older_only", [False, True], ids=["total-shrinks", "total-of-before"])
def test_a_resumed_backup_after_deletes_saves_every_remaining_post(
    tmp_path: Path, older_only: bool
) -> None:
    with running() as server:
        server.state.hour_remaining = 10**9
        server.state.max_limit = PAGE
        server.state.total_counts_before = older_only
        fill_tumblr(server, POSTS, 0)
        env = cli_env(tmp_path)
        config = tumblr_config(tmp_path, server.url)
        folder = tmp_path / "backup"
        args = crosspost("backup", BLOG, "-c", str(config), "-d", str(folder), "-q", "--json")

        server.state.hold_list = HELD
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
        assert server.state.held.wait(60), f"the backup never asked for page {HELD}"
        while pages_saved(folder) < KILLED_AFTER:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        server.state.hold_list = None
        server.state.release.set()
        assert 0 < len(saved_ids(folder)) < POSTS

        del server.state.posts[BLOG][:DELETED]  # the newest ten, read before the kill
        done = run(args, env)
        assert done.returncode == 0, done.stderr
        remaining = {str(p["id_string"]) for p in server.state.posts[BLOG]}
        assert len(remaining) == POSTS - DELETED
        missing = remaining - saved_ids(folder)
        assert not missing, f"{len(missing)} of {len(remaining)} posts never saved"
        manifest = json.loads((folder / "tumblr" / BLOG / "manifest.json").read_text())
        assert manifest["complete"] is True
