"""crosspost's backup side by side with the tools people use instead, in one run, on the same
local servers: tumblr-backup (Tumblr) and mastodon-archive (Mastodon), issue 23.

Workload: 2,000 posts with 200 images (every tenth post) at 20 ms a request, pages and media
alike (`--posts 1000,10000` for other sizes; `--posts 100000` works too, and takes long).

- Servers (bench/bench_backup_servers.py, each in a process of its own): Tumblr is
  tests/tumblr_server.py as bench/tumblr_bench_server.py runs it (the legacy post format when
  `npf` is absent, which is what tumblr-backup asks for, and `_links.next`); Mastodon is
  bench/mastodon_shaped_server.py (documented statuses; verify_credentials and the instance
  endpoints Mastodon.py reads; a rate-limit budget no run reaches). Both keep connections open
  with `disable_nagle_algorithm` (TCP_NODELAY) set on their handlers: a server that writes the
  headers and the body of an answer in two writes on a kept-open connection makes every answer
  wait for the client's delayed ACK (~40 ms a page), which would swamp the 20 ms latency.
- Each tool runs as its own command in a fresh process; wall time is from spawn to exit, CPU
  the RUSAGE_CHILDREN delta (user + system), peak RSS the program's own (VmHWM at exit, through
  bench/peak_rss.py: a child's ru_maxrss starts from the size of the process that forked it,
  which made every tool look as big as the bench). crosspost runs as
  `python -m crosspost backup ... --only posts` with a config and its secret in the environment
  (tests/backup_world.py), start-up included like the others'. mastodon-archive is
  two commands, as its README has them: `archive --no-favourites --no-bookmarks`, then `media`;
  their times add up. tumblr-backup runs `tumblr-backup -q -O DIR bench` with its API key set by
  `--set-api-key` into a private XDG_CONFIG_HOME.
- The peers are installed in a virtual environment of their own, never in the project's:

      python -m venv /work/peers-venv && /work/peers-venv/bin/pip install tumblr-backup \\
          mastodon-archive

  (measured with tumblr-backup 1.6.7 and mastodon-archive 1.4.8; `--peers-python PATH` to use
  another). They call https://api.tumblr.com, https://<blog>.tumblr.com and
  https://<instance>; bench/peer_shim.py rewrites those to the local servers inside the peer's
  process (requests, urllib3's pool managers, urllib.request) and then calls the tool's own
  entry point. Without the peers' Python the bench prints crosspost's figures alone.
- crosspost's modules are compiled to bytecode before the runs (`compileall`), as `pip install`
  does for the peers and for crosspost installed from a wheel: with PYTHONDONTWRITEBYTECODE set
  (as on this machine) an editable install would otherwise compile ~80 modules from source on
  every start, ~0.05 s that no installed copy pays.
- Every run writes into a folder of its own, and all are removed only after the last run: on
  this machine's ext4 (mounted with `discard`) a run that followed the removal of the previous
  run's ~2,200 files paid for their deletion, 1.7-2.9 s against 1.1-1.3 s for crosspost, and
  tumblr-backup likewise after crosspost's.
- Every run must have saved every post and every image (crosspost's --json summary; the files
  the peers wrote), else the bench stops: a tool skipping the media would look fast.
- Requests per endpoint are counted at the servers. The sequential floor is crosspost's list
  calls x one bare GET to the same server (requests, a kept session): what reading the listing
  one page at a time costs at the least. crosspost reads Tumblr's offset pages 4 at a time after
  the first (crosspost/platforms/tumblr/prefetch.py), so its own floor is printed too: the start
  of `crosspost --help` plus 1 + ceil((list calls - 1) / 4) bare GETs.

Median of `--runs` (3) runs each, the tools taking turns. Run from the project root:
python -m bench.bench_peers [--posts 2000] [--platforms tumblr,mastodon] [--runs 3]
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from bench.bench_backup_e2e import bare_get
from bench.bench_backup_servers import mastodon_shaped_process, tumblr_process
from bench.mastodon_shaped_server import USERNAME
from bench.request_counts import take_counts
from crosspost.platforms.tumblr.prefetch import DEPTH
from tests.backup_world import cli_env
from tests.fixtures import PROJECT_ROOT
from tests.tumblr_server import CONSUMER

PEERS_PYTHON = Path("/work/peers-venv/bin/python")
SHIM = Path(__file__).with_name("peer_shim.py")
PEAK_RSS = Path(__file__).with_name("peak_rss.py")
NO_FSYNC = Path(__file__).with_name("no_fsync.py")
BLOG = "bench"
INSTANCE = "mastodon.bench"  # the domain mastodon-archive is told; the shim sends it here
LIST_ENDPOINTS = {
    "tumblr": "/v2/blog/{blog}/posts",
    "mastodon": "/api/v1/accounts/{id}/statuses",
}
PEER_NAMES = {"tumblr": "tumblr-backup", "mastodon": "mastodon-archive"}
TIMEOUT = 1800


class BenchError(Exception):
    """A tool failed or saved less than the server holds: the comparison would be unfair."""


@dataclass
class Run:
    seconds: float
    cpu: float
    rss_mb: float
    counts: dict[str, int] = field(default_factory=dict)


def spawn(commands: list[list[str]], env: dict[str, str], cwd: Path) -> Run:
    """Run the Python commands (`python [-I] -m MODULE ...` or `python [-I] SCRIPT ...`) one
    after another, each in a fresh process: wall time from the first spawn to the last exit,
    CPU (RUSAGE_CHILDREN delta, user + system) and the largest peak RSS (VmHWM at exit)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    peak = 0
    for number, command in enumerate(commands):
        out, err = cwd / f".out{number}", cwd / f".err{number}"
        reported = cwd / f".rss{number}"
        python, *program = command  # the program's own peak, not its forker's (peak_rss.py)
        flags = program[:1] if program[:1] == ["-I"] else []
        command = [python, *flags, str(PEAK_RSS), str(reported), *program[len(flags) :]]
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout, stderr=stderr)
            _, status, _ = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        peak = max(peak, int(reported.read_text()) if reported.exists() else 0)
        if process.returncode != 0:
            tail = (
                err.read_text(errors="replace")[-2000:] or out.read_text(errors="replace")[-2000:]
            )
            raise BenchError(f"{' '.join(command[:4])} ... exited {process.returncode}:\n{tail}")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(seconds, cpu, peak / 1024)


def _files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else 0


def _check(tool: str, what: str, saved: int, wanted: int) -> None:
    if saved != wanted:
        raise BenchError(f"{tool} saved {saved} {what}, the server holds {wanted}")


# --- crosspost -----------------------------------------------------------------------------------


def crosspost(
    platform: str, url: str, folder: Path, posts: int, images: int, *, synced: bool = True
) -> Run:
    if platform == "tumblr":
        account = f'platform = "tumblr"\nblog = "{BLOG}"'
        secrets = {BLOG: CONSUMER[0]}  # an API key reads a public blog
    else:
        account = f'platform = "mastodon"\nhandle = "{USERNAME}@127.0.0.1"'
        secrets = {"unused": "-"}  # a public account: no login
    config = folder / "config.toml"
    config.write_text(f'[accounts.{BLOG}]\n{account}\nservice = "{url}"\n')
    command = [sys.executable, *([] if synced else [str(NO_FSYNC)]), "-m", "crosspost"]
    command += ["backup", BLOG, "-c", str(config)]
    command += ["-d", str(folder / "out"), "--only", "posts", "--json"]
    run = spawn([command], cli_env(folder, secrets), folder)
    summary = json.loads((folder / ".out0").read_text())
    counts = summary.get("counts", summary)
    _check("crosspost", "posts", counts.get("new", -1), posts)
    _check("crosspost", "images", counts.get("media_downloaded", -1), images)
    return run


# --- the peers -----------------------------------------------------------------------------------


def _peer_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        XDG_CONFIG_HOME=str(folder / "xdg-config"),
        XDG_STATE_HOME=str(folder / "xdg-state"),
        XDG_CACHE_HOME=str(folder / "xdg-cache"),
    )
    return env


def _shim(python: Path, rewrites: dict[str, str], entry: str, *arguments: str) -> list[str]:
    return [str(python), "-I", str(SHIM), json.dumps(rewrites), entry, *arguments]


def tumblr_backup(python: Path, url: str, folder: Path, posts: int, images: int) -> Run:
    rewrites = {"https://api.tumblr.com/": f"{url}/", f"https://{BLOG}.tumblr.com/": f"{url}/"}
    env = _peer_env(folder)
    entry = "tumblr_backup.main:main"
    setup = _shim(python, rewrites, entry, "--set-api-key", CONSUMER[0])
    subprocess.run(setup, env=env, cwd=folder, check=True, capture_output=True)
    run = spawn([_shim(python, rewrites, entry, "-q", "-O", "out", BLOG)], env, folder)
    _check("tumblr-backup", "posts", len(list((folder / "out" / "posts").glob("*.html"))), posts)
    _check("tumblr-backup", "images", _files(folder / "out" / "media"), images)
    return run


def mastodon_archive(python: Path, url: str, folder: Path, posts: int, images: int) -> Run:
    """Signed in as mastodon-archive keeps it: the secret files Mastodon.py reads (client file:
    client_id, client_secret, base URL; token file: access token, base URL)."""
    base = f"https://{INSTANCE}"
    (folder / f"{INSTANCE}.client.secret").write_text(f"bench-client\nbench-secret\n{base}\n")
    (folder / f"{INSTANCE}.user.{USERNAME}.secret").write_text(f"bench-token\n{base}\n")
    rewrites = {f"{base}/": f"{url}/"}
    user = f"{USERNAME}@{INSTANCE}"
    entry = "mastodon_archive:main"
    archive = ["--quiet", "archive", "--no-favourites", "--no-bookmarks", user]
    commands = [_shim(python, rewrites, entry, *archive)]
    commands.append(_shim(python, rewrites, entry, "--quiet", "media", user))
    run = spawn(commands, _peer_env(folder), folder)
    saved = json.loads((folder / f"{INSTANCE}.user.{USERNAME}.json").read_text())
    _check("mastodon-archive", "posts", len(saved["statuses"]), posts)
    media = folder / f"{INSTANCE}.user.{USERNAME}" / "system" / "media_attachments"
    _check("mastodon-archive", "images", _files(media), images)
    return run


# --- side by side --------------------------------------------------------------------------------

Tool = Callable[[str, Path, int, int], Run]


@dataclass
class Row:
    platform: str
    posts: int
    images: int
    bare_get: float
    ours: list[Run]
    theirs: list[Run]
    unsynced: list[Run] = field(default_factory=list)  # crosspost with os.fsync a no-op
    startup: float = 0.0  # `crosspost --help`, best of 3: the start no backup can beat

    @staticmethod
    def median(runs: list[Run], attribute: str) -> float:
        return float(statistics.median(getattr(run, attribute) for run in runs))

    @property
    def floor(self) -> float:
        return self.ours[-1].counts.get(LIST_ENDPOINTS[self.platform], 0) * self.bare_get


def _serving(platform: str, posts: int, images: int, latency: float) -> AbstractContextManager[str]:
    if platform == "tumblr":
        return tumblr_process(posts, images, latency)
    return mastodon_shaped_process(posts, images, latency, budget=10**9)


def _bare_url(platform: str, url: str) -> str:
    if platform == "tumblr":
        return f"{url}/v2/blog/{BLOG}/info?api_key={CONSUMER[0]}"
    return f"{url}/api/v1/accounts/lookup?acct={USERNAME}"


def _started() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crosspost", "--help"], capture_output=True, check=True)
    return time.perf_counter() - started


def _timed(tool: Tool, url: str, posts: int, images: int, kept: Path) -> Run:
    """One run in a folder of its own under `kept`, removed only after every run (see the
    module's docstring: a run right after the removal of another's thousands of files pays
    for their deletion)."""
    run = tool(url, Path(tempfile.mkdtemp(prefix="run-", dir=kept)), posts, images)
    run.counts = take_counts(url)
    return run


def compare(
    platform: str, posts: int, latency: float, runs: int, python: Path | None, unsynced: bool
) -> Row:
    images = posts // 10
    ours: Tool = lambda url, folder, p, i: crosspost(platform, url, folder, p, i)  # noqa: E731
    bare: Tool = lambda url, folder, p, i: crosspost(platform, url, folder, p, i, synced=False)  # noqa: E731
    peer = tumblr_backup if platform == "tumblr" else mastodon_archive
    with (
        _serving(platform, posts, images, latency) as url,
        tempfile.TemporaryDirectory(prefix="bench-peers-") as folder,
    ):
        kept = Path(folder)
        row = Row(platform, posts, images, bare_get(_bare_url(platform, url)), [], [])
        take_counts(url)  # the bare GETs are not a tool's
        row.startup = min(_started() for _ in range(3))
        for _ in range(runs):  # taking turns, so a busy moment of the machine hits both
            row.ours.append(_timed(ours, url, posts, images, kept))
            if python is not None:
                theirs: Tool = lambda url, folder, p, i: peer(python, url, folder, p, i)  # noqa: E731
                row.theirs.append(_timed(theirs, url, posts, images, kept))
            if unsynced:
                row.unsynced.append(_timed(bare, url, posts, images, kept))
    return row


def _lines(rows: list[Row], latency: float) -> Iterator[str]:
    yield (
        f"{'platform':<9} {'posts':>6} {'crosspost s':>11} {'peer s':>8} {'peer/ours':>9} "
        f"{'floor s':>8} {'ours/floor':>10}   cpu s ours/peer   peak RSS MB ours/peer"
    )
    for row in rows:
        ours = row.median(row.ours, "seconds")
        cpu, rss = row.median(row.ours, "cpu"), row.median(row.ours, "rss_mb")
        if row.theirs:
            theirs = row.median(row.theirs, "seconds")
            peer = f"{theirs:>8.2f} {theirs / ours:>8.1f}x"
            usage = (
                f"{cpu:6.2f} / {row.median(row.theirs, 'cpu'):<6.2f}   "
                f"{rss:6.0f} / {row.median(row.theirs, 'rss_mb'):.0f}"
            )
        else:
            peer, usage = f"{'-':>8} {'-':>9}", f"{cpu:6.2f} / -        {rss:6.0f} / -"
        floor = f"{row.floor:>8.2f} {ours / row.floor:>9.2f}x" if row.floor else f"{'-':>8}"
        yield f"{row.platform:<9} {row.posts:>6} {ours:>11.2f} {peer} {floor}   {usage}"
    yield ""
    yield (
        f"{latency * 1000:.0f} ms a request; images = posts / 10; medians of "
        f"{len(rows[0].ours) if rows else 0} runs; peers: "
        + ", ".join(sorted({f"{r.platform} = {PEER_NAMES[r.platform]}" for r in rows}))
    )
    for row in rows:
        spreads = [
            "-".join(f"{f(r.seconds for r in runs):.2f}" for f in (min, max))
            for runs in (row.ours, row.theirs or row.ours)
        ]
        peer = f", {PEER_NAMES[row.platform]} {spreads[1]} s" if row.theirs else ""
        yield (
            f"{row.platform} {row.posts}: runs ranged crosspost {spreads[0]} s{peer}; floor = "
            f"{row.ours[-1].counts.get(LIST_ENDPOINTS[row.platform], 0)} list calls x "
            f"{row.bare_get * 1000:.1f} ms a bare GET"
        )
        if row.platform == "tumblr":
            calls = row.ours[-1].counts.get(LIST_ENDPOINTS[row.platform], 0)
            trips = 1 + math.ceil(max(calls - 1, 0) / DEPTH)
            yield (
                f"  crosspost's own floor: start-up (`crosspost --help`, best of 3) "
                f"{row.startup:.2f} s + the listing {DEPTH} pages at a time after the first, "
                f"{trips} round trips, {trips * row.bare_get:.2f} s = "
                f"{row.startup + trips * row.bare_get:.2f} s"
            )
        if row.unsynced:
            seconds = row.median(row.unsynced, "seconds")
            yield (
                f"  crosspost with os.fsync a no-op (what its durability costs; tumblr-backup "
                f"fsyncs every file too, from 20 threads; mastodon-archive writes one JSON file, "
                f"unsynced): {seconds:.2f} s, cpu {row.median(row.unsynced, 'cpu'):.2f} s"
            )
        for name, runs in (("crosspost", row.ours), (PEER_NAMES[row.platform], row.theirs)):
            if runs:
                counts = ", ".join(f"{k} {v}" for k, v in runs[-1].counts.items())
                yield f"  {name} requests: {counts}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--posts", default="2000", help="sizes, comma-separated (2000)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--platforms", default="tumblr,mastodon")
    parser.add_argument("--peers-python", type=Path, default=PEERS_PYTHON)
    parser.add_argument(
        "--unsynced",
        action="store_true",
        help="also time crosspost with os.fsync a no-op (bench/no_fsync.py): what syncing costs",
    )
    options = parser.parse_args(argv)
    python: Path | None = options.peers_python
    if python is None or not python.exists():
        print(
            f"peers skipped: no Python at {options.peers_python} (create it with `python -m "
            "venv V && V/bin/pip install tumblr-backup mastodon-archive`, then pass "
            "--peers-python V/bin/python); crosspost's figures alone follow"
        )
        python = None
    latency = options.latency_ms / 1000
    compileall.compile_dir(PROJECT_ROOT / "crosspost", quiet=1)  # as an installed copy has it
    rows = []
    try:
        for posts in (int(size) for size in options.posts.split(",")):
            for platform in options.platforms.split(","):
                row = compare(
                    platform.strip(), posts, latency, options.runs, python, options.unsynced
                )
                rows.append(row)
    except BenchError as error:
        print(f"bench stopped: {error}", file=sys.stderr)
        return 1
    for line in _lines(rows, latency):
        print(line)
    return 0


if __name__ == "__main__":
    os.chdir(PROJECT_ROOT)
    sys.exit(main())
