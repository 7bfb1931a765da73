"""`crosspost sync --queue` and `crosspost worker` end to end: real worker processes on the real
SqliteHuey queue, against the loopback Tumblr server and mastodon-mock, killed with SIGKILL
mid-run and restarted; every selected post ends up exactly once on every target (counted at the
servers), no two workers ever held one job key at once (from the times the workers logged), and
a rate-limited job waits for its reset, unsent."""

from __future__ import annotations

import itertools
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crosspost.accounts import Account
from crosspost.model import Platform
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.worker.budgets import BudgetKey, SqliteBudgets
from crosspost.worker.files import worker_file
from crosspost.worker.locks import Job
from crosspost.worker.queue import Queue
from crosspost.worker.settings import Settings
from tests.backup_world import cli_env
from tests.cli_helpers import run_cli
from tests.fixtures import PROJECT_ROOT
from tests.mastodon_server import BASE_URL, TOKEN, MockMastodon, mastodon_server
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

__all__ = ["mastodon_server"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

SEED = int(os.environ.get("KILL_SEED", "19"))
KILLS = int(os.environ.get("WORKER_KILLS", "4"))

CONFIG = """
[accounts.art]
platform = "tumblr"
blog = "art"
service = "{tumblr}"

[accounts.echo]
platform = "tumblr"
blog = "echo"
service = "{tumblr}"

[accounts.masto]
platform = "mastodon"
handle = "alice@localhost.test"
service = "{mastodon}"

[[sync]]
name = "both"
from = "art"
to = ["masto", "echo"]
include_tags = ["crosspost"]

[[sync]]
name = "notes"
from = "art"
to = "masto"
include_tags = ["notes"]
"""


@pytest.fixture
def tumblr() -> Iterator[TumblrServer]:
    with running(latency=0.01) as live:  # slow enough that kills land mid-run
        yield live


@pytest.fixture
def setup(
    tumblr: TumblrServer,
    mastodon_server: MockMastodon,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(tumblr=tumblr.url, mastodon=BASE_URL))
    secret = ":".join((*CONSUMER, *USER))
    monkeypatch.setenv("CROSSPOST_SECRET_ART", secret)
    monkeypatch.setenv("CROSSPOST_SECRET_ECHO", secret)
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    monkeypatch.setenv("CROSSPOST_STATE", str(tmp_path / "state.sqlite3"))
    return config


def add_posts(tumblr: TumblrServer, tag: str, count: int, start: int, label: str = "") -> list[str]:
    texts = [f"{label or tag} post {n}" for n in range(count)]
    for n, text in enumerate(texts):
        tumblr.state.add(
            "art",
            {
                "timestamp": start + n * 60,
                "content": [{"type": "text", "text": text}],
                "tags": [tag],
            },
        )
    return texts


def masto_texts() -> list[str]:
    client = MastodonClient(
        Account("m", Platform.MASTODON, "alice@localhost.test", BASE_URL), TOKEN
    )
    texts: dict[str, str] = {}  # by status id: a page boundary may repeat a status
    cursor: str | None = None
    while True:
        page = client.fetch_page(cursor)
        texts.update((post.ref.id, post.text.text) for post in page.posts)
        if page.cursor is None or not page.posts:
            return list(texts.values())
        cursor = page.cursor


def echo_texts(tumblr: TumblrServer) -> list[str]:
    return [
        " ".join(block.get("text", "") for block in post.get("content", []))
        for post in tumblr.state.posts.get("echo", [])
    ]


def count_of(texts: list[str], wanted: list[str]) -> Counter[str]:
    """How many posts on a target start with each wanted text (mirrors carry a link back)."""
    return Counter(
        w
        for text in texts
        for w in wanted
        if text.startswith(w)
        and not text.startswith(w + "0")
        and not re.match(re.escape(w) + r"\d", text)
    )


class Worker:
    def __init__(self, config: Path, home: Path, name: str) -> None:
        self.log = home / f"{name}.log"
        env = cli_env(home, {})
        env.update({k: v for k, v in os.environ.items() if k.startswith("CROSSPOST_")})
        args = ["worker", "--config", str(config), "--workers", "2", "--poll", "0.2"]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crosspost", *args, "--sweep-every", "0.5"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        with self.log.open("a") as log:  # what it held, it held until now
            log.write(f"killed at {time.time():.6f}\n")

    def publishing(self) -> bool:
        """Whether a job of this worker holds its lock and has published since it took it."""
        held: dict[str, bool] = {}  # job key -> published since it took the lock
        for line in self.log.read_text().splitlines() if self.log.exists() else ():
            if match := re.search(r"job start (.+?) at ", line):
                held[match.group(1)] = False
            elif match := re.search(r"job end (.+?) at ", line):
                held.pop(match.group(1), None)
            elif match := re.search(r"by job (.+?) \(pid", line):
                held[match.group(1)] = True
        return any(held.values())

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def lock_intervals(logs: list[Path]) -> dict[str, list[tuple[float, float, str]]]:
    """Per job key, (start, end, log) of each time a worker process (one log each) held its
    lock; a run a kill cut short lasts until the kill."""
    pattern = re.compile(r"job (start|end) (.+?) at (\d+\.\d+)")
    found: dict[str, list[tuple[float, float, str]]] = {}
    for log in logs:
        open_at: dict[str, list[float]] = {}
        text = log.read_text()
        killed = re.search(r"^killed at (\d+\.\d+)$", text, re.MULTILINE)
        for line in text.splitlines():
            match = pattern.search(line)
            if match is None:
                continue
            event, key, when = match.group(1), match.group(2), float(match.group(3))
            if event == "start":
                open_at.setdefault(key, []).append(when)
            elif open_at.get(key):
                found.setdefault(key, []).append((open_at[key].pop(0), when, log.name))
        for key, starts in open_at.items():
            end = float(killed.group(1)) if killed else float("inf")
            found[key] = found.get(key, []) + [(s, end, log.name) for s in starts]
    return found


def publishes(logs: list[Path]) -> list[tuple[str, str]]:
    """(target, job key) of every post the workers logged they published."""
    pattern = re.compile(r"published \S+ on (\S+) by job (.+?) \(pid")
    return [
        (match.group(1), match.group(2))
        for log in logs
        for match in pattern.finditer(log.read_text())
    ]


def wait_for(done: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(done) and done():
            return True
        time.sleep(0.2)
    return False


def kill_while_publishing(
    workers: list[Worker], spawn: Callable[[], Worker], rng: random.Random, times: int
) -> tuple[int, int]:
    """SIGKILL a worker `times` times, each while one of its jobs is publishing (a random one if
    none is soon), and start another in its place; (kills, kills that landed mid-publish)."""
    kills = mid_publish = 0
    for _ in range(times):
        busy = wait_for(lambda: any(w.publishing() for w in workers), 5)
        time.sleep(rng.uniform(0.0, 0.05))
        publishing = [n for n, w in enumerate(workers) if w.publishing()]
        victim = rng.choice(publishing) if publishing else rng.randrange(len(workers))
        mid_publish += bool(busy and publishing)
        workers[victim].kill()
        kills += 1
        workers[victim] = spawn()
    return kills, mid_publish


def finish_then_queue_late(
    setup: Path, tumblr: TumblrServer, both: list[str], notes: list[str], timeout: float
) -> list[str]:
    """Wait until the queued jobs have posted everything, then queue new work (which goes
    through the same workers, and nothing twice); the late posts."""
    expected_masto = both + notes

    def finished() -> bool:
        return sum(count_of(masto_texts(), expected_masto).values()) >= len(expected_masto) and sum(
            count_of(echo_texts(tumblr), both).values()
        ) >= len(both)

    assert wait_for(finished, timeout), "the workers did not finish the queued jobs"
    late = add_posts(tumblr, "crosspost", 2, 1700300000, "late")
    assert run_cli("sync", "--config", str(setup), "--queue").code == 0
    assert wait_for(lambda: sum(count_of(echo_texts(tumblr), late).values()) >= 2, 60)
    time.sleep(1.0)  # anything a duplicate would post has had time to show
    return late


def test_killed_workers_leave_every_post_once_on_every_target(
    setup: Path, tumblr: TumblrServer, tmp_path: Path
) -> None:
    both = add_posts(tumblr, "crosspost", 24, 1700000000)
    notes = add_posts(tumblr, "notes", 10, 1700100000)
    add_posts(tumblr, "private", 3, 1700200000)  # selected by no rule
    queued = run_cli("sync", "--config", str(setup), "--queue")
    assert queued.code == 0, queued.out + queued.err
    assert "3 jobs queued" in queued.out
    again = run_cli("sync", "--config", str(setup), "--queue")
    assert "0 jobs queued" in again.out
    assert "3 already waiting" in again.out

    rng = random.Random(SEED)
    runs = itertools.count()  # one log per worker process
    workers = [Worker(setup, tmp_path, f"w{next(runs)}") for _ in range(2)]
    try:
        kills, mid_publish = kill_while_publishing(
            workers, lambda: Worker(setup, tmp_path, f"w{next(runs)}"), rng, KILLS
        )
        late = finish_then_queue_late(setup, tumblr, both, notes, 90)
    finally:
        for worker in workers:
            worker.stop()

    masto, echo = masto_texts(), echo_texts(tumblr)
    assert count_of(masto, both + notes + late) == Counter(both + notes + late)
    assert count_of(echo, both + late) == Counter(both + late)
    assert not [t for t in masto + echo if t.startswith(("private", "notes")) and t in echo]
    assert len(masto) == len(both + notes + late)
    assert len(echo) == len(both + late)
    assert kills == KILLS
    assert mid_publish >= KILLS // 2, f"only {mid_publish} kills landed while a job published"

    logs = sorted(tmp_path.glob("w*.log"))
    published = publishes(logs)
    assert {target for target, _ in published} == {"masto", "echo"}
    # Each job posts to its own target only (a job of the rule's other target once published
    # the same due entries as this one, side by side: posts twice).
    assert all(job.endswith(f" -> {target}") for target, job in published), published
    intervals = lock_intervals(logs)
    assert set(intervals) >= {"both -> masto", "both -> echo", "notes -> masto"}
    for key, held in intervals.items():
        held.sort()
        for (_, end, log), (start, _, other) in itertools.pairwise(held):
            assert end <= start, f"{key} held by {log} and {other} at once"

    status = run_cli("status", "--config", str(setup))
    assert status.code == 0, status.err
    assert f"masto: {len(both) + len(late)} published, 0 to publish" in status.out
    assert f"echo: {len(both) + len(late)} published, 0 to publish" in status.out
    assert f"masto: {len(notes)} published, 0 to publish" in status.out


def test_a_rate_limited_job_waits_for_its_reset_and_the_budget_stops_the_next(
    setup: Path, tumblr: TumblrServer, mastodon_server: MockMastodon, tmp_path: Path
) -> None:
    add_posts(tumblr, "crosspost", 2, 1700000000)
    add_posts(tumblr, "notes", 1, 1700100000)
    mastodon_server.fault("/api/v1/statuses", status=429, count=1, headers={"Retry-After": "3600"})
    queue = Queue(Settings(setup, tmp_path / "state.sqlite3"))
    queue.enqueue([Job("both", "masto"), Job("notes", "masto")])
    before = time.time()
    for _ in range(2):
        task = queue.huey.dequeue()
        assert task is not None
        queue.huey.execute(task)
    assert queue.huey.pending_count() == 0
    scheduled = queue.huey.scheduled()
    assert sorted(tuple(t.args) for t in scheduled) == [
        ("both", "masto", ""),
        ("notes", "masto", ""),
    ]
    for task in scheduled:  # rescheduled to the reset the server named, not retried hot
        eta = (
            task.eta.timestamp()
            if task.eta.tzinfo
            else task.eta.replace(tzinfo=__import__("datetime").UTC).timestamp()
        )
        assert before + 3500 < eta < time.time() + 3700
    # The fault answered once: the second job was stopped by the shared budget, unsent.
    assert masto_texts() == []
    budgets = SqliteBudgets(worker_file(tmp_path / "state.sqlite3"))
    try:
        rows = {key: (left, reset) for key, left, reset, _ in budgets.budgets()}
    finally:
        budgets.close()
    remaining, reset = rows[BudgetKey("mastodon", "account", "masto")]
    assert remaining == 0
    assert reset is not None
    assert reset > before + 3500
