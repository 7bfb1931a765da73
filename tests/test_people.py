"""`crosspost people`: a backup's follows as the target's import file, and where each followed
account can be followed from the target (Bridgy Fed's addresses), offline and looked up.

The graphs are real: the follow records of a real repo export (fakermaker.repo.car, 78 follows)
and the Account entities of Mastodon's documentation. The bridged addresses are checked against
Bridgy Fed's own examples (its docs and tests/test_ids.py at d505297f); the CSV against the
headers Mastodon's importer expects (app/models/form/import.rb)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crosspost.account_data import Collection, Entry, Person
from crosspost.backup.account_files import save_collection
from crosspost.backup.people import Status, people, plan_people
from crosspost.backup.store import AccountBackup
from crosspost.errors import DataError
from crosspost.model import Platform
from crosspost.platforms.bluesky import bridges as bluesky_bridges
from crosspost.platforms.bluesky.car import read_records
from crosspost.platforms.bridging import Route, Server
from crosspost.platforms.mastodon import bridges as mastodon_bridges
from crosspost.platforms.mastodon.profile import person_from_account
from tests.cli_helpers import run_cli
from tests.fixtures import fixture_path

FAKERMAKER = "bluesky-indigo/testing/testdata/fakermaker.repo.car"
ACCOUNTS = [  # Mastodon's documented Account examples: a remote, a local and a suspended user
    "mastodon-docs/extracted/entities_Account.md_L0037_example.json",
    "mastodon-docs/extracted/methods_accounts.md_L0609_get-account_200.json",
    "mastodon-docs/extracted/methods_accounts.md_L0722_get-account_200.json",
]
# Form::Import::EXPECTED_HEADERS_BY_TYPE[:following]
FOLLOWING_HEADERS = ["Account address", "Show boosts", "Notify on new posts", "Languages"]
NOW = datetime(2026, 8, 1, tzinfo=UTC)


def backup_with(tmp_path: Path, platform: Platform, people_: list[Person]) -> AccountBackup:
    folder = tmp_path / "backup" / platform.value / "me"
    (folder / "posts").mkdir(parents=True)
    backup = AccountBackup(folder, platform, "me")
    entries = [Entry(p.id, person=p) for p in people_]
    save_collection(backup, Collection.FOLLOWING, entries, NOW, complete=True)
    return backup


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


# --- Bridgy Fed's addresses, against its own examples -------------------------------------------


@pytest.mark.parametrize(
    ("acct", "handle"),
    [
        ("snarfed@indieweb.social", "snarfed.indieweb.social.ap.brid.gy"),  # docs
        ("a_b~c@my.social", "a-b-c.my.social.ap.brid.gy"),  # docs: _ and ~ become -
        ("user@instance", "user.instance.ap.brid.gy"),  # test_ids.py
        ("u_se~r@instance", "u-se-r.instance.ap.brid.gy"),  # test_ids.py
        ("alice@wetdry.world", "alice.wetdry.world"),  # ATPROTO_HANDLE_DOMAINS: no suffix
    ],
)
def test_a_fediverse_account_on_bluesky(acct: str, handle: str) -> None:
    where = mastodon_bridges.where_from(Person(f"https://x/{acct}", acct), "atproto")
    assert (where.route, where.address, where.lookup) == (Route.BRIDGE, handle, handle)


def test_a_name_bridgy_fed_cannot_make_a_handle_of_is_not_bridged() -> None:
    where = mastodon_bridges.where_from(
        Person("https://x.social/u/user_", "user_@x.social"), "atproto"
    )
    assert where.route is Route.NONE
    assert "not be a valid Bluesky handle" in where.note


def test_a_bluesky_account_on_the_fediverse() -> None:
    person = Person("did:plc:x", "snarfed.bsky.social")  # docs: @snarfed.bsky.social@bsky.brid.gy
    where = bluesky_bridges.where_from(person, "activitypub")
    assert where.route is Route.BRIDGE
    assert where.address == where.lookup == "snarfed.bsky.social@bsky.brid.gy"
    # test_ids.py: (ATProto, 'did:plc:x', ActivityPub, 'https://bsky.brid.gy/ap/did:plc:x'):
    # the actor a search finds where the handle is not known.
    nameless = bluesky_bridges.where_from(Person("did:plc:x"), "activitypub")
    assert (nameless.address, nameless.lookup) == ("", "https://bsky.brid.gy/ap/did:plc:x")


def test_bridge_copies_lead_back_to_the_original() -> None:
    # test_ids.py: translate_handle('@x.com@bsky.brid.gy', ActivityPub -> ATProto) == 'x.com'
    copy = mastodon_bridges.where_from(
        Person("https://bsky.brid.gy/ap/did:plc:x", "x.com@bsky.brid.gy"), "atproto"
    )
    assert (copy.route, copy.address) == (Route.ORIGINAL, "x.com")
    # A fediverse account bridged into Bluesky: its address is not guessed from the handle.
    back = bluesky_bridges.where_from(
        Person("did:plc:y", "a-b.my.social.ap.brid.gy"), "activitypub"
    )
    assert (back.route, back.address, back.lookup) == (Route.ORIGINAL, "", "")
    assert "cannot be told from the handle" in back.note


# --- real graphs -------------------------------------------------------------------------------


def fakermaker_backup(tmp_path: Path) -> AccountBackup:
    path = fixture_path(FAKERMAKER)
    done = run_cli("import", str(path), "-d", str(tmp_path / "backup"), "-q")
    assert done.code == 0, done.err
    (folder,) = (tmp_path / "backup" / "bluesky").iterdir()
    return AccountBackup(folder, Platform.BLUESKY, folder.name)


def follow_subjects() -> list[str]:
    records = read_records(fixture_path(FAKERMAKER))
    found = {k: r["subject"] for k, r in records if k.startswith("app.bsky.graph.follow/")}
    return [found[k] for k in sorted(found, reverse=True)]


def test_a_real_repo_s_follows_on_bluesky_are_its_dids(tmp_path: Path) -> None:
    backup = fakermaker_backup(tmp_path)
    report = people(backup, Platform.BLUESKY, tmp_path / "out")
    assert len(report.rows) == 78
    assert report.counts() == {Status.SAME: 78}
    dids = (tmp_path / "out" / "following_dids.txt").read_text().splitlines()
    assert dids == list(dict.fromkeys(follow_subjects()))
    assert not (tmp_path / "out" / "following_handles.txt").exists()


def test_a_real_repo_s_follows_on_mastodon_may_be_bridged(tmp_path: Path) -> None:
    backup = fakermaker_backup(tmp_path)
    report = people(backup, Platform.MASTODON, tmp_path / "out")
    assert report.counts() == {Status.MAY_BE: 78}
    first = report.rows[0]
    # A record names a DID only: the bridge's actor URL is what a lookup asks for.
    assert first.where.lookup == f"https://bsky.brid.gy/ap/{follow_subjects()[0]}"
    assert first.address == ""
    # Without a handle there is no account address to import: the header alone.
    assert rows_of(tmp_path / "out" / "following_accounts.csv") == [FOLLOWING_HEADERS]
    report_rows = rows_of(tmp_path / "out" / "people.csv")
    assert len(report_rows) == 79
    assert {row[4] for row in report_rows[1:]} == {"may be bridged (not checked)"}
    assert report.summary() == (
        "78 followed accounts: 78 may be bridged (not checked); 0 listed for Mastodon"
    )


def documented_people() -> list[Person]:
    return [person_from_account(json.loads(fixture_path(p).read_text())) for p in ACCOUNTS]


def test_mastodon_s_documented_accounts_seen_from_bluesky(tmp_path: Path) -> None:
    backup = backup_with(tmp_path, Platform.MASTODON, documented_people())
    rows = plan_people(backup, Platform.BLUESKY)
    assert [(r.person.handle, r.address, r.status) for r in rows] == [
        ("noiob@awoo.space", "noiob.awoo.space.ap.brid.gy", Status.MAY_BE),
        ("Gargron@mastodon.social", "gargron.mastodon.social.ap.brid.gy", Status.MAY_BE),
        ("stigatle@quitter.no", "stigatle.quitter.no.ap.brid.gy", Status.MAY_BE),
    ]


def test_following_accounts_csv_is_what_mastodon_s_importer_takes(tmp_path: Path) -> None:
    bridged = Person("did:plc:z", "alice.bsky.social")
    tumblr_like = Person("https://a.example/users/x", "")  # no address: left out, said so
    backup = backup_with(tmp_path, Platform.MASTODON, [*documented_people(), tumblr_like])
    report = people(backup, Platform.MASTODON, tmp_path / "out")
    assert rows_of(tmp_path / "out" / "following_accounts.csv") == [
        FOLLOWING_HEADERS,
        ["noiob@awoo.space", "true", "false", ""],
        ["Gargron@mastodon.social", "true", "false", ""],
        ["stigatle@quitter.no", "true", "false", ""],
    ]
    assert report.counts() == {Status.SAME: 3, Status.NO_BRIDGE: 1}
    sky = backup_with(tmp_path / "sky", Platform.BLUESKY, [bridged])
    people(sky, Platform.MASTODON, tmp_path / "sky-out")
    # Not checked, yet listed: the importer looks each address up itself (Import::RowWorker).
    assert rows_of(tmp_path / "sky-out" / "following_accounts.csv")[1] == [
        "alice.bsky.social@bsky.brid.gy",
        "true",
        "false",
        "",
    ]


def test_tumblr_blogs_have_no_bridge_and_tumblr_is_no_target(tmp_path: Path) -> None:
    backup = backup_with(tmp_path, Platform.TUMBLR, [Person("t:uuid", "staff")])
    (row,) = plan_people(backup, Platform.MASTODON)
    assert (row.status, row.where.route) == (Status.NO_BRIDGE, Route.NONE)
    assert "Tumblr blog" in row.where.note
    with pytest.raises(DataError, match="no import of follows"):
        plan_people(backup, Platform.TUMBLR)


def test_an_unreachable_server_leaves_the_rest_not_checked(tmp_path: Path) -> None:
    backup = backup_with(tmp_path, Platform.MASTODON, documented_people())
    report = people(backup, Platform.BLUESKY, tmp_path / "out", server=Server("http://127.0.0.1:9"))
    assert report.counts() == {Status.MAY_BE: 3}
    assert report.check_error is not None
    assert "cannot reach" in report.check_error
    assert "The lookups stopped" in (tmp_path / "out" / "people.md").read_text()


def test_the_command(tmp_path: Path) -> None:
    backup = backup_with(tmp_path, Platform.MASTODON, documented_people())
    done = run_cli("people", str(backup.folder), "--to", "bluesky", "-o", str(tmp_path / "o"))
    assert done.code == 0, done.err
    assert done.out.splitlines()[0] == (
        "3 followed accounts: 3 may be bridged (not checked); 3 listed for Bluesky"
    )
    handles = (tmp_path / "o" / "following_handles.txt").read_text().splitlines()
    assert handles[0] == "noiob.awoo.space.ap.brid.gy"
    as_json = run_cli(
        "people", str(backup.folder), "--to", "bluesky", "--json", "-o", str(tmp_path / "j")
    )
    assert json.loads(as_json.out)["counts"] == {"may be bridged": 3}
    wrong = run_cli("people", str(backup.folder), "--to", "tumblr", "-o", str(tmp_path / "t"))
    assert wrong.code != 0
    assert wrong.err.strip().splitlines()[-1].startswith("error: Tumblr has no import of follows")
