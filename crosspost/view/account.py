"""Read what a backup keeps of each account besides its posts: the profile as last read, the
earlier profiles (with when each was saved), and the collections (likes, follows, lists, ...).

A damaged file is left out of the site with a note saying which; the rest renders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from crosspost.account_data import Collection, Profile, entries_from_json
from crosspost.account_data import Entry as Saved
from crosspost.backup.account_files import (
    PROFILE_VERSIONS,
    collection_path,
    profile_path,
    saved_collections,
)
from crosspost.backup.store import AccountBackup, read_json
from crosspost.errors import DataError, InvalidPostError
from crosspost.progress import Progress

_UNSLUG = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class SavedProfile:
    profile: Profile
    saved_at: datetime | None  # when the backup last wrote it (it was still so then)


@dataclass(frozen=True)
class SavedCollection:
    kind: Collection
    entries: list[Saved]  # newest first, as saved
    complete: bool  # the last run read it to its end


@dataclass
class AccountData:
    """One account folder's profile and collections, and where its pages live."""

    backup: AccountBackup
    slug: str  # accounts/<slug>.html; collections under accounts/<slug>/
    profile: SavedProfile | None
    earlier: list[SavedProfile]  # oldest first
    collections: dict[Collection, SavedCollection] = field(default_factory=dict)

    @property
    def page(self) -> str:
        return f"accounts/{self.slug}.html"

    def collection_page(self, kind: Collection) -> str:
        return f"accounts/{self.slug}/{kind.value}.html"


def account_slug(backup: AccountBackup) -> str:
    """A file name for an account's pages: the platform and the folder's account name (which a
    handle change does not rename), with a short hash when characters had to be replaced."""
    folded = backup.account.casefold()
    slug = _UNSLUG.sub("-", folded).strip("-.")[:60]
    if slug != folded or not slug:
        digest = hashlib.sha256(backup.account.encode()).hexdigest()[:8]
        slug = f"{slug}-{digest}" if slug else digest
    return f"{backup.platform.value}-{slug}"


def load_accounts(accounts: list[AccountBackup], progress: Progress) -> list[AccountData]:
    return [_load(backup, progress) for backup in accounts]


def _load(backup: AccountBackup, progress: Progress) -> AccountData:
    profile = _profile(profile_path(backup), progress)
    earlier = [
        found
        for path in _numbered(backup.folder / PROFILE_VERSIONS)
        if (found := _profile(path, progress)) is not None
    ]
    data = AccountData(backup, account_slug(backup), profile, earlier)
    for kind in saved_collections(backup):
        if kind.answers_posts:  # comments: shown under their posts (comments.py)
            continue
        collection = _collection(backup, kind, progress)
        if collection is not None:
            data.collections[kind] = collection
    return data


def _profile(path: Path, progress: Progress) -> SavedProfile | None:
    if not path.is_file():
        return None
    try:
        document = read_json(path)
        profile = Profile.from_json(document["profile"])
    except DataError as error:
        progress.note(f"{error}: left out of the site")
        return None
    except (KeyError, TypeError, InvalidPostError) as error:
        progress.note(f"{path}: not a profile this version wrote ({error}); left out of the site")
        return None
    return SavedProfile(profile, _time(document.get("saved_at")))


def _collection(
    backup: AccountBackup, kind: Collection, progress: Progress
) -> SavedCollection | None:
    """A collection file read once (its header and entries together: 10,000 likes are one
    large file)."""
    path = collection_path(backup, kind)
    try:
        document: Any = read_json(path)
        if not isinstance(document, Mapping):
            raise InvalidPostError("not a collection")
        entries = entries_from_json(document.get("entries"), str(path))
    except DataError as error:
        progress.note(f"{error}: left out of the site")
        return None
    except (InvalidPostError, TypeError, ValueError) as error:
        progress.note(f"{path}: not a collection this version wrote ({error}); left out")
        return None
    return SavedCollection(kind, entries, bool(document.get("complete")))


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _numbered(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("[0-9]*.json") if p.stem.isdigit())
