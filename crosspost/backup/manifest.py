"""The manifest of one account's backup: what was saved, and where an interrupted run resumes.

It is rewritten atomically after every page, so a killed run leaves the last page's checkpoint.
A run in progress keeps its mode, frozen stop boundary and next cursor under `run`; the ids it
has listed go to an append-only journal beside it (`.state/seen.txt`), so a resumed `--full` run
still knows every post it saw before the interruption without rewriting a large manifest.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from crosspost import __version__
from crosspost.backup.platform_count import PlatformCount
from crosspost.backup.store import AccountBackup, make_private_dirs
from crosspost.errors import DataError

JOURNAL = Path(".state") / "seen.txt"


@dataclass
class RunState:
    """A run that has not finished: enough to continue it from the next page."""

    mode: str  # "incremental" or "full"
    started_at: str
    cursor: str | None = None
    pages: int = 0
    boundary: str | None = None  # incremental: stop once older posts are all known
    since: str | None = None
    media: bool = True
    listed: bool = False  # the listing is over; what is left is media retries and deletions
    changes_after: str | None = None  # lists only the posts changed after this mark (ListsChanges)

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "started_at": self.started_at,
            "cursor": self.cursor,
            "pages": self.pages,
            "boundary": self.boundary,
            "since": self.since,
            "media": self.media,
            "listed": self.listed,
            "changes_after": self.changes_after,
        }

    @classmethod
    def from_json(cls, data: Any) -> RunState | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                mode=str(data["mode"]),
                started_at=str(data["started_at"]),
                cursor=data.get("cursor"),
                pages=int(data.get("pages", 0)),
                boundary=data.get("boundary"),
                since=data.get("since"),
                media=bool(data.get("media", True)),
                listed=bool(data.get("listed", False)),
                changes_after=data.get("changes_after") or None,
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class Manifest:
    platform: str
    account: str
    newest_id: str | None = None
    newest_at: str | None = None  # created_at of the newest saved post (ISO 8601)
    run: RunState | None = None
    complete: bool = False
    posts: int = 0
    deleted: int = 0
    last_run: dict[str, Any] = field(default_factory=dict)
    missing_media: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    source: str = "api"  # "api", or the kind of export imported ("bluesky-car", ...)
    stable_id: str | None = None  # the account's permanent id (a DID), when it has one
    handle: str | None = None  # the handle it had at the last run
    account_data: dict[str, Any] = field(default_factory=dict)  # profile and collection counts
    # The visibilities the last complete run could read (Visibility values); None: not known.
    sees: list[str] | None = None
    # Posts whose saved file was damaged and moved to quarantine/: fetched again by the next run.
    refetch: list[str] = field(default_factory=list)
    # How many posts the platform counted at the end of the last complete run (None: it did
    # not say, or the manifest is older than this field).
    platform_count: PlatformCount | None = None
    # Where the last whole listing left the platform's list of changes (ListsChanges): the next
    # incremental run lists only the posts changed after it.
    change_mark: str | None = None

    @property
    def newest(self) -> datetime | None:
        return datetime.fromisoformat(self.newest_at) if self.newest_at else None

    def note_newest(self, post_id: str, created_at: datetime) -> None:
        if self.newest is None or created_at > self.newest:
            self.newest_id, self.newest_at = post_id, created_at.isoformat()

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": f"crosspost {__version__}",
            "platform": self.platform,
            "account": self.account,
            "newest": {"id": self.newest_id, "created_at": self.newest_at},
            "run": self.run.to_json() if self.run else None,
            "complete": self.complete,
            "counts": {
                "posts": self.posts,
                "deleted": self.deleted,
                "media_missing": sum(
                    1 for v in self.missing_media.values() for m in v if not m.get("skipped")
                ),
            },
            "last_run": self.last_run,
            "missing_media": self.missing_media,
            "source": self.source,
            "stable_id": self.stable_id,
            "handle": self.handle,
            "account_data": self.account_data,
            "sees": self.sees,
            "refetch": self.refetch,
            "platform_count": self.platform_count.to_json() if self.platform_count else None,
            "change_mark": self.change_mark,
        }


def damaged_manifest(backup: AccountBackup, what: str) -> DataError:
    """The error for a manifest that cannot be used, with the repair: it only indexes the files
    beside it, so setting it aside loses nothing and the next backup rebuilds it."""
    return DataError(
        f"{backup.manifest_path}: {what}. The manifest only indexes the files beside it: "
        f"`crosspost repair {backup.folder}` sets it aside, and the next backup rebuilds it"
    )


def load_manifest(backup: AccountBackup) -> Manifest:
    """The account's manifest (an empty one where there is none yet). One validation for every
    reader: backup, import, verify and repair refuse or report the same damage."""
    try:
        data = backup.read_manifest()
    except DataError as error:
        if "newer crosspost" in str(error):
            raise
        raise damaged_manifest(backup, "cannot be read (its JSON is damaged)") from None
    if not isinstance(data, dict):
        raise damaged_manifest(backup, "not a manifest")
    manifest = Manifest(backup.platform.value, backup.account)
    if not data:
        return manifest
    try:
        newest = data.get("newest") or {}
        counts = data.get("counts") or {}
        manifest.newest_id = newest.get("id")
        manifest.newest_at = newest.get("created_at")
        if manifest.newest_at:
            datetime.fromisoformat(manifest.newest_at)
        manifest.run = RunState.from_json(data.get("run"))
        manifest.complete = bool(data.get("complete"))
        manifest.posts = int(counts.get("posts", 0))
        manifest.deleted = int(counts.get("deleted", 0))
        manifest.last_run = dict(data.get("last_run") or {})
        manifest.missing_media = {
            str(k): list(v) for k, v in dict(data.get("missing_media") or {}).items()
        }
        manifest.source = str(data.get("source") or "api")
        manifest.stable_id = data.get("stable_id") or None
        manifest.handle = data.get("handle") or None
        manifest.account_data = dict(data.get("account_data") or {})
        sees = data.get("sees")
        manifest.sees = [str(v) for v in sees] if isinstance(sees, list) else None
        manifest.refetch = [str(v) for v in data.get("refetch") or []]
        manifest.platform_count = PlatformCount.from_json(data.get("platform_count"))
        mark = data.get("change_mark")
        manifest.change_mark = mark if isinstance(mark, str) and mark else None
    except (AttributeError, TypeError, ValueError, DataError) as error:
        raise damaged_manifest(backup, f"not a manifest this version wrote ({error})") from None
    return manifest


def save_manifest(backup: AccountBackup, manifest: Manifest) -> None:
    backup.write_manifest(manifest.to_json())


class Journal:
    """The ids a run has listed, appended page by page (fsynced before the checkpoint)."""

    def __init__(self, backup: AccountBackup) -> None:
        self.path = backup.folder / JOURNAL

    def read(self) -> set[str]:
        if not self.path.exists():
            return set()
        text = self.path.read_text(encoding="utf-8", errors="replace")
        # A line cut short by a crash has no newline yet: it is dropped (its page is re-read).
        lines = text.split("\n")
        return {line for line in lines[:-1] if line}

    def append(self, ids: Iterable[str]) -> None:
        lines = "".join(f"{i}\n" for i in ids if "\n" not in i)
        if not lines:
            return
        make_private_dirs(self.path.parent)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, lines.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
