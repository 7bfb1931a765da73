"""What an export reader gives: the account, its posts, its profile and collections, and the
media files it holds.

An export that holds files (a Mastodon archive: often gigabytes as a tar.gz, which can only be
read front to back) is read in one pass by `Export.read_files(sink)`: each file goes to the
sink as it is met, and the export as read comes back. Its posts' and profile's media name those
files by `Media.local_path` (the member name the sink was given).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from crosspost.account_data import Collection, Entry, Profile
from crosspost.model import Media, Platform, Post

# Takes one file of the export, by its member name, while the export is being read: the stream
# is good only during the call.
FileSink = Callable[[str, IO[bytes]], None]
EXAMPLES = 3  # per kind of thing skipped, the first few named


@dataclass(frozen=True)
class Export:
    platform: Platform
    account: str  # the account's permanent id where the export names one: a DID, a user@host
    posts: Iterable[Post]
    skipped: list[str]  # one line per kind of thing left out: how many, why, which
    media_bytes: Callable[[Media], bytes | None]  # the file an item names inside the export
    # Read when `posts` has been consumed (a streamed export meets them on the way).
    profile: Callable[[], Profile | None] = lambda: None
    collections: Callable[[], Mapping[Collection, Sequence[Entry]]] = dict
    handle: str = ""  # the handle, where the export says it (names the backup's folder)
    stable_id: str | None = None  # the permanent id (a DID): finds the account's folder
    total_posts: Callable[[], int | None] = lambda: None  # at most this many posts, if known
    skipped_counts: dict[str, int] = field(default_factory=dict)  # kind of thing -> how many
    # None: this Export is all there is (a repo CAR holds no files). Else the one pass over
    # the file, each file held handed to the sink; it returns the export as read.
    read_files: Callable[[FileSink], Export] | None = None


class Skipped:
    """What a reader left out, counted by kind ("Announce without a boosted post"), with the
    first few of each kind named, so that 3,000 of one kind make one line, not 3,000."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def note(self, kind: str, example: str = "") -> None:
        self.counts[kind] += 1
        named = self.examples.setdefault(kind, [])
        if example and len(named) < EXAMPLES:
            named.append(example)

    def lines(self) -> list[str]:
        found = []
        for kind, count in self.counts.items():
            named = self.examples.get(kind) or []
            more = ", ..." if count > len(named) and named else ""
            which = f" ({', '.join(named)}{more})" if named else ""
            found.append(f"{count} {kind}{which}")
        return found
