"""Injected faults over real HTTP, on the Tumblr-shaped loopback server and on mastodon-mock:
429s, 500/502/503, timeouts, dropped connections, media bodies cut short, malformed JSON. The
run completes, or stops with a clear message and resumes; no partial or corrupt file is left."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from crosspost import clients
from crosspost.accounts import Account
from crosspost.backup.runner import BackupOptions, BackupResult, run_backup
from crosspost.backup.store import BackupStore
from crosspost.backup.verify import verify_backup
from crosspost.errors import PlatformError
from crosspost.model import Media, MediaKind, Platform, RichText
from crosspost.platforms.base import Draft, RetryPolicy
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.http import OAuthKeys, TumblrHttp
from tests.backup_faults import Faults
from tests.backup_mastodon import TOKEN, Mock, mastodon_mock
from tests.backup_world import BLOG, fill_tumblr, leftovers, png, snapshot
from tests.cli_helpers import run_cli
from tests.tumblr_server import CONSUMER, TumblrServer, running

__all__ = ["mastodon_mock"]
POSTS, IMAGES = 120, 12  # three pages of 50


# --- Tumblr-shaped server ------------------------------------------------------------------------


@pytest.fixture
def tumblr() -> Iterator[tuple[TumblrServer, Faults]]:
    with running() as server:
        server.state.hour_remaining = 10**9
        fill_tumblr(server, POSTS, IMAGES)
        faults = Faults()
        server.intercept = faults
        try:
            yield server, faults
        finally:
            faults.release.set()  # a stalled answer ends with the test


@pytest.fixture
def reference(tumblr: tuple[TumblrServer, Faults], tmp_path: Path) -> dict[str, bytes]:
    server, _ = tumblr
    backup_tumblr(server, tmp_path / "reference", [])
    return snapshot(tmp_path / "reference")


def backup_tumblr(server: TumblrServer, root: Path, sleeps: list[float]) -> BackupResult:
    keys = OAuthKeys(CONSUMER[0])
    # A short timeout so a stalled answer costs about a second (short enough for the suite, long
    # enough that a loaded machine answering slowly is not taken for a stall); sleeping is recorded.
    http = TumblrHttp(
        keys, base_url=server.url, retry=RetryPolicy(sleep=sleeps.append), timeout=1.0
    )
    client = TumblrClient(Account(BLOG, Platform.TUMBLR, BLOG, service=server.url), keys, http=http)
    return run_backup(client, BackupStore(root), BackupOptions())


def assert_clean(root: Path) -> None:
    assert leftovers(root) == []
    report = verify_backup(root)
    assert report.problems == []


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "stall", "drop"])
def test_a_transient_fault_on_a_page_is_retried(
    tumblr: tuple[TumblrServer, Faults], reference: dict[str, bytes], tmp_path: Path, kind: str
) -> None:
    server, faults = tumblr
    faults.add("/posts", kind, times=2, skip=1)  # the second page, twice
    sleeps: list[float] = []
    result = backup_tumblr(server, tmp_path / "out", sleeps)
    assert result.complete, result.stopped
    assert len(faults.fired) == 2
    assert sleeps == ([7.0, 7.0] if kind == "429" else [1.0, 2.0])  # Retry-After, else backoff
    assert snapshot(tmp_path / "out") == reference
    assert_clean(tmp_path / "out")


@pytest.mark.parametrize("kind", ["cut", "stall", "drop", "500", "503"])
def test_a_failed_media_download_leaves_no_file_and_the_next_run_gets_it(
    tumblr: tuple[TumblrServer, Faults], reference: dict[str, bytes], tmp_path: Path, kind: str
) -> None:
    server, faults = tumblr
    faults.add("/media/", kind, times=3)
    out = tmp_path / "out"
    result = backup_tumblr(server, out, [])
    assert result.complete
    assert result.counts["media_missing"] == 3
    # Nothing half-written among them; the blog's avatar (read after the posts) is there too.
    assert len(list(out.rglob("*.png"))) == IMAGES - 3 + 1
    assert_clean(out)
    manifest = json.loads((out / "tumblr" / BLOG / "manifest.json").read_text())
    reasons = [m["reason"] for ms in manifest["missing_media"].values() for m in ms]
    assert len(reasons) == 3
    assert not any(m["gone"] for ms in manifest["missing_media"].values() for m in ms)
    again = backup_tumblr(server, out, [])
    assert again.counts["media_missing"] == 0
    assert snapshot(out) == reference
    assert_clean(out)


def test_errors_that_outlast_the_retries_stop_the_run_and_it_resumes(
    tumblr: tuple[TumblrServer, Faults], reference: dict[str, bytes], tmp_path: Path
) -> None:
    server, faults = tumblr
    faults.add("/posts", "503", times=4, skip=2)  # the third page, every attempt
    out = tmp_path / "out"
    with pytest.raises(PlatformError, match="Tumblr answered HTTP 503, 4 times in a row"):
        backup_tumblr(server, out, [])
    saved = [p for p in out.rglob("*.json") if "/posts/" in str(p)]
    assert len(saved) == 100  # the two pages before it (50 + 50, by offset) are saved
    assert_clean(out)
    resumed = backup_tumblr(server, out, [])
    assert resumed.resumed
    assert resumed.complete
    assert snapshot(out) == reference
    assert_clean(out)


def test_malformed_json_on_a_page_never_passes_for_the_end_of_the_blog(
    tumblr: tuple[TumblrServer, Faults], reference: dict[str, bytes], tmp_path: Path
) -> None:
    server, faults = tumblr
    faults.add("/posts", "garbage", skip=1)
    out = tmp_path / "out"
    try:
        result = backup_tumblr(server, out, [])
    except PlatformError:
        result = backup_tumblr(server, out, [])
    assert result.complete
    assert snapshot(out) == reference


# --- mastodon-mock -------------------------------------------------------------------------------

STATUSES = 50  # two pages of 40
STATUSES_PATH = r"/api/v1/accounts/[^/]+/statuses"


@pytest.fixture
def masto(mastodon_mock: Mock) -> Account:
    account = Account(
        "masto", Platform.MASTODON, mastodon_mock.identity, service=mastodon_mock.base_url
    )
    writer = MastodonClient(
        account, TOKEN, retry=RetryPolicy(sleep=lambda s: None), media_source=lambda m: png(9)
    )
    for number in range(STATUSES):
        media = (Media(MediaKind.IMAGE, mime="image/png", alt="x"),) if number % 10 == 9 else ()
        writer.publish(Draft(RichText(f"status {number}"), f"k{number}", media=media))
    return account


def backup_masto(account: Account, root: Path, sleeps: list[float]) -> BackupResult:
    client = MastodonClient(account, TOKEN, retry=RetryPolicy(sleep=sleeps.append))
    return run_backup(client, BackupStore(root), BackupOptions())


@pytest.mark.parametrize(
    ("effect", "waits"),
    [
        ({"type": "ratelimit", "status": 429, "headers": {"Retry-After": "30"}}, [30.0]),
        ({"type": "status", "status": 500}, [1.0]),
        ({"type": "status", "status": 502}, [1.0]),
        ({"type": "status", "status": 503}, [1.0]),
        ({"type": "malformed"}, [1.0]),  # a 200 whose JSON is cut short: asked again
    ],
)
def test_mastodon_transient_faults_are_waited_out(
    mastodon_mock: Mock,
    masto: Account,
    tmp_path: Path,
    effect: dict[str, object],
    waits: list[float],
) -> None:
    mastodon_mock.fault(effect, path_regex=STATUSES_PATH)
    sleeps: list[float] = []
    result = backup_masto(masto, tmp_path / "out", sleeps)
    assert result.complete
    assert (result.counts["new"], result.counts["media_downloaded"]) == (STATUSES, 5)
    assert sleeps == waits
    assert_clean(tmp_path / "out")


def test_mastodon_media_faults_are_retried_by_the_next_run(
    mastodon_mock: Mock, masto: Account, tmp_path: Path
) -> None:
    mastodon_mock.fault({"type": "status", "status": 404}, path_regex=r"^/media/", count=1)
    mastodon_mock.fault({"type": "status", "status": 503}, path_regex=r"^/media/", count=8)
    out = tmp_path / "out"
    result = backup_masto(masto, out, [])
    assert result.complete
    assert result.counts["media_missing"] >= 2
    assert_clean(out)
    manifest = json.loads(next(out.rglob("manifest.json")).read_text())
    gone = [m for ms in manifest["missing_media"].values() for m in ms if m["gone"]]
    assert len(gone) == 1  # the 404: not asked for again, except by --full
    mastodon_mock.clear_faults()
    again = backup_masto(masto, out, [])
    assert again.counts["media_missing"] == 1
    full = run_backup(MastodonClient(masto, TOKEN), BackupStore(out), BackupOptions(full=True))
    assert full.counts["media_missing"] == 0
    assert len(list(out.rglob("*.png"))) == 1  # five statuses, one picture: stored once
    assert_clean(out)


def test_mastodon_malformed_json_stops_with_a_clear_message_and_resumes(
    mastodon_mock: Mock, masto: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.masto]\nplatform = "mastodon"\nhandle = "alice@mock.test"\n'
        f'service = "{mastodon_mock.base_url}"\n'
    )
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    slept: list[float] = []
    monkeypatch.setattr(clients, "RetryPolicy", lambda: RetryPolicy(sleep=slept.append))
    out = tmp_path / "out"
    args = ("backup", "masto", "-c", str(config), "-d", str(out), "-q", "--json")
    # The second page of statuses answers 200 with a body cut in the middle of its JSON, on
    # every attempt (a latency rule of no delay lets the first through: the first matching
    # rule fires).
    mastodon_mock.fault({"type": "latency"}, path_regex=STATUSES_PATH, count=1)
    mastodon_mock.fault({"type": "malformed"}, path_regex=STATUSES_PATH, count=4)
    stopped = run_cli(*args)
    assert stopped.code == 5, stopped.err
    assert "Traceback" not in stopped.err
    (line,) = stopped.err.strip().splitlines()
    assert line.startswith("error: read statuses: the server's answer was not JSON, 4 times")
    assert slept == [1.0, 2.0, 4.0]
    posts = out / "mastodon" / "alice=40mock.test" / "posts"
    assert len(list(posts.glob("*.json"))) == 40  # the first page is saved
    assert_clean(out)
    resumed = run_cli(*args)
    assert resumed.code == 0, resumed.err
    summary = json.loads(resumed.out)
    assert (summary["resumed"], summary["complete"]) == (True, True)
    assert len(list(posts.glob("*.json"))) == STATUSES
    assert_clean(out)
