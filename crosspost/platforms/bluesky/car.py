"""Offline import of a Bluesky repository export (`repo.car`, com.atproto.sync.getRepo) into Posts.

https://atproto.com/specs/repository (commit -> Merkle Search Tree -> records, in a CAR file)
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from atproto_core.car import CAR
from atproto_core.cid import CID

from crosspost.errors import DataError
from crosspost.model import Post
from crosspost.platforms.bluesky.read import to_post
from crosspost.platforms.bluesky.refs import POST_COLLECTION, REPOST_COLLECTION

DEFAULT_COLLECTIONS = (POST_COLLECTION, REPOST_COLLECTION)


def read_car(
    path: str | Path,
    *,
    account: str | None = None,
    collections: tuple[str, ...] = DEFAULT_COLLECTIONS,
) -> Iterator[Post]:
    """The posts (and reposts) of a repo export, in repository key order (oldest TID first).

    `account` names the account (default: the repo's DID). Records missing from the file (a
    partial export) are skipped; a file that is no repo CAR raises DataError.
    """
    car = load_car(Path(path))
    did, root = commit_of(car)
    name = account or did
    for key, cid in walk_mst(car, root):
        collection = key.partition("/")[0]
        if collection not in collections:
            continue
        block = car.blocks.get(cid)
        if not isinstance(block, Mapping):
            continue
        record = to_json(block)
        yield to_post(record, account=name, uri=f"at://{did}/{key}", cid=str(cid))


def read_records(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (record path, record as JSON) in a repo export, whatever its collection."""
    car = load_car(Path(path))
    _, root = commit_of(car)
    for key, cid in walk_mst(car, root):
        block = car.blocks.get(cid)
        if isinstance(block, Mapping):
            yield key, to_json(block)


def read_rev(path: str | Path) -> str | None:
    """The revision (`rev`, a TID) of the repo commit a CAR holds: pass it as `since` to
    getRepo later to download only what changed after it."""
    car = load_car(Path(path))
    commit_of(car)  # checks that the root is a commit
    rev = car.blocks.get(car.root).get("rev")
    return rev if isinstance(rev, str) else None


def load_car(path: Path) -> CAR:
    try:
        return CAR.from_bytes(path.read_bytes())
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None
    except Exception as error:  # libipld raises plain ValueError/TypeError subclasses
        raise DataError(f"{path} is not a CAR file ({type(error).__name__}: {error})") from None


def commit_of(car: CAR) -> tuple[str, CID]:
    """The repo DID and the MST root CID from the CAR's root commit block."""
    commit = car.blocks.get(car.root)
    if not isinstance(commit, Mapping) or "data" not in commit or "did" not in commit:
        raise DataError("the CAR's root block is not a repository commit")
    return str(commit["did"]), _cid(commit["data"])


def _cid(link: object) -> CID:
    if isinstance(link, CID):
        return link
    if isinstance(link, bytes | str):
        return CID.decode(link) if isinstance(link, str) else CID.from_decoded_bytes(link)
    raise DataError(f"expected a CID link, found {type(link).__name__}")


def walk_mst(car: CAR, root: CID) -> Iterator[tuple[str, CID]]:
    """(record key, record CID) of every entry under an MST node, in key order.

    Each node is `{l: left subtree, e: [{p: shared prefix length, k: key suffix, v: value,
    t: subtree right of this entry}]}`; keys are prefix-compressed against the previous entry.
    """
    stack: list[CID | tuple[str, CID]] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            yield item
            continue
        node = car.blocks.get(item)
        if not isinstance(node, Mapping):
            continue  # a partial export (e.g. a repo slice) leaves subtrees out
        stack.extend(reversed(_node_items(node)))


def _node_items(node: Mapping[str, Any]) -> list[CID | tuple[str, CID]]:
    items: list[CID | tuple[str, CID]] = []
    if node.get("l") is not None:
        items.append(_cid(node["l"]))
    key = b""
    for entry in node.get("e") or ():
        suffix = entry["k"] if isinstance(entry["k"], bytes) else str(entry["k"]).encode()
        key = key[: int(entry["p"])] + suffix
        items.append((key.decode("utf-8"), _cid(entry["v"])))
        if entry.get("t") is not None:
            items.append(_cid(entry["t"]))
    return items


def to_json(value: Any) -> Any:
    """A decoded DAG-CBOR value in the atproto JSON form: links {"$link"}, bytes {"$bytes"}."""
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, CID):
        return {"$link": str(value)}
    if isinstance(value, bytes):
        link = _as_link(value)
        if link is not None:
            return {"$link": link}
        return {"$bytes": base64.b64encode(value).decode().rstrip("=")}
    return value


def _as_link(value: bytes) -> str | None:
    # The CAR reader hands CID links over as their binary form; real byte strings in records
    # are rare, and ones that also parse as a CIDv1 with a known codec rarer still.
    if not value.startswith(b"\x01") or len(value) < 34:
        return None
    try:
        return str(CID.from_decoded_bytes(value))
    except Exception:
        return None
