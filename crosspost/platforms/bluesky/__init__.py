"""The Bluesky adapter: convert records, publish and read through a PDS, import repo CAR exports.

https://docs.bsky.app/docs/api/at-protocol-xrpc-api

The names below load their modules on first use: importing a converter (record, convert) must
not pull in the atproto SDK, which takes most of a second.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "read_car": "car",
    "BlueskyClient": "client",
    "ORIGIN_FIELD": "convert",
    "from_draft": "convert",
    "to_post": "convert",
    "tid_from_key": "tid",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
