"""Content identifiers (CIDv1) and a parsed CAR, on libipld alone: what reading a repo needs
of them, without the atproto SDK's pydantic-based classes (importing those costs a backup
0.15-0.5 s before its first request).

https://github.com/multiformats/cid (a CIDv1: version, codec, multihash; shown as multibase
base32, the "b..." text) and https://ipld.io/specs/transport/car/carv1/
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libipld

BASE32 = "b"


class Cid:
    """A CID by its binary form; `str()` gives the base32 text atproto shows."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    @classmethod
    def decode(cls, text: str) -> Cid:
        """A CID from its text (ValueError when it is none)."""
        parts = libipld.decode_cid(text)
        hashed = parts["hash"]
        head = b"".join(_varint(n) for n in (parts["version"], parts["codec"], hashed["code"]))
        return cls(head + _varint(hashed["size"]) + bytes(hashed["digest"]))

    def __str__(self) -> str:
        return str(libipld.encode_multibase(BASE32, self.raw))

    def __repr__(self) -> str:
        return f"Cid({self})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cid) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)


@dataclass(frozen=True, slots=True)
class Car:
    """A CAR file read into memory: its root CID and each block, decoded, by its CID."""

    root: Cid
    blocks: dict[Cid, Any]


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
