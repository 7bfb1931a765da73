"""Benchmark: `crosspost worker` throughput with 1, 2 and 4 workers on the same work, and the cost
of an idle poll (a job of an account with nothing new).

The work: one rule from the Tumblr blog `art` to four blogs (four jobs, one per target) on the
loopback Tumblr server of the tests (tests/tumblr_server.py), every answer delayed by `--latency`
(a server further away), `--posts` posts each. For each worker count, a fresh server and state:
`crosspost sync --queue` queues the jobs, then the real worker runs them, either one process with
`--workers N` threads or N processes of one thread each; the time is from the worker's start to
the last post at the server (the process start, about 1 s, included). Every post is checked to
be there exactly once.

The idle poll: with everything mirrored, each job is run again in-process (`run_job`, as a
worker thread runs it): the time per job and the requests it made at the server, with and
without the latency; and the cost of one look at an empty queue (SqliteHuey's dequeue), which a
worker pays every `--poll` seconds whatever the number of accounts.

`--queue-url redis://127.0.0.1:56379/9` runs it all on a Redis server instead (the queue, the
job locks and the budgets; `.ci/setup-redis.sh` starts one): that database is emptied before each
run. There a worker thread waits on the queue (BRPOP, one command a second while idle), so the
look at the empty queue is timed as the non-blocking RPOP it replaces.
Run: `python bench/bench_worker.py [--posts 30] [--latency 0.02] [--queue-url URL]`.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crosspost.worker.job import run_job
from crosspost.worker.locks import Job
from crosspost.worker.queue import Queue
from crosspost.worker.settings import Settings
from tests.backup_world import cli_env
from tests.fixtures import PROJECT_ROOT
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

TARGETS = ("t1", "t2", "t3", "t4")
RULE = "fan-out"
START = 1_700_000_000


def config_text(url: str) -> str:
    accounts = "".join(
        f'[accounts.{name}]\nplatform = "tumblr"\nblog = "{name}"\nservice = "{url}"\n\n'
        for name in ("art", *TARGETS)
    )
    targets = ", ".join(f'"{t}"' for t in TARGETS)
    rule = f'[[sync]]\nname = "{RULE}"\nfrom = "art"\nto = [{targets}]\n'
    return accounts + rule + 'include_tags = ["crosspost"]\n'


def environment(home: Path, queue_url: str | None) -> dict[str, str]:
    secret = ":".join((*CONSUMER, *USER))
    env = cli_env(home, dict.fromkeys(("art", *TARGETS), secret))
    env["CROSSPOST_STATE"] = str(home / "state.sqlite3")
    if queue_url:
        env["CROSSPOST_QUEUE_URL"] = queue_url
    return env


def empty_server(queue_url: str | None) -> None:
    """A fresh Redis database for the next run (nothing to do for the SQLite files)."""
    if queue_url:
        import redis

        redis.Redis.from_url(queue_url).flushdb()


def seed(server: TumblrServer, posts: int) -> None:
    for n in range(posts):
        server.state.add(
            "art",
            {
                "timestamp": START + n * 60,
                "content": [{"type": "text", "text": f"post {n}"}],
                "tags": ["crosspost"],
            },
        )


def published(server: TumblrServer) -> Counter[str]:
    return Counter(
        f"{target}:{post['content'][0]['text'].split(chr(10))[0]}"
        for target in TARGETS
        for post in server.state.posts.get(target, [])
    )


def crosspost(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "crosspost", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def first_job_start(home: Path) -> float:
    """When the first job took its lock (epoch seconds), from the workers' logs."""
    starts = [
        float(match.group(1))
        for log in home.glob("w*.log")
        for match in re.finditer(r"job start .+? at (\d+\.\d+)", log.read_text())
    ]
    return min(starts)


def throughput(
    workers: int, processes: bool, posts: int, latency: float, queue_url: str | None
) -> tuple[float, float]:
    """Seconds from the worker's start until every post is on every target, and from the first
    job's start (the process start-up left out)."""
    empty_server(queue_url)
    with tempfile.TemporaryDirectory() as folder, running(latency=latency) as server:
        home = Path(folder)
        config = home / "config.toml"
        config.write_text(config_text(server.url))
        env = environment(home, queue_url)
        seed(server, posts)
        queued = subprocess.run(
            [sys.executable, "-m", "crosspost", "sync", "--config", str(config), "--queue"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert f"{len(TARGETS)} jobs queued" in queued.stdout, queued.stdout
        common = ["worker", "--config", str(config), "--poll", "0.2"]
        started = time.perf_counter()
        if processes:
            one = [*common, "--workers", "1"]
            procs = [crosspost(one, env, home / f"w{n}.log") for n in range(workers)]
        else:
            procs = [crosspost([*common, "--workers", str(workers)], env, home / "w.log")]
        want = len(TARGETS) * posts
        try:
            while sum(published(server).values()) < want:
                if time.perf_counter() - started > 600:
                    raise SystemExit("the workers did not finish in 10 minutes")
                time.sleep(0.02)
            elapsed, done = time.perf_counter() - started, time.time()
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGINT)
            for proc in procs:
                proc.wait(timeout=30)
        counts = published(server)
        assert len(counts) == want, f"{len(counts)} distinct posts of {want}"
        assert set(counts.values()) == {1}, "a post was published twice"
        return elapsed, done - first_job_start(home)


def idle(posts: int, latency: float, queue_url: str | None) -> tuple[float, float, float, float]:
    """(seconds per idle job without latency, requests per idle job, seconds per idle job with
    the latency, seconds per look at an empty queue)."""
    empty_server(queue_url)
    with tempfile.TemporaryDirectory() as folder, running() as server:
        home = Path(folder)
        config = home / "config.toml"
        config.write_text(config_text(server.url))
        saved = dict(os.environ)
        env = environment(home, queue_url)
        os.environ.update({k: v for k, v in env.items() if k.startswith("CROSS")})
        try:
            seed(server, posts)
            settings = Settings(config, home / "state.sqlite3", queue_url=queue_url)
            jobs = [Job(RULE, target) for target in TARGETS]
            for job in jobs:  # everything mirrored: what follows is all idle
                run_job(settings, job)
            assert sum(published(server).values()) == len(TARGETS) * posts
            rounds = 10
            before = len(server.state.log)
            start = time.perf_counter()
            for _ in range(rounds):
                for job in jobs:
                    assert run_job(settings, job) is None
            local = (time.perf_counter() - start) / (rounds * len(jobs))
            requests = (len(server.state.log) - before) / (rounds * len(jobs))
            server.latency = latency
            start = time.perf_counter()
            for job in jobs:
                run_job(settings, job)
            far = (time.perf_counter() - start) / len(jobs)
            queue = Queue(settings)
            queue.huey.storage.blocking = False  # Redis: RPOP, the look BRPOP waits in
            start = time.perf_counter()
            for _ in range(200):
                assert queue.huey.dequeue() is None
            empty = (time.perf_counter() - start) / 200
            assert sum(published(server).values()) == len(TARGETS) * posts
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return local, requests, far, empty


def enqueue_cost(queue_url: str | None, count: int = 2000) -> tuple[float, float, float]:
    """(seconds to queue `count` jobs, to queue them again (all waiting: none queued), to ask
    whether one job is already scheduled among `count` scheduled for one reset)."""
    empty_server(queue_url)
    with tempfile.TemporaryDirectory() as folder:
        queue = Queue(Settings(None, Path(folder) / "state.sqlite3", queue_url=queue_url))
        jobs = [Job(f"rule {n % 2}", f"account{n}", f"user{n // 2}") for n in range(count)]
        start = time.perf_counter()
        assert len(queue.enqueue(jobs)) == count
        first = time.perf_counter() - start
        start = time.perf_counter()
        assert queue.enqueue(jobs) == []
        again = time.perf_counter() - start
        reset = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
        for job in jobs:
            task = queue.task.s(job.rule, job.target, job.user)
            task.eta = reset
            queue.huey.add_schedule(task)
        start = time.perf_counter()
        assert queue._scheduled_by(jobs[-1], reset.replace(tzinfo=UTC).timestamp())
        check = time.perf_counter() - start
    empty_server(queue_url)
    return first, again, check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=30, help="posts per target")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per answer")
    parser.add_argument(
        "--queue-url",
        default=os.environ.get("CROSSPOST_QUEUE_URL"),
        help="run on this Redis server (its database is emptied first); default: SQLite files",
    )
    args = parser.parse_args()
    total = len(TARGETS) * args.posts
    where = f"Redis {args.queue_url}" if args.queue_url else "SQLite files"
    print(
        f"{len(TARGETS)} jobs, {total} posts, {args.latency * 1000:.0f} ms per answer, "
        f"queue on {where}; wall time (with the start-up), then from the first job's start, "
        "and the speed-up over one worker"
    )
    for processes in (False, True):
        alone = 0.0
        for workers in (1, 2, 4):
            wall, run = throughput(workers, processes, args.posts, args.latency, args.queue_url)
            alone = alone or run
            how = (
                f"{workers} x 1 thread (processes)"
                if processes
                else f"{workers} thread{'s' * (workers > 1)} (1 process)"
            )
            print(
                f"  {how:<28} {wall:6.2f} s  {run:6.2f} s  {total / run:6.1f} posts/s  "
                f"x{alone / run:.2f}"
            )
    local, requests, far, empty = idle(args.posts, args.latency, args.queue_url)
    print(
        f"idle job (an account with nothing new): {local * 1000:.1f} ms, {requests:.1f} requests; "
        f"{far * 1000:.1f} ms at {args.latency * 1000:.0f} ms per answer"
    )
    print(f"a look at the empty queue: {empty * 1000:.2f} ms (one per poll, for all accounts)")
    first, again, check = enqueue_cost(args.queue_url)
    print(
        f"2,000 jobs queued in {first:.2f} s, queued again (all waiting) in {again * 1000:.0f} ms; "
        f"one job's check among 2,000 scheduled: {check * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
