"""`crosspost verify`: re-hash every media file, parse every post, check every reference.

Problems (exit code 7) are what makes the backup wrong: a post, earlier version, profile or
collection file that does not parse, a media file whose bytes no longer match its hash, a post
(or profile, or liked post) naming a media file that is absent, fewer posts kept than a platform
whose count is exact counted at the end of the last complete run. Notes are worth knowing but not
damage: fewer posts kept than a platform's approximate count (platform_count.py), media not
downloaded yet (skipped with --no-media, absent from an imported export, or failed) or gone from
the server, files nothing names, collections a run left unfinished, damaged files `crosspost
repair` moved to quarantine/.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crosspost.backup.account_files import (
    collection_path,
    load_profile,
    profile_path,
    read_collection,
    saved_collections,
)
from crosspost.backup.manifest import Manifest, load_manifest
from crosspost.backup.media import all_media
from crosspost.backup.platform_count import compare
from crosspost.backup.store import (
    QUARANTINE,
    TEMP_SUFFIX,
    AccountBackup,
    BackupStore,
    media_file,
    unsafe_name,
)
from crosspost.errors import DataError
from crosspost.model import Media, Post
from crosspost.progress import NoProgress, Progress

_MEDIA_NAME = re.compile(r"^([0-9a-f]{64})\.[a-z0-9]{1,8}$")
_CHUNK = 1 << 20


@dataclass
class VerifyReport:
    root: Path
    accounts: int = 0
    posts: int = 0
    versions: int = 0
    profiles: int = 0
    collections: dict[str, int] = field(default_factory=dict)  # kind -> entries, all accounts
    media_files: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Per account that has one: the posts kept beside the platform's own count of them.
    counts: list[dict[str, object]] = field(default_factory=list)
    # Of the account being checked: media a later backup fetches (recorded in the manifest, or
    # moved to quarantine/ as damaged): absent, but not damage.
    pending_urls: set[str] = field(default_factory=set, repr=False)
    pending_hashes: set[str] = field(default_factory=set, repr=False)
    live_posts: int = field(default=0, repr=False)  # posts not marked deleted, all accounts

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "root": str(self.root),
            "accounts": self.accounts,
            "posts": self.posts,
            "versions": self.versions,
            "profiles": self.profiles,
            "collections": self.collections,
            "media_files": self.media_files,
            "ok": self.ok,
            "problems": self.problems,
            "notes": self.notes,
            "counts": self.counts,
        }


def verify_backup(
    root: Path,
    progress: Progress | None = None,
    accounts: Sequence[AccountBackup] | None = None,
) -> VerifyReport:
    """Check every account in `root`, or only `accounts` (folders inside it)."""
    progress = progress or NoProgress()
    report = VerifyReport(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such backup folder")
    accounts = list(accounts) if accounts is not None else BackupStore(root).accounts()
    if not accounts:
        report.problems.append(f"{root}: no account backups in this folder")
    for backup in accounts:
        report.accounts += 1
        _verify_account(backup, report, progress)
    return report


def _verify_account(backup: AccountBackup, report: VerifyReport, progress: Progress) -> None:
    where = backup.folder.relative_to(report.root)
    loaded: Manifest | None = None
    try:
        loaded = load_manifest(backup)  # the one validation a backup applies too
        manifest = backup.read_manifest()
    except DataError as error:
        report.problems.append(str(error))
        manifest = {}
    if not manifest:
        report.notes.append(f"{where}: no manifest")
    elif manifest.get("run"):
        report.notes.append(f"{where}: a backup run was interrupted; run it again to finish")
    recorded = [m for v in (manifest.get("missing_media") or {}).values() for m in v]
    _note_recorded_media(where, recorded, report)
    known = {str(m.get("url")) for m in recorded if isinstance(m, dict)}
    report.pending_urls = known
    report.pending_hashes = _quarantined_hashes(backup)
    absent: set[str] = set()
    kept_before = report.live_posts
    referenced = _verify_posts(backup, report, progress, absent)
    if loaded is not None:
        _compare_count(loaded, report.live_posts - kept_before, where, report)
    if absent := absent - known:
        report.notes.append(
            f"{where}: {_files(len(absent))} named by posts {_is(len(absent))} not in the backup "
            "yet; the next backup fetches them"
        )
    if refetch := manifest.get("refetch"):
        report.notes.append(
            f"{where}: {_files(len(refetch), 'damaged post')} moved to quarantine/; the next "
            "backup fetches them again"
        )
    referenced |= _verify_versions(backup, report)
    referenced |= _verify_account_data(backup, report)
    _verify_media(backup, report, referenced, progress)
    for leftover in backup.folder.rglob(f".w*{TEMP_SUFFIX}"):
        report.notes.append(f"{leftover}: left by an interrupted write; the next backup removes it")


def _compare_count(manifest: Manifest, kept: int, where: Path, report: VerifyReport) -> None:
    """The posts kept (not marked deleted) beside the platform's count at the last complete
    run; fewer is a problem where the count is exact, else a note saying what to run."""
    count = manifest.platform_count
    if count is None:
        return
    report.counts.append(
        {"account": str(where), "kept": kept, "counted": count.posts, "exact": count.exact,
         "counted_at": count.counted_at}
    )  # fmt: skip
    identity = manifest.handle or manifest.account
    command = f"crosspost backup {manifest.platform}:{identity} --full --dir {report.root}"
    shortfall = compare(count, kept, str(where), command)
    if shortfall is not None:
        (report.problems if shortfall.problem else report.notes).append(shortfall.message)


def _note_recorded_media(where: Path, recorded: list[object], report: VerifyReport) -> None:
    """What the manifest records of media not stored: left out on purpose (--no-media), gone
    from the server, or not downloaded (an error, a rate limit): notes, not damage."""
    entries = [m for m in recorded if isinstance(m, dict)]
    skipped = sum(1 for m in entries if m.get("skipped"))
    gone = sum(1 for m in entries if m.get("gone") and not m.get("skipped"))
    failed = len(entries) - skipped - gone
    if skipped:
        report.notes.append(
            f"{where}: {_files(skipped)} not downloaded on purpose (--no-media); a backup "
            "without --no-media fetches them"
        )
    if failed:
        report.notes.append(
            f"{where}: {_files(failed)} could not be downloaded yet; the next backup tries again"
        )
    if gone:
        report.notes.append(
            f"{where}: {_files(gone)} no longer on the server (`backup --full` asks again)"
        )


def _quarantined_hashes(backup: AccountBackup) -> set[str]:
    folder = backup.folder / QUARANTINE / "media"
    if not folder.is_dir():
        return set()
    return {m.group(1) for p in folder.iterdir() if (m := _MEDIA_NAME.match(p.name))}


def _files(count: int, what: str = "media file") -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


def _is(count: int) -> str:
    return "is" if count == 1 else "are"


def _verify_posts(
    backup: AccountBackup, report: VerifyReport, progress: Progress, absent: set[str]
) -> set[Path]:
    referenced: set[Path] = set()
    paths = sorted(backup.posts_dir.glob("*.json")) if backup.posts_dir.is_dir() else []
    progress.start("posts", len(paths))
    for path in paths:
        progress.advance("posts")
        try:
            post = backup.read_post_file(path)
        except DataError as error:
            report.problems.append(str(error))
            continue
        report.posts += 1
        report.live_posts += not post.deleted
        if post.ref.id != unsafe_name(path.stem):
            report.problems.append(
                f"{path}: holds post {post.ref.id!r}, not the one it is named for"
            )
        referenced |= _check_media_refs(backup, post, path, report)
        absent.update(m.url for m in all_media(post) if m.url and not m.local_path)
    progress.finish("posts")
    return referenced


def _verify_versions(backup: AccountBackup, report: VerifyReport) -> set[Path]:
    referenced: set[Path] = set()
    folder = backup.folder / "versions"
    if not folder.is_dir():
        return referenced
    for post_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in backup.version_files(unsafe_name(post_folder.name)):
            try:
                version = backup.read_post_file(path)
            except DataError as error:
                report.problems.append(str(error))
                continue
            report.versions += 1
            referenced |= _check_media_refs(backup, version, path, report)
    return referenced


def _verify_account_data(backup: AccountBackup, report: VerifyReport) -> set[Path]:
    """The profile (and earlier ones) and each collection parse, and name only files kept."""
    referenced: set[Path] = set()
    where = backup.folder.relative_to(report.root)
    try:
        profile = load_profile(backup)
    except DataError as error:
        report.problems.append(str(error))
        profile = None
    if profile is not None:
        report.profiles += 1
        referenced |= _check_files(backup, profile.media(), profile_path(backup), report)
    for kind in saved_collections(backup):
        path = collection_path(backup, kind)
        try:
            info, entries = read_collection(backup, kind)
        except DataError as error:
            report.problems.append(str(error))
            continue
        report.collections[kind.value] = report.collections.get(kind.value, 0) + len(entries)
        if not info.get("complete"):
            report.notes.append(
                f"{where}: {kind.value} were not all read (a run stopped early); the next "
                "backup reads the rest"
            )
        for entry in entries:
            if entry.post is not None:
                referenced |= _check_media_refs(backup, entry.post, path, report)
    return referenced


def _check_media_refs(
    backup: AccountBackup, post: Post, path: Path, report: VerifyReport
) -> set[Path]:
    return _check_files(backup, all_media(post), path, report)


def _check_files(
    backup: AccountBackup, media: Iterable[Media], path: Path, report: VerifyReport
) -> set[Path]:
    found: set[Path] = set()
    for item in media:
        if not item.local_path:
            continue
        target = media_file(backup, item.local_path)
        if target is None:
            report.problems.append(f"{path}: media path {item.local_path!r} leaves the backup")
            continue
        if not target.is_file():
            if item.url not in report.pending_urls and item.sha256 not in report.pending_hashes:
                report.problems.append(f"{path}: media file {item.local_path} is missing")
            continue
        found.add(target)
        match = _MEDIA_NAME.match(target.name)
        if item.sha256 and (match is None or match.group(1) != item.sha256):
            report.problems.append(f"{path}: media {item.local_path} is not the file it names")
        if item.size is not None and target.stat().st_size != item.size:
            report.problems.append(
                f"{path}: media {item.local_path} has {target.stat().st_size} bytes, "
                f"the post says {item.size}"
            )
    return found


def _verify_media(
    backup: AccountBackup, report: VerifyReport, referenced: set[Path], progress: Progress
) -> None:
    folder = backup.folder / "media"
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    files = [p for p in files if not p.name.endswith(TEMP_SUFFIX)]
    progress.start("media", len(files))
    for path in files:
        progress.advance("media")
        report.media_files += 1
        match = _MEDIA_NAME.match(path.name)
        if match is None or path.parent.name != path.name[:2]:
            report.problems.append(f"{path}: not a media file name this backup writes")
            continue
        if _sha256(path) != match.group(1):
            report.problems.append(f"{path}: the bytes no longer match their hash (corrupt)")
        if path.resolve() not in referenced:
            report.notes.append(f"{path}: nothing in the backup names this file")
    progress.finish("media")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
