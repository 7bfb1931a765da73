"""The platform's own count of posts: kept in the manifest at the end of a complete run, and
compared by `crosspost verify` with the posts kept. The bug it catches: a listing that stopped
short (a page that came without a cursor) and a backup that said complete all the same."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from crosspost.backup.manifest import load_manifest
from crosspost.backup.platform_count import UNDESCRIBED, PlatformCount
from crosspost.backup.runner import BackupOptions, run_backup
from crosspost.backup.store import BackupStore
from crosspost.backup.verify import verify_backup
from crosspost.errors import DataError
from crosspost.platforms.base import Page
from tests.cli_helpers import run_cli
from tests.fake_platform import START, FakePlatform

POSTS = 100


@dataclass(eq=False)
class CountingPlatform(FakePlatform):
    """Pages carry the account's count of posts; `stop_after` pages end the listing early, as a
    page that comes without its cursor does."""

    stop_after: int | None = None

    def fetch_page(self, cursor: str | None = None) -> Page:
        page = super().fetch_page(cursor)
        total = len(self._listing())
        last = (self.stop_after or 0) - 1
        ended = self.stop_after is not None and int(cursor or 0) >= last * self.page_size
        return Page(page.posts, None if ended else page.cursor, total)


@dataclass(eq=False)
class ExactPlatform(CountingPlatform):
    def post_count_caveat(self) -> str | None:
        return None  # it counts exactly the posts it lists


@dataclass(eq=False)
class ApproximatePlatform(CountingPlatform):
    def post_count_caveat(self) -> str | None:
        return "it counts reposts, which the listing leaves out"


def backup(root: Path, fake: FakePlatform, **options: object) -> None:
    result = run_backup(fake, BackupStore(root), BackupOptions(**options))  # type: ignore[arg-type]
    assert result.complete


def manifest_of(root: Path) -> dict[str, object]:
    return dict(json.loads(next(root.rglob("manifest.json")).read_text()))


def test_a_backup_that_stopped_short_but_said_complete_is_a_problem(tmp_path: Path) -> None:
    fake = ExactPlatform(stop_after=1)
    fake.add_many(POSTS)
    backup(tmp_path, fake)
    manifest = manifest_of(tmp_path)
    assert manifest["complete"] is True  # the bug's shape: 40 of 100 kept, and "complete"
    assert manifest["platform_count"] == {
        "posts": POSTS, "counted_at": manifest["platform_count"]["counted_at"],  # type: ignore[index]
        "exact": True, "caveat": None, "since": None,
    }  # fmt: skip
    report = verify_backup(tmp_path)
    where = str(next(tmp_path.rglob("manifest.json")).parent.relative_to(tmp_path))
    assert report.counts == [
        {"account": where, "kept": 40, "counted": POSTS, "exact": True,
         "counted_at": report.counts[0]["counted_at"]}
    ]  # fmt: skip
    (problem,) = report.problems
    assert "kept 40 of the 100 posts the platform counted: 60 missing" in problem
    assert "--full" in problem
    assert "fills a gap" in problem
    result = run_cli("verify", str(tmp_path))
    assert result.code == 7
    assert "kept 40 of the 100 posts the platform counted (its exact count, " in result.out

    fake.stop_after = None
    backup(tmp_path, fake, full=True)  # what the message says to run
    report = verify_backup(tmp_path)
    assert report.ok, report.problems
    assert report.counts[0]["kept"] == report.counts[0]["counted"] == POSTS


def test_an_approximate_count_makes_a_shortfall_a_note_that_says_why(tmp_path: Path) -> None:
    fake = ApproximatePlatform(stop_after=2)
    fake.add_many(POSTS)
    backup(tmp_path, fake)
    report = verify_backup(tmp_path)
    assert report.ok
    (note,) = report.notes
    assert "kept 80 of the 100 posts the platform counted, 20 fewer" in note
    assert "approximate (it counts reposts, which the listing leaves out)" in note
    result = run_cli("verify", str(tmp_path))
    assert result.code == 0
    assert "(an approximate count, " in result.out


def test_a_platform_that_does_not_describe_its_count_is_taken_as_approximate(
    tmp_path: Path,
) -> None:
    fake = CountingPlatform(stop_after=2)
    fake.add_many(POSTS)
    backup(tmp_path, fake)
    (note,) = verify_backup(tmp_path).notes
    assert UNDESCRIBED in note


def test_a_since_backup_says_where_it_begins(tmp_path: Path) -> None:
    fake = ExactPlatform()
    fake.add_many(POSTS)
    since = START + timedelta(hours=60)  # the newest 40 posts
    backup(tmp_path, fake, since=since)
    backup(tmp_path, fake)  # an incremental run after it still holds the recent posts only
    report = verify_backup(tmp_path)
    assert report.ok, report.problems
    (note,) = report.notes
    assert f"since {since.isoformat()[:10]} only" in note


def test_deleted_posts_are_not_counted_as_kept(tmp_path: Path) -> None:
    fake = ExactPlatform()
    fake.add_many(POSTS)
    backup(tmp_path, fake)
    for post_id in sorted(fake.posts)[:5]:
        del fake.posts[post_id]
    backup(tmp_path, fake, full=True)  # marks them deleted, keeps them
    report = verify_backup(tmp_path)
    assert report.ok
    assert report.notes == []
    assert report.posts == POSTS
    assert (report.counts[0]["kept"], report.counts[0]["counted"]) == (POSTS - 5, POSTS - 5)


def test_a_platform_without_a_count_records_none(tmp_path: Path) -> None:
    fake = FakePlatform()
    fake.add_many(3)
    backup(tmp_path, fake)
    assert manifest_of(tmp_path)["platform_count"] is None
    assert verify_backup(tmp_path).counts == []


def test_an_older_manifest_without_the_count_still_loads(tmp_path: Path) -> None:
    fake = ExactPlatform()
    fake.add_many(3)
    backup(tmp_path, fake)
    path = next(tmp_path.rglob("manifest.json"))
    data = json.loads(path.read_text())
    del data["platform_count"]
    path.write_text(json.dumps(data))
    account = BackupStore(tmp_path).accounts()[0]
    assert load_manifest(account).platform_count is None
    assert verify_backup(tmp_path).ok


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ([3], "platform_count is not an object"),
        ({"posts": "12", "counted_at": "2024-01-01"}, "platform_count.posts is not a count"),
        ({"posts": True, "counted_at": "2024-01-01"}, "platform_count.posts is not a count"),
        ({"posts": -1, "counted_at": "2024-01-01"}, "platform_count.posts is not a count"),
        ({"posts": 3, "counted_at": "x", "exact": "yes"}, "exact is not true or false"),
        ({"posts": 3, "counted_at": 5}, "platform_count.counted_at is not text"),
        ({"posts": 3}, "platform_count.counted_at is missing"),
        ({"posts": 3, "counted_at": "x", "caveat": 1}, "platform_count.caveat is not text"),
    ],
)
def test_a_count_of_the_wrong_type_is_refused(tmp_path: Path, value: object, why: str) -> None:
    fake = ExactPlatform()
    fake.add_many(3)
    backup(tmp_path, fake)
    path = next(tmp_path.rglob("manifest.json"))
    data = json.loads(path.read_text())
    data["platform_count"] = value
    path.write_text(json.dumps(data))
    account = BackupStore(tmp_path).accounts()[0]
    with pytest.raises(DataError, match=why):
        load_manifest(account)
    report = verify_backup(tmp_path)
    assert any("not a manifest this version wrote" in p for p in report.problems)


def test_the_count_round_trips() -> None:
    count = PlatformCount(7, "2024-01-01T00:00:00+00:00", False, "why", "2023-01-01")
    assert PlatformCount.from_json(count.to_json()) == count
