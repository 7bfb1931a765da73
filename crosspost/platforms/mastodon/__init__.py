"""The Mastodon adapter: read, write and import the account archive.

https://docs.joinmastodon.org/client/intro/

The names below load their modules on first use: importing a converter must not pull in
Mastodon.py and requests.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "read_archive": "archive",
    "MastodonClient": "client",
    "to_post": "convert",
    "limits_from_instance": "instance",
    "from_draft": "write",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
