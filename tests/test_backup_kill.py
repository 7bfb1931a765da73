"""SIGKILL a real `crosspost backup` process at seeded random points, 50 times, rerunning each time:
every chain of interrupted runs ends with the snapshot an uninterrupted run gives, `verify` clean,
no temp file left. The only test that waits on the clock: it has to let a real process run."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

from tests.backup_world import (
    BLOG,
    cli_env,
    crosspost,
    fill_tumblr,
    leftovers,
    run,
    snapshot,
    tumblr_config,
)
from tests.tumblr_server import running

KILLS = 50
POSTS, IMAGES = 360, 60


def test_fifty_sigkills_then_the_same_snapshot(tmp_path: Path) -> None:
    with running() as server:
        server.state.hour_remaining = 10**9
        fill_tumblr(server, POSTS, IMAGES)
        env = cli_env(tmp_path)
        config = tumblr_config(tmp_path, server.url)

        def backup(out: Path) -> list[str]:
            return crosspost("backup", BLOG, "-c", str(config), "-d", str(out), "-q", "--json")

        started = time.monotonic()
        done = run(backup(tmp_path / "reference"), env)
        whole = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["new"] == POSTS
        reference = snapshot(tmp_path / "reference")
        assert len(reference) == POSTS + IMAGES + 1  # and the blog's avatar

        started = time.monotonic()
        run(crosspost("--help"), env)
        startup = time.monotonic() - started

        rng = random.Random(20240601)
        kills, chains, folder = 0, 0, tmp_path / "chain0"
        while kills < KILLS:
            process = subprocess.Popen(
                backup(folder), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            try:  # killed somewhere between the end of start-up and the end of a whole run
                process.wait(timeout=rng.uniform(startup * 0.8, whole))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                continue
            assert process.returncode == 0, process.stderr.read() if process.stderr else ""
            _check(folder, reference, env)  # this chain ended: a run outlived its kill
            chains += 1
            folder = tmp_path / f"chain{chains}"
        final = run(backup(folder), env)
        assert final.returncode == 0, final.stderr
        _check(folder, reference, env)
        assert chains >= 3, f"{chains} chains: the kills hardly ever let a run finish"


def _check(folder: Path, reference: dict[str, bytes], env: dict[str, str]) -> None:
    assert snapshot(folder) == reference
    assert leftovers(folder) == []
    checked = run(crosspost("verify", str(folder), "--json", "-q"), env)
    report = json.loads(checked.stdout)
    assert checked.returncode == 0, report
    assert report["problems"] == []
    assert report["notes"] == []
    manifest = json.loads((folder / "tumblr" / BLOG / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["run"] is None
