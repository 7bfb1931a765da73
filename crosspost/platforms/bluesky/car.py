"""Offline import of a Bluesky repository export (`repo.car`, com.atproto.sync.getRepo) into Posts.

https://atproto.com/specs/repository (commit -> Merkle Search Tree -> records, in a CAR file)
and https://ipld.io/specs/transport/car/carv1/ (a varint-prefixed header, then blocks: a varint
length, the block's CID, its bytes).

A CAR is untrusted input: each block's bytes are checked against the SHA-256 its CID names (a
record altered after the fact is refused, not imported as the account's), and the tree is
walked once per node to a bounded depth, so a tree that names a node twice (a cycle, or a
DAG whose paths double at every level) ends at once with one clear line.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import libipld

from crosspost.errors import DataError
from crosspost.model import Post
from crosspost.platforms.bluesky.cid import Car, Cid
from crosspost.platforms.bluesky.read import to_post
from crosspost.platforms.bluesky.refs import POST_COLLECTION, REPOST_COLLECTION
from crosspost.platforms.export import Skipped

DEFAULT_COLLECTIONS = (POST_COLLECTION, REPOST_COLLECTION)
SHA2_256 = 0x12
# An MST layer is 2 bits of a key's SHA-256 (atproto repository spec): at most 128 layers.
MAX_TREE_DEPTH = 128
MAX_NESTING = 200  # a record nested deeper is no record an app wrote (left out, counted)
UNREADABLE_RECORDS = "records that cannot be read (left out)"


class Unreadable:
    """A block whose bytes are no DAG-CBOR crosspost reads (too deep, or not CBOR at all)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def read_car(
    path: str | Path,
    *,
    account: str | None = None,
    collections: tuple[str, ...] = DEFAULT_COLLECTIONS,
    skipped: Skipped | None = None,
) -> Iterator[Post]:
    """The posts (and reposts) of a repo export, in repository key order (oldest TID first).

    `account` names the account (default: the repo's DID). Records missing from the file (a
    partial export) are skipped; a record that cannot be read is left out and counted in
    `skipped`; a file that is no repo CAR, or is damaged or altered, raises DataError.
    """
    car = load_car(Path(path))
    did, root = commit_of(car)
    name = account or did
    skipped = skipped if skipped is not None else Skipped()
    for key, cid in walk_mst(car, root):
        collection = key.partition("/")[0]
        if collection not in collections:
            continue
        block = car.blocks.get(cid)
        if isinstance(block, Unreadable):
            skipped.note(UNREADABLE_RECORDS, f"{key}: {block.reason}")
            continue
        if not isinstance(block, Mapping):
            continue
        try:
            yield to_post(to_json(block), account=name, uri=f"at://{did}/{key}", cid=str(cid))
        except (DataError, ValueError, TypeError, KeyError, AttributeError) as error:
            skipped.note(UNREADABLE_RECORDS, f"{key}: {str(error)[:120]}")


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
    rev = car.blocks[car.root].get("rev")
    return rev if isinstance(rev, str) else None


def load_car(path: Path) -> Car:
    """The CAR at `path`, every block checked against its CID; DataError naming the file when
    it is unreadable, no CAR, or damaged."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None
    try:
        return parse_car(data)
    except DataError as error:
        raise DataError(f"{path}: {error}") from None


def parse_car(data: bytes) -> Car:
    view = memoryview(data)
    length, offset = _varint(view, 0)
    try:
        header = libipld.decode_dag_cbor(bytes(view[offset : offset + length]))
    except Exception as error:  # libipld raises plain ValueError/TypeError subclasses
        raise DataError(f"not a CAR file (header: {type(error).__name__}: {error})") from None
    roots = header.get("roots") if isinstance(header, Mapping) else None
    if not isinstance(roots, list) or not roots or not isinstance(roots[0], bytes):
        raise DataError("not a CAR file (its header names no root)")
    root = _cid_from_bytes(roots[0])
    blocks: dict[Cid, Any] = {}
    offset += length
    while offset < len(view):
        length, offset = _varint(view, offset)
        end = offset + length
        if end > len(view):
            raise DataError("the CAR file is truncated (a block runs past its end)")
        cid_end = _cid_end(view, offset, end)
        cid_bytes = bytes(view[offset:cid_end])
        block = bytes(view[cid_end:end])
        _check_digest(cid_bytes, block)
        blocks.setdefault(_cid_from_bytes(cid_bytes), _decoded(block))
        offset = end
    return Car(root=root, blocks=blocks)


def _varint(data: memoryview, offset: int) -> tuple[int, int]:
    value = shift = 0
    for index in range(offset, min(offset + 9, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, index + 1
        shift += 7
    raise DataError("not a CAR file, or truncated (a length is cut off)")


def _cid_end(data: memoryview, offset: int, end: int) -> int:
    """Where the CIDv1 at `offset` ends: version, codec, then the multihash code and size."""
    if bytes(data[offset : offset + 2]) == b"\x12\x20":  # CIDv0: a bare sha2-256 multihash
        return offset + 34
    position = offset
    for _ in range(3):  # version, codec, hash code
        _, position = _varint(data, position)
    size, position = _varint(data, position)
    if position + size > end:
        raise DataError("the CAR file is damaged (a block's CID runs past the block)")
    return position + size


def _check_digest(cid: bytes, block: bytes) -> None:
    decoded = _decode_cid(cid)
    hashed = decoded.get("hash") if isinstance(decoded, Mapping) else None
    code = hashed.get("code") if isinstance(hashed, Mapping) else None
    if code != SHA2_256:
        raise DataError(f"a block's CID uses a hash crosspost cannot check (code {code})")
    if not isinstance(hashed, Mapping) or hashlib.sha256(block).digest() != hashed.get("digest"):
        name = str(_cid_from_bytes(cid))
        raise DataError(f"block {name} does not match its CID: the file is damaged or was altered")


def _decode_cid(cid: bytes) -> Any:
    try:
        return libipld.decode_cid(cid)
    except Exception as error:
        raise DataError(f"the CAR file is damaged (a block's CID: {error})") from None


def _cid_from_bytes(cid: bytes) -> Cid:
    _decode_cid(cid)  # a CID libipld reads, or DataError
    return Cid(cid)


def _decoded(block: bytes) -> Any:
    try:
        value = libipld.decode_dag_cbor(block)
    except RecursionError:
        return Unreadable("nested too deep")
    except Exception as error:
        return Unreadable(f"not DAG-CBOR ({type(error).__name__})")
    if not _shallow(value):
        return Unreadable(f"nested deeper than {MAX_NESTING} levels")
    return value


def _shallow(value: Any) -> bool:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            return False
        if isinstance(item, Mapping):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return True


def commit_of(car: Car) -> tuple[str, Cid]:
    """The repo DID and the MST root CID from the CAR's root commit block."""
    commit = car.blocks.get(car.root)
    if not isinstance(commit, Mapping) or "data" not in commit or "did" not in commit:
        raise DataError("the CAR's root block is not a repository commit")
    return str(commit["did"]), _cid(commit["data"])


def _cid(link: object) -> Cid:
    if isinstance(link, Cid):
        return link
    if isinstance(link, bytes):
        return _cid_from_bytes(link)
    if isinstance(link, str):
        try:
            return Cid.decode(link)
        except Exception:
            raise DataError(f"not a CID link: {link[:60]!r}") from None
    raise DataError(f"expected a CID link, found {type(link).__name__}")


def walk_mst(car: Car, root: Cid) -> Iterator[tuple[str, Cid]]:
    """(record key, record CID) of every entry under an MST node, in key order.

    Each node is `{l: left subtree, e: [{p: shared prefix length, k: key suffix, v: value,
    t: subtree right of this entry}]}`; keys are prefix-compressed against the previous entry.
    A node is read once: one named twice, a tree deeper than MAX_TREE_DEPTH, a malformed
    node or keys out of order raise DataError.
    """
    visited: set[Cid] = set()
    last = ""
    stack: list[tuple[Cid, int] | tuple[str, Cid]] = [(root, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item[0], str):
            key = item[0]
            if key <= last:
                raise DataError(f"the repository tree is damaged: key {key[:80]!r} out of order")
            last = key
            yield item
            continue
        cid, depth = item
        if cid in visited:
            raise DataError(f"the repository tree names node {cid} more than once (a cycle?)")
        visited.add(cid)
        if depth > MAX_TREE_DEPTH:
            raise DataError(f"the repository tree is deeper than {MAX_TREE_DEPTH} levels")
        node = car.blocks.get(cid)
        if not isinstance(node, Mapping):
            continue  # a partial export (e.g. a repo slice) leaves subtrees out
        try:
            items = _node_items(node, depth + 1)
        except DataError as error:
            raise DataError(f"the repository tree is damaged: node {cid}: {error}") from None
        stack.extend(reversed(items))


def _node_items(node: Mapping[str, Any], depth: int) -> list[tuple[Cid, int] | tuple[str, Cid]]:
    items: list[tuple[Cid, int] | tuple[str, Cid]] = []
    if node.get("l") is not None:
        items.append((_cid(node["l"]), depth))
    entries = node.get("e")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise DataError("its entries are not a list")
    key = b""
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise DataError("an entry is not a map")
        suffix, prefix = entry.get("k"), entry.get("p")
        if not isinstance(suffix, bytes) or not isinstance(prefix, int):
            raise DataError("an entry without a key (k, bytes) and prefix length (p, integer)")
        if not 0 <= prefix <= len(key):
            raise DataError(f"an entry's prefix length {prefix} is not within the key before")
        key = key[:prefix] + suffix
        try:
            text = key.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError("an entry's key is not UTF-8") from None
        items.append((text, _cid(entry.get("v"))))
        if entry.get("t") is not None:
            items.append((_cid(entry["t"]), depth))
    return items


def to_json(value: Any) -> Any:
    """A decoded DAG-CBOR value in the atproto JSON form: links {"$link"}, bytes {"$bytes"}."""
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, Cid):
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
        parts = libipld.decode_cid(value)
    except Exception:
        return None
    if parts.get("version") != 1:
        return None
    return str(Cid(value))
