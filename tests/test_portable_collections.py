"""Collections in the platforms' own import formats: Mastodon's CSVs, as its importer reads them
(app/models/form/import.rb: the expected headers by type), and Bluesky's DID lists."""

from __future__ import annotations

import csv
import io

from crosspost.account_data import Collection, Entry, Person
from crosspost.model import Platform
from crosspost.platforms.registry import spec

# Mastodon's Form::Import::EXPECTED_HEADERS_BY_TYPE; blocks, lists and bookmarks are written
# without a header, which the importer also takes (it knows them by their first column).
EXPECTED_HEADERS = {
    "following_accounts.csv": [
        "Account address",
        "Show boosts",
        "Notify on new posts",
        "Languages",
    ],
    "muted_accounts.csv": ["Account address", "Hide notifications"],
}


def person(acct: str) -> Person:
    user, host = acct.split("@")
    return Person(f"https://{host}/users/{user}", acct)


def files(platform: Platform, kind: Collection, entries: list[Entry]) -> dict[str, list[list[str]]]:
    written = spec(platform).portable(kind, entries)
    return {name: list(csv.reader(io.StringIO(text))) for name, text in written}


def test_mastodon_follows_and_mutes_have_the_headers_its_import_expects() -> None:
    people = [Entry(p.id, person=p) for p in map(person, ["bob@a.example", "cat@b.example"])]
    following = files(Platform.MASTODON, Collection.FOLLOWING, people)["following_accounts.csv"]
    assert following[0] == EXPECTED_HEADERS["following_accounts.csv"]
    assert [row[0] for row in following[1:]] == ["bob@a.example", "cat@b.example"]
    muted = files(Platform.MASTODON, Collection.MUTES, people)["muted_accounts.csv"]
    assert muted[0] == EXPECTED_HEADERS["muted_accounts.csv"]
    blocked = files(Platform.MASTODON, Collection.BLOCKS, people)["blocked_accounts.csv"]
    assert blocked == [["bob@a.example"], ["cat@b.example"]]


def test_mastodon_lists_and_bookmarks() -> None:
    friends = Entry("1", name="Friends, old", members=(person("bob@a.example"),))
    assert files(Platform.MASTODON, Collection.LISTS, [friends])["lists.csv"] == [
        ["Friends, old", "bob@a.example"]
    ]
    marked = Entry("https://a.example/users/bob/statuses/1")
    assert files(Platform.MASTODON, Collection.BOOKMARKS, [marked])["bookmarks.csv"] == [
        ["https://a.example/users/bob/statuses/1"]
    ]
    assert files(Platform.MASTODON, Collection.LIKES, [marked]) == {}  # no import takes likes


def test_a_person_without_an_account_address_is_left_out() -> None:
    nobody = Entry("x", person=Person("https://a.example/users/x", ""))
    following = files(Platform.MASTODON, Collection.FOLLOWING, [nobody])["following_accounts.csv"]
    assert following == [EXPECTED_HEADERS["following_accounts.csv"]]


def test_bluesky_follows_are_a_list_of_dids() -> None:
    people = [Entry(f"r{n}", person=Person(f"did:plc:{n}abc")) for n in range(3)]
    written = dict(spec(Platform.BLUESKY).portable(Collection.FOLLOWING, people))
    assert written == {"following_dids.txt": "did:plc:0abc\ndid:plc:1abc\ndid:plc:2abc\n"}
    assert spec(Platform.TUMBLR).portable(Collection.FOLLOWING, people) == ()
