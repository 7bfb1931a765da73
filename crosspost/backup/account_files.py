"""An account's profile and collections in its backup folder.

```
profile.json                 the profile as last read ({"profile": ..., "saved_at": ...})
profile.versions/<n>.json    earlier profiles, oldest first: kept when what it says changed
collections/<kind>.json      {"kind": ..., "complete": ..., "entries": [...]}, newest first
collections/<file>           the same in the platform's own import format, where it has one
                             (Mastodon's following_accounts.csv, ...; Bluesky's DID lists)
```
Each file is written atomically, like a post's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from crosspost.account_data import Collection, Entry, Profile, entries_from_json
from crosspost.backup.store import AccountBackup, atomic_write_bytes, atomic_write_json, read_json
from crosspost.errors import DataError, InvalidPostError
from crosspost.platforms.registry import spec

PROFILE = "profile.json"
PROFILE_VERSIONS = "profile.versions"
COLLECTIONS = "collections"


def profile_path(backup: AccountBackup) -> Path:
    return backup.folder / PROFILE


def collection_path(backup: AccountBackup, kind: Collection) -> Path:
    return backup.folder / COLLECTIONS / f"{kind.value}.json"


def load_profile(backup: AccountBackup) -> Profile | None:
    """The saved profile, or None when there is none; DataError when the file is damaged."""
    path = profile_path(backup)
    if not path.exists():
        return None
    document = read_json(path)
    try:
        return Profile.from_json(document["profile"])
    except (KeyError, TypeError, InvalidPostError) as error:
        raise DataError(f"{path}: not a profile this version wrote ({error})") from None


def profile_versions(backup: AccountBackup) -> list[Profile]:
    """Earlier profiles, oldest first (damaged files are left out)."""
    found = []
    for path in _numbered(backup.folder / PROFILE_VERSIONS):
        try:
            found.append(Profile.from_json(read_json(path)["profile"]))
        except (DataError, KeyError, TypeError, InvalidPostError):
            continue
    return found


def save_profile(backup: AccountBackup, profile: Profile, saved_at: datetime) -> str:
    """Write the profile: "new", "updated" (the one it replaces kept under profile.versions/)
    or "unchanged" (counts aside, it says what the saved one says)."""
    path = profile_path(backup)
    old_document: Any = None
    old: Profile | None = None
    try:
        old = load_profile(backup)
        old_document = read_json(path) if old is not None else None
    except DataError:
        old = None  # a damaged file is replaced
    document = {"profile": profile.to_json(), "saved_at": saved_at.isoformat()}
    if old is not None and profile.same_content(old):
        if old.counts != profile.counts or old.raw != profile.raw:
            atomic_write_json(path, document)
        return "unchanged"
    if old is not None:
        kept = _numbered(backup.folder / PROFILE_VERSIONS)
        number = int(kept[-1].stem) + 1 if kept else 1
        atomic_write_json(backup.folder / PROFILE_VERSIONS / f"{number:04d}.json", old_document)
    atomic_write_json(path, document)
    return "new" if old is None else "updated"


def load_collection(backup: AccountBackup, kind: Collection) -> list[Entry]:
    return read_collection(backup, kind)[1]


def collection_info(backup: AccountBackup, kind: Collection) -> dict[str, Any]:
    """The saved collection's header (kind, complete, count, saved_at), without its entries."""
    path = collection_path(backup, kind)
    if not path.exists():
        return {}
    return _header(kind, read_json(path), path)


def read_collection(backup: AccountBackup, kind: Collection) -> tuple[dict[str, Any], list[Entry]]:
    """The saved collection's header and entries, from one read of its file ({} and [] when
    there is none); DataError when it is damaged."""
    path = collection_path(backup, kind)
    if not path.exists():
        return {}, []
    document = read_json(path)
    header = _header(kind, document, path)
    try:
        return header, entries_from_json(document.get("entries"), str(path))
    except (AttributeError, InvalidPostError) as error:
        raise DataError(f"{path}: not a collection this version wrote ({error})") from None


def _header(kind: Collection, document: Any, path: Path) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise DataError(f"{path}: not a collection")
    entries = document.get("entries")
    return {
        "kind": kind.value,
        "complete": bool(document.get("complete")),
        "count": len(entries) if isinstance(entries, list) else 0,
        "saved_at": document.get("saved_at"),
        "source": document.get("source"),
    }


def save_collection(
    backup: AccountBackup,
    kind: Collection,
    entries: Sequence[Entry],
    saved_at: datetime,
    *,
    complete: bool,
    source: str = "api",
) -> None:
    """Write a whole collection, newest first as given. `complete`: the listing reached its
    end (a run stopped by a rate limit writes what it read, not complete)."""
    for name, text in spec(backup.platform).portable(kind, entries):
        atomic_write_bytes(backup.folder / COLLECTIONS / name, text.encode("utf-8"))
    atomic_write_json(
        collection_path(backup, kind),
        {
            "kind": kind.value,
            "complete": complete,
            "saved_at": saved_at.isoformat(),
            "source": source,
            "count": len(entries),
            "entries": [entry.to_json() for entry in entries],
        },
    )


def saved_collections(backup: AccountBackup) -> list[Collection]:
    folder = backup.folder / COLLECTIONS
    if not folder.is_dir():
        return []
    names = {path.stem for path in folder.glob("*.json")}
    return [kind for kind in Collection if kind.value in names]


def merge_newest_first(new: Iterable[Entry], old: Sequence[Entry]) -> list[Entry]:
    """New entries (newest first) above the saved ones, each id once; a new copy of an entry
    replaces the saved one (its post may have been read since)."""
    merged: dict[str, Entry] = {}
    for entry in new:
        merged.setdefault(entry.id, entry)
    for entry in old:
        merged.setdefault(entry.id, entry)
    return list(merged.values())


def _numbered(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("[0-9]*.json") if p.stem.isdigit())
