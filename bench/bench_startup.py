"""Benchmark: start-up and idle runs, best of N wall times of the real command in a subprocess.

`crosspost --help`, `crosspost status` (a config with two accounts, an empty state) and
`crosspost sync` with nothing new, the last against local servers: the real Bluesky PDS
(tools/pds/pds.sh, as tests/bluesky_pds.py starts it) and mastodon-mock as extended by
tests/mastodon_account_server.py. Two rules, Mastodon -> Bluesky and Bluesky -> Mastodon, are run
once for real (one tagged post each way is mirrored), then timed with nothing new. Each idle run
must leave the state file as it was: same mtime and size, no -wal file grown, and no change in
SQLite's `total_changes` (`--trace` runs one idle sync in this process with
`sqlite3.Connection.set_trace_callback` on the ledger and prints every statement that writes).
Issue 23's targets: `--help` and `status` under 0.15 s, an idle sync under 1 s and no ledger
writes. Each line gives the best wall time and the best CPU time (user + sys of the child) of
the runs: the machine may be shared, and CPU time is the steadier figure. Where trio is installed
(selenium, a test dependency, brings it), httpcore imports it: 0.06 to 0.1 s of the idle sync
that an install of crosspost alone does not pay (`--imports` shows it).
Run: `python bench/bench_startup.py [-n 10] [--no-servers] [--profile] [--trace]
[--imports]`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")

ACCOUNTS = """
[accounts.sky]
platform = "bluesky"
handle = "{handle}"
service = "{pds}"

[accounts.masto]
platform = "mastodon"
handle = "alice@mock.test"
service = "{masto}"
"""
RULES = """
[[sync]]
name = "masto-to-sky"
from = "masto"
to = "sky"
include_tags = ["crosspost"]

[[sync]]
name = "sky-to-masto"
from = "sky"
to = "masto"
include_tags = ["crosspost"]
"""


def best_of(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """The best wall time of `runs` runs of `command`, and the best CPU time (user + sys of the
    child): on a shared machine the wall time is noisy, the CPU time much less so."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, check=False, cwd=ROOT)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 6):
            raise SystemExit(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()[-2000:]}"
            )
    return min(walls), min(cpus)


def line(name: str, runs: int, wall: float, cpu: float) -> str:
    return f"{name:<21} best of {runs}: {wall:.3f} s wall, {cpu:.3f} s CPU"


def crosspost(*arguments: str) -> list[str]:
    return [PYTHON, "-m", "crosspost", *arguments]


def base_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "CROSSPOST_STATE": str(home / "state.sqlite3"),
        }
    )
    return env


def file_state(path: Path) -> tuple[int, int, int]:
    """(mtime ns, size, WAL size) of the state file."""
    wal = path.with_name(path.name + "-wal")
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size, wal.stat().st_size if wal.exists() else 0


@contextlib.contextmanager
def servers(home: Path) -> Iterator[tuple[str, str, str, str]]:
    """(PDS URL, handle, app password, mastodon URL) of running local servers."""
    from tests.backup_mastodon import serving
    from tests.bluesky_pds import LAUNCHER, create_account, pds_installed, start_pds

    if not pds_installed():
        raise SystemExit("the local PDS is not installed: tools/pds/pds.sh install")
    pds = start_pds(home / "pds")
    try:
        account = create_account(pds.url)
        with serving(home / "mastodon-media") as masto:
            yield pds.url, account.handle, account.password, masto.base_url
    finally:
        subprocess.run([str(LAUNCHER), "stop", str(pds.pid)], capture_output=True, check=False)


def seed(pds_url: str, handle: str, password: str, masto_url: str) -> None:
    """One tagged post on each account, for the first (real) sync to mirror."""
    import httpx
    from mastodon import Mastodon

    from tests.backup_mastodon import TOKEN

    api = Mastodon(access_token=TOKEN, api_base_url=masto_url, version_check_mode="none")
    api.status_post("From Mastodon to Bluesky #crosspost")
    with httpx.Client(base_url=f"{pds_url}/xrpc", timeout=30) as http:
        session = http.post(
            "com.atproto.server.createSession", json={"identifier": handle, "password": password}
        )
        session.raise_for_status()
        body = session.json()
        made = http.post(
            "com.atproto.repo.createRecord",
            headers={"Authorization": f"Bearer {body['accessJwt']}"},
            json={
                "repo": body["did"],
                "collection": "app.bsky.feed.post",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": "From Bluesky to Mastodon #crosspost",
                    "facets": [
                        {
                            "index": {"byteStart": 25, "byteEnd": 35},
                            "features": [
                                {"$type": "app.bsky.richtext.facet#tag", "tag": "crosspost"}
                            ],
                        }
                    ],
                    "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                },
            },
        )
        made.raise_for_status()


def idle_sync(
    home: Path, env: dict[str, str], runs: int, profile: bool, trace: bool, imports: bool
) -> None:
    from tests.backup_mastodon import TOKEN

    with servers(home) as (pds_url, handle, password, masto_url):
        config = home / "config.toml"
        config.write_text(ACCOUNTS.format(handle=handle, pds=pds_url, masto=masto_url) + RULES)
        env = {**env, "CROSSPOST_SECRET_SKY": password, "CROSSPOST_SECRET_MASTO": TOKEN}
        seed(pds_url, handle, password, masto_url)
        first = subprocess.run(
            crosspost("sync", "-c", str(config)), env=env, capture_output=True, text=True
        )
        print(f"first sync (exit {first.returncode}):\n{first.stdout.strip()}")
        if first.returncode != 0:
            raise SystemExit(first.stderr[-2000:])
        state = Path(env["CROSSPOST_STATE"])
        second = subprocess.run(
            crosspost("sync", "-c", str(config)), env=env, capture_output=True, text=True
        )
        print(f"second sync (exit {second.returncode}):\n{second.stdout.strip()}")
        before = file_state(state)
        wall, cpu = best_of(crosspost("sync", "-c", str(config)), env, runs)
        after = file_state(state)
        unchanged = "unchanged" if before == after else f"CHANGED {before} -> {after}"
        print(f"{line('sync, nothing new', runs, wall, cpu)}   state file: {unchanged}")
        if trace:
            trace_idle(config, env)
        if imports:
            import_tree(config, env)
        if profile:
            profiled = home / "idle.prof"
            subprocess.run(
                [
                    PYTHON,
                    "-m",
                    "cProfile",
                    "-o",
                    str(profiled),
                    "-m",
                    "crosspost",
                    "sync",
                    "-c",
                    str(config),
                ],
                env=env,
                capture_output=True,
                check=False,
                cwd=ROOT,
            )
            import pstats

            pstats.Stats(str(profiled)).sort_stats("cumulative").print_stats(40)


def import_tree(config: Path, env: dict[str, str]) -> None:
    """The modules one idle sync imports that take longest (cumulative, `-X importtime`)."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-m", "crosspost", "sync", "-c", str(config)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    timed = [(int(row[1]), row[2].rstrip()) for row in rows[1:]]
    print(f"idle sync imports {len(timed)} modules; the slowest, cumulative:")
    for micros, name in sorted(timed, reverse=True)[:25]:
        print(f"  {micros / 1000:7.1f} ms {name}")


def trace_idle(config: Path, env: dict[str, str]) -> None:
    """One idle sync in this process, printing the statements that would write the ledger."""
    from crosspost.state import ledger

    written: list[str] = []
    connect = ledger._connect

    def traced(path: str) -> ledger._Guarded:
        db = connect(path)
        db.set_trace_callback(
            lambda sql: written.append(sql) if sql.lstrip().upper().startswith(WRITES) else None
        )
        return db

    saved = dict(os.environ)
    os.environ.update(env)
    ledger._connect = traced
    try:
        from crosspost.cli import app
        from tests.cli_helpers import run_cli

        assert app is not None
        result = run_cli("sync", "-c", str(config))
        print(f"traced idle sync: exit {result.code}, {len(written)} writing statements")
        for sql in written:
            print(f"  {' '.join(sql.split())[:120]}")
    finally:
        ledger._connect = connect
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=10)
    parser.add_argument("--no-servers", action="store_true", help="Skip the idle sync.")
    parser.add_argument("--profile", action="store_true", help="cProfile one idle sync.")
    parser.add_argument("--trace", action="store_true", help="Print an idle sync's writes.")
    parser.add_argument("--imports", action="store_true", help="An idle sync's slowest imports.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        home = Path(folder)
        env = base_env(home)
        config = home / "status.toml"
        config.write_text(ACCOUNTS.format(handle="a.test", pds="http://x", masto="http://y"))
        floor, cpu = best_of([PYTHON, "-c", "pass"], env, args.runs)
        print(line("python -c pass", args.runs, floor, cpu))
        for name, command in (
            ("--help", crosspost("--help")),
            ("status", crosspost("status", "-c", str(config))),
        ):
            wall, cpu = best_of(command, env, args.runs)
            print(line(f"crosspost {name}", args.runs, wall, cpu))
        if not args.no_servers:
            idle_sync(home, env, args.runs, args.profile, args.trace, args.imports)


if __name__ == "__main__":
    main()
