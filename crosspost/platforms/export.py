"""What an export reader gives: the account, its posts, its profile and collections, and the
media bytes it holds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from crosspost.account_data import Collection, Entry, Profile
from crosspost.model import Media, Platform, Post


@dataclass(frozen=True)
class Export:
    platform: Platform
    account: str  # the account's permanent id where the export names one: a DID, a user@host
    posts: Iterable[Post]
    skipped: list[str]  # one line per thing left out, and why
    media_bytes: Callable[[Media], bytes | None]  # the file an item names inside the export
    # Read when `posts` has been consumed (a streamed export meets them on the way).
    profile: Callable[[], Profile | None] = lambda: None
    collections: Callable[[], Mapping[Collection, Sequence[Entry]]] = dict
    handle: str = ""  # the handle, where the export says it (names the backup's folder)
    skipped_counts: dict[str, int] = field(default_factory=dict)  # kind of thing -> how many
