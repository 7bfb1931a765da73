"""Hostile repo CARs end in bounded time with one clear line: cycles, shared subtrees (a DAG
of 2^40 paths), bytes that do not match their CID, malformed MST nodes, deep nesting."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crosspost.backup.importer import import_export
from crosspost.backup.store import BackupStore
from crosspost.errors import DataError
from crosspost.platforms.bluesky.car import read_car
from tests.cli_helpers import run_cli
from tests.fixtures import fixture_path
from tests.hostile_car import Link, Raw, RepoBuilder, encode, entry, post

FAKERMAKER = "bluesky-indigo/testing/testdata/fakermaker.repo.car"
KEY = "app.bsky.feed.post/3k2aaaaaaaaa"


@pytest.fixture(autouse=True)
def _bounded() -> Iterator[None]:
    """Each case must end within seconds (the bugs ran forever)."""

    def late(*_: Any) -> None:
        raise TimeoutError("the reader ran for more than 20 s")

    previous = signal.signal(signal.SIGALRM, late)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "repo.car"
    path.write_bytes(data)
    return path


def _import(path: Path, tmp_path: Path) -> Any:
    return import_export(path, BackupStore(tmp_path / "out"))


def test_a_cycle_in_the_tree_is_refused(tmp_path: Path) -> None:
    repo = RepoBuilder()
    record = repo.add(post("hello"))
    fake = b"\x01\x71\x12\x20" + b"\x07" * 32  # a node claiming a CID that names itself
    node = encode({"l": Link(fake), "e": [entry(KEY, record)]})
    repo.blocks.append((fake, node))
    path = _write(tmp_path, repo.car(repo.commit(fake)))
    with pytest.raises(DataError, match=r"repo\.car: .*(does not match its CID|cycle)"):
        _import(path, tmp_path)


def _dag(repo: RepoBuilder, levels: int) -> bytes:
    """`levels` hash-valid nodes, each naming the next twice: 2^levels paths through them."""
    below: bytes | None = None
    record = repo.add(post("shared"))
    for level in range(levels):
        key = f"app.bsky.feed.post/3k{level:010d}"
        node: dict[str, Any] = {"l": Link(below) if below else None, "e": [entry(key, record)]}
        if below:
            node["e"][0]["t"] = Link(below)
        below = repo.add(node)
    assert below is not None
    return below


def test_a_dag_of_shared_subtrees_is_refused_quickly(tmp_path: Path) -> None:
    repo = RepoBuilder()
    path = _write(tmp_path, repo.car(repo.commit(_dag(repo, 40))))
    with pytest.raises(DataError, match="more than once"):
        list(read_car(path))
    run = run_cli("import", str(path), "--dir", str(tmp_path / "out"))
    assert run.code == 7, run
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1, run.err
    assert "repo.car" in lines[0]


def test_a_tampered_record_is_refused(tmp_path: Path) -> None:
    repo = RepoBuilder()
    record = repo.add(post("what I wrote"))
    root = repo.add({"l": None, "e": [entry(KEY, record)]})
    commit = repo.commit(root)
    cid, data = repo.blocks[0]
    repo.blocks[0] = (cid, data.replace(b"what I wrote", b"what I didnt"))
    path = _write(tmp_path, repo.car(commit))
    with pytest.raises(DataError, match="does not match its CID"):
        _import(path, tmp_path)
    assert not (tmp_path / "out" / "bluesky").exists()


def test_an_untampered_repo_still_reads(tmp_path: Path) -> None:
    repo = RepoBuilder()
    first, second = repo.add(post("one")), repo.add(post("two"))
    leaf = repo.add({"l": None, "e": [entry("app.bsky.feed.post/3k2bbbbbbbbb", second)]})
    root = repo.add({"l": None, "e": [entry(KEY, first, tree=leaf)]})
    path = _write(tmp_path, repo.car(repo.commit(root)))
    assert [p.text.text for p in read_car(path)] == ["one", "two"]


def test_a_deep_chain_is_refused(tmp_path: Path) -> None:
    repo = RepoBuilder()
    below = None
    for _ in range(300):  # hash-valid, each node once, but deeper than any real tree
        below = repo.add({"l": Link(below) if below else None, "e": []})
    assert below is not None
    path = _write(tmp_path, repo.car(repo.commit(below)))
    with pytest.raises(DataError, match="deeper than"):
        list(read_car(path))


MALFORMED: list[Any] = [
    {"l": "not a link", "e": []},
    {"e": "not a list"},
    {"e": ["not an entry"]},
    {"e": [{"p": 0, "v": None}]},
    {"e": [{"k": 5, "p": 0}]},
    {"e": [{"k": b"x", "p": "zero"}]},
    {"e": [{"k": b"x", "p": 99}]},
    {"e": [{"k": b"x", "p": -1}]},
    {"e": [{"k": b"\xff\xfe", "p": 0}]},
    {"e": [{"k": b"b", "p": 0}, {"k": b"a", "p": 0}]},  # out of order
    {"e": [{"k": b"x", "p": 0, "t": 7}]},
]


@pytest.mark.parametrize("shape", MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_a_malformed_tree_node_is_one_clear_error(shape: dict[str, Any], tmp_path: Path) -> None:
    repo = RepoBuilder()
    record = repo.add(post("x"))
    entries = shape.get("e")
    for item in entries if isinstance(entries, list) else []:
        if isinstance(item, dict):
            item.setdefault("v", Link(record))
            item["v"] = item["v"] or Link(record)
    node = repo.add(shape)
    path = _write(tmp_path, repo.car(repo.commit(node)))
    with pytest.raises(DataError, match="repository tree"):
        list(read_car(path))


def test_a_record_nested_5000_deep_is_skipped_and_counted(tmp_path: Path) -> None:
    repo = RepoBuilder()
    deep = Raw(b"\x81" * 5000 + b"\x01")  # [[[...[1]...]]], 5,000 levels
    good = repo.add(post("kept"))
    bad = repo.add({**post("deep"), "extra": deep})
    leaf = repo.add({"l": None, "e": [entry("app.bsky.feed.post/3k2bbbbbbbbb", bad)]})
    root = repo.add({"l": None, "e": [entry(KEY, good, tree=leaf)]})
    path = _write(tmp_path, repo.car(repo.commit(root)))
    result = _import(path, tmp_path)
    assert result.new == 1
    assert sum(result.skipped_counts.values()) == 1, result.skipped


def test_real_exports_still_verify(tmp_path: Path) -> None:
    car = fixture_path(FAKERMAKER)
    assert len(list(read_car(car))) == 41  # 26 posts + 15 reposts, every block's CID checked
