"""What an export reader gives: the account, its posts, and the media bytes it holds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crosspost.model import Media, Platform, Post


@dataclass(frozen=True)
class Export:
    platform: Platform
    account: str  # the folder name the backup uses: a DID, a user@host handle
    posts: Iterable[Post]
    skipped: list[str]  # one line per thing left out, and why
    media_bytes: Callable[[Media], bytes | None]  # the file an item names inside the export
