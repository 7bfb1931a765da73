"""migrate into a GoToSocial-shaped server (tests/fediverse_servers.py): 0.18 and later keep
the original date through a past `scheduled_at`; an older one, a Mastodon server, and a server
whose nodeinfo cannot be read get the dated line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crosspost.platforms.mastodon.software import (
    nodeinfo_link,
    release,
    software_from_nodeinfo,
)
from crosspost.sync import RuleReport
from tests.backup_mastodon import serving as mastodon_serving
from tests.fediverse_servers import Behaviour, backup_of, migrate_backup, serving, source_post

WHEN = datetime(2021, 5, 4, 10, 30, tzinfo=UTC)
LATER = datetime(2021, 5, 4, 18, 0, tzinfo=UTC)
LINE = "Originally posted on Bluesky on 2021-05-04."


def nodeinfo_notes(report: RuleReport) -> list[str]:
    return [note for note in report.notes if "nodeinfo" in note]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    posts = [source_post(1, "first skeet", when=WHEN), source_post(2, "second", when=LATER)]
    return backup_of(tmp_path / "backup", posts)


@pytest.fixture
def gts() -> Behaviour:
    return Behaviour("gotosocial", "0.18.3+git-4f1a2b3")


def test_gotosocial_keeps_the_original_date_and_adds_no_line(
    root: Path, tmp_path: Path, gts: Behaviour
) -> None:
    with serving(tmp_path / "media", gts) as server:
        report, statuses = migrate_backup(server, root)
    assert report.failed == []
    assert report.published == 2
    assert nodeinfo_notes(report) == []
    assert [s.created_at for s in statuses] == [WHEN, LATER]
    assert [s.text.text for s in statuses] == ["first skeet", "second"]
    assert all(s.origin is not None for s in statuses)  # the marker, read back as the origin


def test_gotosocial_before_0_18_gets_the_dated_line(root: Path, tmp_path: Path) -> None:
    with serving(tmp_path / "media", Behaviour("gotosocial", "0.17.4")) as server:
        report, statuses = migrate_backup(server, root)
    assert report.published == 2
    assert all(LINE in s.text.text for s in statuses)
    assert all(s.created_at > WHEN for s in statuses)


def test_mastodon_still_gets_the_dated_line(root: Path, tmp_path: Path) -> None:
    with mastodon_serving(tmp_path / "media") as server:
        report, statuses = migrate_backup(server, root)
    assert report.failed == []
    assert nodeinfo_notes(report) == []
    assert [s.text.text for s in statuses] == [f"first skeet\n\n{LINE}", f"second\n\n{LINE}"]
    assert all(s.created_at > WHEN for s in statuses)


@pytest.mark.parametrize("broken", ["missing", "html"])
def test_unreadable_nodeinfo_is_one_note_and_mastodon_behaviour(
    root: Path, tmp_path: Path, gts: Behaviour, broken: str
) -> None:
    gts.nodeinfo = broken
    with serving(tmp_path / "media", gts) as server:
        report, statuses = migrate_backup(server, root)
    assert report.published == 2
    (note,) = nodeinfo_notes(report)
    assert "could not tell the server software from its nodeinfo" in note
    assert all(LINE in s.text.text for s in statuses)


def test_backdating_turned_off_says_so(root: Path, tmp_path: Path, gts: Behaviour) -> None:
    gts.allow_backdating = False
    with serving(tmp_path / "media", gts) as server:
        report, statuses = migrate_backup(server, root)
    assert statuses == []
    assert len(report.failed) == 2
    assert "backdating statuses has been disabled on this instance" in report.failed[0][2]


def test_the_newest_nodeinfo_schema_is_read_and_versions_compare_as_releases() -> None:
    schema = "http://nodeinfo.diaspora.software/ns/schema/"
    index = {
        "links": [
            {"rel": schema + "2.0", "href": "https://gts.example/nodeinfo/2.0"},
            {"rel": schema + "2.1", "href": "https://gts.example/nodeinfo/2.1"},
            {"rel": "https://example.org/other", "href": "https://gts.example/x"},
        ]
    }
    assert nodeinfo_link(index) == "https://gts.example/nodeinfo/2.1"
    assert nodeinfo_link({"links": "nope"}) is None
    assert release("0.18.0-rc1") == (0, 18, 0)
    assert release("0.9") == (0, 9, 0)
    assert release("git-4f1a") == (0, 0, 0)
    found = software_from_nodeinfo({"software": {"name": "GoToSocial", "version": "0.19.1"}})
    assert found is not None
    assert found.backdates
    assert found.display_name == "GoToSocial"
    assert software_from_nodeinfo({"software": {"name": ""}}) is None
