"""Record keys: valid TIDs derived deterministically from an idempotency key.

https://atproto.com/specs/tid (13 characters of base32-sortable: a 53-bit microsecond timestamp
shifted left 10 bits, or'ed with a 10-bit clock id; the top bit is always 0).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")

# Without a date, the timestamp part is drawn from the key's hash inside a window that lies in the
# past (2023-06-01 plus up to about 1.1 years), so a derived key never claims a future time.
_WINDOW_START_US = int(datetime(2023, 6, 1, tzinfo=UTC).timestamp() * 1_000_000)
_WINDOW_BITS = 45
# With a date, the timestamp keeps it to the millisecond and the microseconds below come from the
# hash: keys sort by date (a second apart never swap), and the chunks of one thread, which share
# a date, still get distinct keys (the clock id and the microseconds: 20 bits of the hash).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROS = timedelta(microseconds=1)
_SUB_MILLI = 1000


def encode_tid(timestamp_us: int, clock_id: int) -> str:
    if not 0 <= timestamp_us < 2**53 or not 0 <= clock_id < 2**10:
        raise ValueError("TID timestamp must fit 53 bits and clock id 10 bits")
    value = (timestamp_us << 10) | clock_id
    return "".join(ALPHABET[(value >> (5 * (12 - i))) & 31] for i in range(13))


def decode_tid(tid: str) -> tuple[int, int]:
    """(microsecond timestamp, clock id) of a TID."""
    if not is_tid(tid):
        raise ValueError(f"{tid!r} is not a valid TID")
    value = 0
    for char in tid:
        value = value * 32 + ALPHABET.index(char)
    return value >> 10, value & 1023


def is_tid(value: str) -> bool:
    return TID_RE.match(value) is not None


def tid_from_key(key: str, when: datetime | None = None) -> str:
    """The record key for an idempotency key: the same TID for the same inputs on every run, on
    every machine (nothing of the run's own, such as the time now, goes in).

    `when` (a date of the source post: the one a migration keeps, or the source's own) puts the
    key at that millisecond, so records sort by it in the repo; without it, the timestamp comes
    from the key's hash (see the module notes). The clock id is always the hash's.
    """
    digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:16], "big")
    clock_id = digest & 1023
    noise = digest >> 10
    if when is None:
        timestamp = _WINDOW_START_US + (noise % 2**_WINDOW_BITS)
    else:
        aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        micros = (aware - _EPOCH) // _MICROS  # exact: no float rounding across runs
        timestamp = micros - micros % _SUB_MILLI + noise % _SUB_MILLI
        timestamp = min(max(timestamp, 0), 2**53 - 1)
    return encode_tid(timestamp, clock_id)
