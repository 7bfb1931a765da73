"""`crosspost import`: an official export into the backup layout, beside API backups.

A post already in the backup is kept as it is (an API copy is at least as fresh as an export);
importing the same file twice changes nothing. The profile is saved like a backup run saves it
(an earlier one kept when it changed), and each collection is merged with the saved one.

An export holding media files is read in one pass (`Export.read_files`): each file is spooled
to disk as it is met (spool.py) and moved into the media store when a post names it, so the
time is linear in the size of the export and memory holds one chunk of a file at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crosspost.backup.account_files import (
    load_collection,
    merge_newest_first,
    save_collection,
    save_profile,
)
from crosspost.backup.manifest import Manifest, load_manifest, save_manifest
from crosspost.backup.media import MediaCheckError, store_bytes
from crosspost.backup.spool import Spool
from crosspost.backup.store import AccountBackup, BackupStore, sync_folder
from crosspost.errors import DataError
from crosspost.exports.read import read_export
from crosspost.model import Media, Post
from crosspost.platforms.export import Export, FileSink, Skipped
from crosspost.progress import NoProgress, Progress

BATCH = 200  # posts written (and synced) together
MEDIA_UNREADABLE = "media files that are not what the post says (left out)"
UNSTORABLE = "posts whose id cannot name a file (left out)"


@dataclass
class ImportResult:
    kind: str
    platform: str
    account: str
    folder: Path
    new: int = 0
    kept: int = 0
    media_stored: int = 0
    media_absent: int = 0  # named by a post or the profile, not in the export (a repo CAR)
    profile: str | None = None  # "new", "updated", "unchanged"; None: the export has none
    collections: dict[str, int] = field(default_factory=dict)  # kind -> entries in the export
    collections_new: dict[str, int] = field(default_factory=dict)  # kind -> not saved before
    skipped: list[str] = field(default_factory=list)  # per kind: how many, why, which
    skipped_counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "platform": self.platform,
            "account": self.account,
            "folder": str(self.folder),
            "new": self.new,
            "kept": self.kept,
            "media_stored": self.media_stored,
            "media_absent": self.media_absent,
            "profile": self.profile,
            "collections": dict(self.collections),
            "collections_new": dict(self.collections_new),
            "skipped": self.skipped,
            "skipped_counts": dict(self.skipped_counts),
        }

    def add_skipped(self, skipped: Skipped) -> None:
        self.skipped += skipped.lines()
        for kind, count in skipped.counts.items():
            self.skipped_counts[kind] = self.skipped_counts.get(kind, 0) + count


def _now() -> datetime:
    return datetime.now(UTC)


def import_export(
    path: Path,
    store: BackupStore,
    progress: Progress | None = None,
    now: Callable[[], datetime] = _now,
) -> ImportResult:
    progress = progress or NoProgress()
    try:
        kind, export = read_export(path)
    except DataError as error:
        raise _naming(path, error) from None
    with Spool(store.root) as spool:
        try:
            export = _read_files(export, spool.put, progress)
        except DataError as error:
            raise _naming(path, error) from None
        backup = store.locate(export.platform, export.handle or export.account, export.stable_id)
        result = ImportResult(kind, export.platform.value, export.account, backup.folder)
        target = Target(backup, load_manifest(backup), spool)
        _import_posts(path, target, export, result, progress)
        # What the export left out is all counted once its posts have been read.
        result.skipped = list(export.skipped)
        result.skipped_counts = dict(export.skipped_counts)
        profile = export.profile()
        if profile is not None:
            profile = replace(
                profile,
                avatar=_stored(target, export, profile.avatar, "profile", result),
                banner=_stored(target, export, profile.banner, "profile", result),
            )
            result.profile = save_profile(backup, profile, now())
        _import_collections(backup, export, kind, now(), result)
        spool.sync()
        result.add_skipped(target.skipped)
    _save_manifest(backup, target.manifest, kind, path, result, export)
    return result


def _naming(path: Path, error: DataError) -> DataError:
    said = str(error)
    return DataError(said if said.startswith(str(path)) else f"{path}: {said}")


def _read_files(export: Export, sink: FileSink, progress: Progress) -> Export:
    if export.read_files is None:
        return export
    progress.start("files")

    def counted(name: str, stream: Any) -> None:
        sink(name, stream)
        progress.advance("files")

    try:
        return export.read_files(counted)
    finally:
        progress.finish("files")


@dataclass(frozen=True)
class Target:
    backup: AccountBackup
    manifest: Manifest
    spool: Spool
    skipped: Skipped = field(default_factory=Skipped)  # what the import itself leaves out


def _import_posts(
    path: Path, target: Target, export: Export, result: ImportResult, progress: Progress
) -> None:
    backup = target.backup
    # An id given twice in the export: the first one kept. Only the batch not yet written is
    # held here (a written post is found on disk), not every id of a 100,000-post export.
    seen: set[str] = set()
    batch: list[Post] = []
    progress.start("posts", export.total_posts())
    try:
        for post in export.posts:
            progress.advance("posts")
            try:
                known = post.ref.id in seen or backup.has_post(post.ref.id)
            except DataError as error:  # an id no file can be named by: this post alone
                target.skipped.note(UNSTORABLE, str(error)[:120])
                continue
            if known:
                result.kept += 1
                continue
            seen.add(post.ref.id)
            media = tuple(_stored(target, export, item, post.ref.id, result) for item in post.media)
            batch.append(post.with_changes(media=media))
            if len(batch) >= BATCH:
                _save(target, batch, result)
                seen.clear()
        _save(target, batch, result)
    except DataError as error:
        raise DataError(f"{path}: {error}") from None
    finally:
        progress.finish("posts")
        sync_folder(backup.posts_dir)


def _save(target: Target, batch: list[Post], result: ImportResult) -> None:
    target.backup.save_posts(batch)
    for post in batch:
        target.manifest.note_newest(post.ref.id, post.created_at)
    result.new += len(batch)
    batch.clear()


def _stored(
    target: Target, export: Export, item: Media | None, owner: str, result: ImportResult
) -> Media | None:
    """The item with its file in the media store, or without any path when the export lacks
    it. The export's own path (a member name) never reaches the backup: only our hash does."""
    if item is None:
        return None
    bare = replace(item, local_path=None, sha256=None)
    try:
        stored = target.spool.place(target.backup, item) if item.local_path else None
        if stored is None:
            data = export.media_bytes(item)
            stored = store_bytes(target.backup, replace(bare, size=None), data) if data else None
    except MediaCheckError as error:
        target.skipped.note(MEDIA_UNREADABLE, f"{owner}: {item.url}: {error}")
        return bare
    if stored is None:
        result.media_absent += 1
        return bare
    result.media_stored += 1
    return stored


def _import_collections(
    backup: AccountBackup, export: Export, kind: str, saved_at: datetime, result: ImportResult
) -> None:
    for collection, entries in export.collections().items():
        saved = load_collection(backup, collection)
        known = {entry.id for entry in saved}
        merged = merge_newest_first(entries, saved)
        save_collection(backup, collection, merged, saved_at, complete=True, source=kind)
        result.collections[collection.value] = len(entries)
        result.collections_new[collection.value] = sum(1 for e in entries if e.id not in known)


def _save_manifest(
    backup: AccountBackup,
    manifest: Manifest,
    kind: str,
    path: Path,
    result: ImportResult,
    export: Export,
) -> None:
    manifest.stable_id = manifest.stable_id or export.stable_id
    if export.handle:
        manifest.handle = export.handle
    if manifest.source == "api" and manifest.run is None and not manifest.last_run:
        manifest.source = kind
        manifest.complete = True
    manifest.posts = backup.count_posts()
    manifest.last_run = {
        **manifest.last_run,
        "imported": str(path.name),
        "imported_new": result.new,
    }
    save_manifest(backup, manifest)
