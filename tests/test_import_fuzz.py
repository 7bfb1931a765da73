"""Fuzz (Hypothesis) of the export readers over real records: every field of real Bluesky
records (a real repo export, read in place) and of Mastodon archive Notes (as Mastodon's
NoteSerializer writes them) replaced by values of the wrong type or shape. No traceback: each
post is read or counted as skipped, and the others are kept."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crosspost.platforms.bluesky.car import read_car, read_records
from crosspost.platforms.export import Skipped
from crosspost.platforms.mastodon.archive import read_archive
from tests.fixtures import fixture_path
from tests.hostile_car import RepoBuilder, entry
from tests.test_mastodon_archive import ACTOR_JSON, OUTBOX_ITEMS

FAKERMAKER = "bluesky-indigo/testing/testdata/fakermaker.repo.car"
WRONG: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63 - 1,
    1.5,
    "",
    "x" * 5000,
    "é" * 3000,
    [],
    [None],
    {},
    {"a": 1},
    "2024-13-45T99:99:99Z",
    "javascript:alert(1)",
    "\x00",
]
SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _mutated(record: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(record))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


@pytest.fixture(scope="module")
def bluesky_posts() -> list[dict[str, Any]]:
    records = read_records(fixture_path(FAKERMAKER))
    return [r for key, r in records if key.startswith("app.bsky.feed.post/")][:12]


@SETTINGS
@given(data=st.data())
def test_bluesky_records_of_wrong_types(
    bluesky_posts: list[dict[str, Any]], data: st.DataObject, tmp_path_factory: Any
) -> None:
    record = data.draw(st.sampled_from(bluesky_posts))
    path = data.draw(st.sampled_from(list(_paths(record))))
    bad = _mutated(record, path, data.draw(st.sampled_from(WRONG)))
    repo = RepoBuilder()
    good = repo.add(record)
    broken = repo.add(bad)
    leaf = repo.add({"l": None, "e": [entry("app.bsky.feed.post/3k2bbbbbbbbb", broken)]})
    root = repo.add({"l": None, "e": [entry("app.bsky.feed.post/3k2aaaaaaaaa", good, tree=leaf)]})
    car = tmp_path_factory.mktemp("car") / "repo.car"
    car.write_bytes(repo.car(repo.commit(root)))
    skipped = Skipped()
    posts = list(read_car(car, skipped=skipped))
    assert len(posts) + sum(skipped.counts.values()) == 2
    assert posts[0].ref.id.endswith("/3k2aaaaaaaaa")


NOTES = [
    item
    for item in OUTBOX_ITEMS
    if isinstance(item, dict) and item.get("type") == "Create" and isinstance(item["object"], dict)
]


@SETTINGS
@given(data=st.data())
def test_archive_notes_of_wrong_types(data: st.DataObject, tmp_path_factory: Any) -> None:
    activity = data.draw(st.sampled_from(NOTES))
    path = data.draw(st.sampled_from(list(_paths(activity))))
    bad = _mutated(activity, path, data.draw(st.sampled_from(WRONG)))
    archive = tmp_path_factory.mktemp("zip") / "archive.zip"
    last = _mutated(NOTES[0], ("object", "id"), "https://x/statuses/99")
    outbox = {"type": "OrderedCollection", "orderedItems": [NOTES[0], bad, last]}
    with zipfile.ZipFile(archive, "w") as file:
        file.writestr("outbox.json", json.dumps(outbox))
        file.writestr("actor.json", json.dumps(ACTOR_JSON))
    read = read_archive(archive)
    ids = [post.ref.id for post in read.posts]
    assert ids[0] == "1"
    assert ids[-1] == "99"
    bad_counted = sum(
        count for kind, count in read.skipped.counts.items() if "profile images" not in kind
    )
    assert len(ids) + bad_counted >= 3


def test_the_real_export_reads_whole(tmp_path: Path) -> None:
    assert len(list(read_car(fixture_path(FAKERMAKER)))) == 41
