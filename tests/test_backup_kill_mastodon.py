"""SIGKILL a real `crosspost backup` of a Mastodon-shaped account mid-listing, change the account
before every rerun (statuses deleted on pages already saved, the one the checkpoint's cursor
names, ones on pages not read yet; new ones posted), and resume: in the end every status still on
the server is saved exactly once, the manifest says complete only once it is, `verify` is clean,
and later incremental and full runs fill in exactly what changed. The account's statuses_count
shrinks and grows under the listing; nothing may end it but an empty page.

Statuses are written into mastodon-mock's database directly (posting 400 through the API takes
20 s); deletes go through the API, as a user's would. Like tests/test_backup_kill.py this waits
on the clock: it has to let a real process run."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.backup_mastodon import TOKEN, Mock, serving
from tests.backup_world import cli_env, crosspost, leftovers, run

POSTS = 240  # six pages of 40
PAGED_KILLS = (2, 4)  # pages the listing has checkpointed when a kill lands (chain one)
RANDOM_KILLS = 4  # kills at seeded random times, in the second chain
LATENCY_MS = 60  # each list call, so a kill can land between two pages
ACCOUNT = "masto"


@dataclass
class Server:
    """mastodon-mock with its database at hand: the account's statuses as rows."""

    mock: Mock
    sessions: Callable[[], Any]
    account_id: int
    races: list[int]  # list calls still to answer before the one a deletion races (one each)
    start: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))
    added: int = 0

    def add(self, count: int) -> list[str]:
        """`count` new statuses, newest last (ids grow with time, as Mastodon's do)."""
        from mastodon_mock.db.models import Status

        made = []
        with self.sessions() as db:
            for _ in range(count):
                self.added += 1
                at = self.start + timedelta(minutes=self.added)
                text = f"status {self.added}"
                status = Status(
                    account_id=self.account_id, text=text, content=f"<p>{text}</p>",
                    visibility="public", created_at=at.replace(tzinfo=None), edit_history=[],
                )  # fmt: skip
                db.add(status)
                db.flush()
                made.append(str(status.id))
            db.commit()
        return made

    def delete(self, ids: list[str]) -> None:
        for status_id in ids:
            response = requests.delete(
                f"{self.mock.base_url}/api/v1/statuses/{status_id}",
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=10,
            )
            response.raise_for_status()

    def ids(self) -> list[str]:
        """The account's statuses, newest first."""
        from mastodon_mock.db.models import Status
        from sqlalchemy import select

        with self.sessions() as db:
            query = select(Status.id).where(Status.account_id == self.account_id)
            return [str(i) for i in db.scalars(query.order_by(Status.id.desc())).all()]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    import mastodon_mock.app as mock_app
    from mastodon_mock.db.models import Account
    from sqlalchemy import select

    made: list[Any] = []
    races: list[int] = []
    original = mock_app.create_app

    def keep(config: Any) -> Any:
        made.append(original(config))
        made[-1].middleware("http")(_racing(races, made[-1].state.session_factory))
        return made[-1]

    monkeypatch.setattr(mock_app, "create_app", keep)
    with serving(tmp_path / "mastodon-media") as mock:
        sessions = made[0].state.session_factory
        with sessions() as db:
            alice = db.scalar(select(Account).where(Account.username == "alice"))
            account_id = int(alice.id)
        yield Server(mock, sessions, account_id, races)


def _racing(races: list[int], sessions: Callable[[], Any]) -> Callable[..., Any]:
    """Mastodon (up to 4.2) answering a page while one of its statuses is deleted: it queries
    the page's ids, then loads those statuses (`cache_collection`), and one deleted in between is
    missing from the answer; the page is then shorter than the limit, so `records_continue?` is
    false and the Link header names no next page, though older statuses remain."""
    from mastodon_mock.db.models import Status
    from starlette.responses import Response

    async def middleware(request: Any, call_next: Callable[[Any], Any]) -> Any:
        response = await call_next(request)
        listing = request.method == "GET" and request.url.path.endswith("/statuses")
        if not listing or "/accounts/" not in request.url.path or not races:
            return response
        if races[0] > 0:
            races[0] -= 1
            return response
        races.pop(0)
        body = b"".join([chunk async for chunk in response.body_iterator])
        statuses = json.loads(body)
        dropped = statuses.pop(len(statuses) // 2)
        with sessions() as db:
            db.delete(db.get(Status, int(dropped["id"])))
            db.commit()
        headers = dict(response.headers)
        links = [part for part in headers.pop("link", "").split(", ") if 'rel="next"' not in part]
        headers.pop("content-length", None)
        if links and links != [""]:
            headers["link"] = ", ".join(links)
        return Response(json.dumps(statuses), response.status_code, headers)

    return middleware


def config_file(folder: Path, base_url: str) -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'[accounts.{ACCOUNT}]\nplatform = "mastodon"\nhandle = "alice@mock.test"\n'
        f'service = "{base_url}"\n'
    )
    return path


@dataclass
class Backup:
    folder: Path
    config: Path
    env: dict[str, str]

    def args(self, *extra: str) -> list[str]:
        return crosspost(
            "backup", ACCOUNT, "-c", str(self.config), "-d", str(self.folder), "-q", "--json",
            *extra,
        )  # fmt: skip

    @property
    def account_folder(self) -> Path:
        return next(self.folder.glob("mastodon/*/manifest.json")).parent

    def manifest(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.account_folder / "manifest.json").read_text()))
        except (OSError, ValueError, StopIteration):
            return {}

    def pages(self) -> int:
        return int((self.manifest().get("run") or {}).get("pages", 0))

    def saved(self) -> Counter[str]:
        """Saved post files by the id each one holds (a count above 1 is a duplicate)."""
        if not self.folder.exists() or not list(self.folder.glob("mastodon/*/posts")):
            return Counter()
        posts = self.account_folder / "posts"
        return Counter(json.loads(p.read_text())["post"]["ref"]["id"] for p in posts.glob("*.json"))

    def finish(self, *extra: str) -> dict[str, Any]:
        done = run(self.args(*extra), self.env)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    def verify(self) -> dict[str, Any]:
        checked = run(crosspost("verify", str(self.folder), "--json", "-q"), self.env)
        report = dict(json.loads(checked.stdout))
        assert checked.returncode == 0, report
        return report


@dataclass
class Figures:
    kills: int = 0
    deleted_read: int = 0  # deleted from pages already saved (the cursor's status among them)
    deleted_unread: int = 0
    added: int = 0
    chains: list[tuple[int, int]] = field(default_factory=list)  # (saved, on the server)

    def chain_done(self, server: Server, backup: Backup) -> None:
        expected = set(server.ids())
        self.chains.append((len(expected & set(backup.saved())), len(expected)))


def kill_after_pages(backup: Backup, pages: int) -> bool:
    """Start a backup and SIGKILL it once its listing has checkpointed `pages` pages; False
    when it finished first."""
    process = subprocess.Popen(backup.args(), env=backup.env, stdout=subprocess.DEVNULL)
    while process.poll() is None and backup.pages() < pages:
        time.sleep(0.01)  # watching a real process
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def change_account(server: Server, backup: Backup, rng: random.Random, figures: Figures) -> None:
    """While the backup is down: delete statuses it saved (the newest, the one its cursor
    names, one at random), statuses below the cursor it has not read, and post new ones."""
    saved = set(backup.saved())
    on_server = server.ids()
    cursor = (backup.manifest().get("run") or {}).get("cursor")
    read = [i for i in on_server if i in saved]
    unread = [i for i in on_server if cursor is not None and int(i) < int(cursor)]
    gone = set(read[:1] + rng.sample(read, min(2, len(read))))
    if cursor in on_server:
        gone.add(cursor)
    figures.deleted_read += len(gone)
    below = unread[:1] + rng.sample(unread, min(2, len(unread)))
    figures.deleted_unread += len(set(below) - gone)
    server.delete(sorted(gone | set(below)))
    figures.added += len(server.add(rng.randint(1, 45)))


def complete_only_when_so(server: Server, backup: Backup) -> None:
    """A manifest that says complete has every status the server holds (it changes only while
    no backup runs)."""
    if backup.manifest().get("complete"):
        missing = set(server.ids()) - set(backup.saved())
        assert not missing, f"complete, but {len(missing)} statuses are not saved"


def check_complete(server: Server, backup: Backup) -> None:
    saved = backup.saved()
    expected = set(server.ids())
    missing = expected - set(saved)
    duplicates = {i: n for i, n in saved.items() if n > 1}
    assert not missing, f"{len(missing)} of {len(expected)} statuses never saved"
    assert not duplicates, f"saved more than once: {duplicates}"
    manifest = backup.manifest()
    assert manifest["complete"] is True
    assert manifest["run"] is None
    assert leftovers(backup.folder) == []
    report = backup.verify()
    assert report["problems"] == []
    assert report["notes"] == []
    (count,) = report["counts"]  # statuses_count, shrunk by the deletes, as the last run saw it
    assert count["counted"] == len(expected)
    assert count["kept"] >= count["counted"]


def test_resumed_backups_of_a_changing_account_save_every_status_once(
    server: Server, tmp_path: Path
) -> None:
    rng = random.Random(20241203)
    server.add(POSTS)
    slow = {"type": "latency", "delay_ms": LATENCY_MS}
    server.mock.fault(slow, path_regex=r"/accounts/\d+/statuses", count=None)
    env = cli_env(tmp_path, {ACCOUNT: TOKEN})
    config = config_file(tmp_path, server.mock.base_url)
    figures = Figures()

    started = time.monotonic()
    reference = Backup(tmp_path / "reference", config, env)
    assert reference.finish()["new"] == POSTS
    whole = time.monotonic() - started
    started = time.monotonic()
    run(crosspost("--help"), env)
    startup = time.monotonic() - started

    # Chain one: kills after a known number of pages, the account changed before each rerun.
    first = Backup(tmp_path / "chain-pages", config, env)
    for pages in PAGED_KILLS:
        assert kill_after_pages(first, pages), f"the run ended before {pages} more pages"
        figures.kills += 1
        complete_only_when_so(server, first)
        change_account(server, first, rng, figures)
    first.finish()
    check_complete(server, first)
    figures.chain_done(server, first)

    # Chain two: kills at random times (listing, media, the pass over posts made meanwhile).
    second = Backup(tmp_path / "chain-random", config, env)
    for _ in range(RANDOM_KILLS):
        process = subprocess.Popen(second.args(), env=env, stdout=subprocess.DEVNULL)
        try:
            process.wait(timeout=rng.uniform(startup, whole * 1.2))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            figures.kills += 1
        complete_only_when_so(server, second)
        change_account(server, second, rng, figures)
    second.finish()
    check_complete(server, second)
    figures.chain_done(server, second)

    # Later runs: an incremental one saves the new statuses and nothing else; a full one marks
    # the saved statuses the server no longer has as deleted.
    server.delete(server.ids()[3:5])
    server.add(4)
    new = set(server.ids()) - set(first.saved())  # and what chain two posted
    again = first.finish()
    assert again["new"] == len(new)
    assert again.get("updated", 0) == again.get("deleted", 0) == 0
    check_complete(server, first)
    full = first.finish("--full")
    on_server = set(server.ids())
    gone = set(first.saved()) - on_server
    assert full["deleted"] == len(gone)
    check_complete(server, first)
    print(
        f"\nMastodon kills: {figures.kills}; deleted {figures.deleted_read} saved and "
        f"{figures.deleted_unread} unread statuses, added {figures.added}; saved (of those on "
        f"the server) {', '.join(f'{a}/{b}' for a, b in figures.chains)}, duplicates 0"
    )


def test_a_status_deleted_while_its_page_is_read_does_not_end_the_listing(
    server: Server, tmp_path: Path
) -> None:
    """The page comes short and without a next link; the listing goes on from its oldest status
    and ends on an empty page: before, the backup stopped after that page and said complete."""
    server.add(200)  # five pages
    server.races.append(1)  # the second page
    env = cli_env(tmp_path, {ACCOUNT: TOKEN})
    backup = Backup(tmp_path / "backup", config_file(tmp_path, server.mock.base_url), env)
    done = backup.finish()
    on_server = set(server.ids())
    assert len(on_server) == 199
    missing = on_server - set(backup.saved())
    assert not missing, f"{len(missing)} of {len(on_server)} statuses never saved"
    assert done["list_calls"] == 6  # five pages, then the empty one that ends the listing
    check_complete(server, backup)
    (count,) = backup.verify()["counts"]
    assert (count["kept"], count["counted"], count["exact"]) == (199, 199, False)
