"""Repo CARs built here to attack the reader: a minimal DAG-CBOR encoder (links as tag 42, as
https://ipld.io/specs/codecs/dag-cbor/spec/ writes them) and the CARv1 framing
(https://ipld.io/specs/transport/car/carv1/: a varint-prefixed header, then per block a varint
length, the CID and the bytes)."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Link:
    cid: bytes  # binary CIDv1


@dataclass(frozen=True)
class Raw:
    data: bytes  # CBOR bytes, written as they are


def cid_of(data: bytes) -> bytes:
    """CIDv1, dag-cbor (0x71), sha2-256 (0x12, 32 bytes)."""
    return b"\x01\x71\x12\x20" + hashlib.sha256(data).digest()


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for code, size, fmt in ((24, 1, ">B"), (25, 2, ">H"), (26, 4, ">I"), (27, 8, ">Q")):
        if value < 1 << (8 * size):
            return bytes([major << 5 | code]) + struct.pack(fmt, value)
    raise ValueError(value)


def encode(value: Any) -> bytes:
    if value is None:
        return b"\xf6"
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return _head(3, len(data)) + data
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(encode(item) for item in value)
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: (len(key.encode()), key.encode()))
        return _head(5, len(keys)) + b"".join(encode(key) + encode(value[key]) for key in keys)
    if isinstance(value, Raw):
        return value.data
    if isinstance(value, Link):
        return b"\xd8\x2a" + encode(b"\x00" + value.cid)
    raise TypeError(type(value))


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def car_bytes(root: bytes, blocks: list[tuple[bytes, bytes]]) -> bytes:
    header = encode({"roots": [Link(root)], "version": 1})
    out = varint(len(header)) + header
    for cid, data in blocks:
        out += varint(len(cid) + len(data)) + cid + data
    return out


class RepoBuilder:
    """Blocks by CID, a commit naming an MST root."""

    def __init__(self) -> None:
        self.blocks: list[tuple[bytes, bytes]] = []

    def add(self, value: Any) -> bytes:
        data = encode(value)
        cid = cid_of(data)
        self.blocks.append((cid, data))
        return cid

    def commit(self, data: bytes, did: str = "did:plc:attacker") -> bytes:
        return self.add({"did": did, "version": 3, "data": Link(data), "rev": "3k", "sig": b"x"})

    def car(self, root: bytes) -> bytes:
        return car_bytes(root, self.blocks)


def post(text: str) -> dict[str, Any]:
    return {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2024-01-01T00:00:00Z"}


def entry(key: str, value: bytes, prefix: int = 0, tree: bytes | None = None) -> dict[str, Any]:
    return {"k": key.encode(), "p": prefix, "v": Link(value), "t": Link(tree) if tree else None}
