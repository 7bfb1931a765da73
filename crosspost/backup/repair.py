"""`crosspost repair`: move what `verify` finds damaged out of the way, so the next backup
fetches it again.

A media file whose bytes no longer match their hash, and a post, earlier version, profile or
collection file that no longer parses, are moved to `<account>/quarantine/` (never deleted). The
manifest then records what the next backup fetches: each damaged post (by its id, from the file
name) and the media of every post that named a quarantined file. A profile and collections are
read again by every backup anyway. An earlier version cannot be fetched again (the platform may
not keep it): it stays in quarantine/ for a person to look at.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crosspost.account_data import Collection
from crosspost.backup.account_files import (
    collection_path,
    load_collection,
    load_profile,
    profile_path,
)
from crosspost.backup.lock import AccountLock
from crosspost.backup.manifest import load_manifest, save_manifest
from crosspost.backup.media import Missing, all_media
from crosspost.backup.store import (
    TEMP_SUFFIX,
    AccountBackup,
    BackupStore,
    quarantine,
    unsafe_name,
)
from crosspost.errors import DataError

_CHUNK = 1 << 20


@dataclass
class RepairReport:
    root: Path
    accounts: int = 0
    moved: list[Path] = field(default_factory=list)  # where each damaged file went
    posts: int = 0  # damaged posts the next backup fetches again
    media: int = 0  # damaged media files the next backup downloads again
    kept: list[str] = field(default_factory=list)  # what cannot be fetched again, and why

    def to_json(self) -> dict[str, object]:
        return {
            "root": str(self.root),
            "accounts": self.accounts,
            "quarantined": [str(p) for p in self.moved],
            "posts": self.posts,
            "media": self.media,
            "kept": self.kept,
        }


def repair_backup(root: Path, accounts: Sequence[AccountBackup] | None = None) -> RepairReport:
    """Quarantine the damaged files of every account in `root` (or of `accounts`)."""
    if not root.is_dir():
        raise DataError(f"{root}: no such backup folder")
    report = RepairReport(root)
    for backup in list(accounts) if accounts is not None else BackupStore(root).accounts():
        report.accounts += 1
        with AccountLock(backup.folder):  # never under a backup that is writing
            _repair_account(backup, report)
    return report


def _repair_account(backup: AccountBackup, report: RepairReport) -> None:
    try:
        manifest = load_manifest(backup)
    except DataError:
        # The manifest only indexes the files beside it: set aside, the next backup rebuilds it.
        report.moved.append(quarantine(backup, backup.manifest_path))
        manifest = load_manifest(backup)
    damaged_media = _damaged_media(backup, report)
    report.media += len(damaged_media)
    for path in sorted(backup.posts_dir.glob("*.json")) if backup.posts_dir.is_dir() else []:
        post_id = unsafe_name(path.stem)
        try:
            post = backup.read_post_file(path)
        except DataError:
            report.moved.append(quarantine(backup, path))
            report.posts += 1
            if post_id not in manifest.refetch:
                manifest.refetch.append(post_id)
            continue
        lost = [
            Missing(m.url, "damaged file quarantined", False)
            for m in all_media(post)
            if m.url and m.sha256 in damaged_media
        ]
        if lost:
            known = manifest.missing_media.get(post_id, [])
            urls = {str(m.get("url")) for m in known}
            known += [m.to_json() for m in lost if m.url not in urls]
            manifest.missing_media[post_id] = known
    _repair_versions(backup, report)
    _repair_account_data(backup, report)
    save_manifest(backup, manifest)


def _damaged_media(backup: AccountBackup, report: RepairReport) -> set[str]:
    """The hashes of media files whose bytes no longer match them (the files moved)."""
    folder = backup.folder / "media"
    damaged = set()
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    for path in files:
        digest = path.name.split(".", 1)[0]
        if path.name.endswith(TEMP_SUFFIX) or len(digest) != 64:
            continue
        if _sha256(path) != digest:
            report.moved.append(quarantine(backup, path))
            damaged.add(digest)
    return damaged


def _repair_versions(backup: AccountBackup, report: RepairReport) -> None:
    folder = backup.folder / "versions"
    if not folder.is_dir():
        return
    for post_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in backup.version_files(unsafe_name(post_folder.name)):
            try:
                backup.read_post_file(path)
            except DataError:
                moved = quarantine(backup, path)
                report.moved.append(moved)
                report.kept.append(f"{moved}: an earlier version; it cannot be fetched again")


def _repair_account_data(backup: AccountBackup, report: RepairReport) -> None:
    """A profile or collection file that does not parse: quarantined (the next backup reads
    the profile, and each collection, from the platform again)."""
    try:
        load_profile(backup)
    except DataError:
        report.moved.append(quarantine(backup, profile_path(backup)))
    for kind in Collection:
        path = collection_path(backup, kind)
        if not path.is_file():
            continue
        try:
            load_collection(backup, kind)
        except DataError:
            report.moved.append(quarantine(backup, path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
