"""`crosspost import`: an official export into the backup layout, beside API backups.

A post already in the backup is kept as it is (an API copy is at least as fresh as an export);
importing the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crosspost.backup.manifest import load_manifest, save_manifest
from crosspost.backup.media import MediaCheckError, store_bytes
from crosspost.backup.store import AccountBackup, BackupStore
from crosspost.errors import DataError
from crosspost.exports.read import read_export
from crosspost.model import Media, Post
from crosspost.platforms.export import Export
from crosspost.progress import NoProgress, Progress


@dataclass
class ImportResult:
    kind: str
    platform: str
    account: str
    folder: Path
    new: int = 0
    kept: int = 0
    media_stored: int = 0
    media_absent: int = 0  # named by a post, not in the export (Bluesky exports hold no blobs)
    skipped: list[str] = field(default_factory=list)

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
            "skipped": self.skipped,
        }


def import_export(path: Path, store: BackupStore, progress: Progress | None = None) -> ImportResult:
    progress = progress or NoProgress()
    kind, export = read_export(path)
    backup = store.account(export.platform, export.account)
    result = ImportResult(kind, export.platform.value, export.account, backup.folder)
    result.skipped = list(export.skipped)
    manifest = load_manifest(backup)
    progress.start("posts")
    try:
        for post in export.posts:
            progress.advance("posts")
            if backup.has_post(post.ref.id):
                result.kept += 1
                continue
            post = _with_media(backup, export, post, result)
            backup.save_post(post)
            manifest.note_newest(post.ref.id, post.created_at)
            result.new += 1
    except DataError as error:
        raise DataError(f"{path}: {error}") from None
    finally:
        progress.finish("posts")
    if manifest.source == "api" and manifest.run is None and not manifest.last_run:
        manifest.source = kind
        manifest.complete = True
    manifest.posts = sum(1 for _ in backup.iter_post_ids())
    manifest.last_run = {
        **manifest.last_run,
        "imported": str(path.name),
        "imported_new": result.new,
    }
    save_manifest(backup, manifest)
    return result


def _with_media(backup: AccountBackup, export: Export, post: Post, result: ImportResult) -> Post:
    media: list[Media] = []
    for item in post.media:
        data = export.media_bytes(item)
        # The export's own path (a member name) never reaches the backup: only our hash does.
        bare = replace(item, local_path=None, sha256=None)
        if data is None:
            result.media_absent += 1
            media.append(bare)
            continue
        try:
            media.append(store_bytes(backup, replace(bare, size=None), data))
            result.media_stored += 1
        except MediaCheckError as error:
            result.skipped.append(f"{post.ref.id}: media {item.url}: {error}")
            media.append(bare)
    return post.with_changes(media=tuple(media))
