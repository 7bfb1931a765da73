"""Read a backup folder (any mix of platforms and accounts) into what the pages are made of.

Posts are sorted newest first; tags are grouped case-insensitively; replies are grouped into
conversations by their thread root, or by following `reply_to` through the posts at hand.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from crosspost.backup.store import AccountBackup, BackupStore, safe_name
from crosspost.errors import DataError
from crosspost.model import LinkCard, Media, MediaKind, Platform, Post, PostRef, SpanKind
from crosspost.platforms.registry import spec
from crosspost.progress import NoProgress, Progress
from crosspost.view.safe import tag_key

PLATFORM_NAMES = {platform: spec(platform).display_name for platform in Platform}
_MAX_DEPTH = 6  # replies deeper than this are drawn at this indentation
THREAD_PAGE = 100  # posts on one page of a conversation


@dataclass(frozen=True)
class Entry:
    """One post of the backup, with where its page lives and which account folder holds it."""

    post: Post
    backup: AccountBackup
    slug: str  # the file name of its page under posts/, without ".html"

    @cached_property
    def key(self) -> str:
        # Asked for some twenty times per post in a render (indexes, conversations, links).
        return self.post.ref.key

    @property
    def month(self) -> str:
        return self.post.created_at.strftime("%Y-%m")


@dataclass
class Archive:
    """Everything the site shows, newest first."""

    root: Path
    entries: list[Entry]
    accounts: list[AccountBackup]
    by_key: dict[str, Entry] = field(default_factory=dict)
    tags: dict[str, list[Entry]] = field(default_factory=dict)  # tag key -> entries
    tag_names: dict[str, str] = field(default_factory=dict)  # tag key -> most used spelling
    months: dict[str, list[Entry]] = field(default_factory=dict)
    conversations: dict[str, list[tuple[Entry, int]]] = field(default_factory=dict)
    conversation_of: dict[str, str] = field(default_factory=dict)  # post key -> conversation
    place: dict[str, int] = field(default_factory=dict)  # post key -> its place in it, from 0
    real_folders: dict[Path, Path] = field(default_factory=dict)  # resolved once (media_file)
    versions: dict[str, list[Post]] = field(default_factory=dict)  # key -> earlier, oldest first

    @cached_property
    def real_root(self) -> Path:
        """The root with its links resolved, that media files must stay inside: found once, not
        once per media file (a resolve is a stat of every folder on the way)."""
        return self.root.resolve()

    def thread_href(self, entry: Entry) -> str | None:
        """Where the post is shown in its conversation ("threads/<id>.N.html#p-<slug>"), from
        the site's root; None when it is in none."""
        conversation = self.conversation_of.get(entry.key)
        if conversation is None:
            return None
        return f"{thread_page(conversation, self.place[entry.key] // THREAD_PAGE)}#p-{entry.slug}"

    def find(self, ref: PostRef | None) -> Entry | None:
        """The entry a reference points to, when the backup holds it."""
        if ref is None:
            return None
        return self.by_key.get(ref.key) or self.by_key.get(f"{ref.platform.value}::{ref.id}")


def thread_page(conversation: str, number: int) -> str:
    """The path of page `number` (from 0) of a conversation: its first page is
    threads/<id>.html, the next threads/<id>.2.html, ... in reading order, oldest first."""
    base = "threads/" + hashlib.sha256(conversation.encode()).hexdigest()[:16]
    return f"{base}.html" if number == 0 else f"{base}.{number + 1}.html"


def post_slug(post: Post) -> str:
    """A short, stable page name: the platform and a hash of the post's key."""
    digest = hashlib.sha256(post.ref.key.encode()).hexdigest()[:16]
    return f"{post.ref.platform.value}-{digest}"


def load_archive(root: Path, progress: Progress | None = None) -> Archive:
    progress = progress or NoProgress()
    if not root.is_dir():
        raise DataError(f"{root}: no such backup folder")
    accounts = BackupStore(root).accounts()
    if not accounts:
        raise DataError(
            f"{root}: no backup here (expected folders like bluesky/ACCOUNT/posts/); "
            "run `crosspost backup ACCOUNT` first"
        )
    files = sum(len(list(a.posts_dir.glob("*.json"))) for a in accounts if a.posts_dir.is_dir())
    progress.start("load posts", files)
    entries: list[Entry] = []
    for backup in accounts:
        for post in backup.iter_posts():
            entries.append(Entry(post, backup, post_slug(post)))
            progress.advance("load posts")
    progress.finish("load posts")
    entries.sort(key=lambda e: (e.post.created_at, e.key), reverse=True)
    archive = Archive(root, entries, accounts)
    _index(archive)
    _load_versions(archive, progress)
    return archive


def _load_versions(archive: Archive, progress: Progress) -> None:
    """The earlier versions of edited posts. The versions/ folder is listed once per account,
    so a backup with no edits costs one stat per account, not one per post."""
    edited: dict[AccountBackup, set[str]] = {}
    for backup in archive.accounts:
        folder = backup.folder / "versions"
        if folder.is_dir():
            with os.scandir(folder) as found:
                edited[backup] = {item.name for item in found if item.is_dir()}
    if not edited:
        return
    for entry in archive.entries:
        names = edited.get(entry.backup)
        if not names or safe_name(entry.post.ref.id) not in names:
            continue
        try:
            versions = entry.backup.load_versions(entry.post.ref.id)
        except DataError as error:
            progress.note(f"{error}: its earlier versions are left out of the site")
            continue
        if versions:
            # Kept in the order the backup met them: the version it held first, then the older
            # ones a platform's edit history brought. The original has no edit date.
            versions.sort(key=lambda post: post.edited_at or post.created_at)
            archive.versions[entry.key] = versions


def post_tags(post: Post) -> list[str]:
    """The post's tags, then hashtags written in its text, each once (case-insensitively)."""
    seen: dict[str, str] = {}
    inline = (span.value for span in post.text.spans_of(SpanKind.TAG))
    for tag in (*post.tags, *inline):
        if tag.strip():
            seen.setdefault(tag_key(tag), tag)
    return list(seen.values())


def _index(archive: Archive) -> None:
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    tags: dict[str, list[Entry]] = defaultdict(list)
    months: dict[str, list[Entry]] = defaultdict(list)
    for entry in archive.entries:
        archive.by_key[entry.key] = entry
        archive.by_key.setdefault(f"{entry.post.ref.platform.value}::{entry.post.ref.id}", entry)
        months[entry.month].append(entry)
        for tag in post_tags(entry.post):
            tags[tag_key(tag)].append(entry)
            spellings[tag_key(tag)][tag] += 1
    archive.tags = dict(sorted(tags.items()))
    archive.tag_names = {key: counts.most_common(1)[0][0] for key, counts in spellings.items()}
    archive.months = dict(sorted(months.items(), reverse=True))
    _group_conversations(archive)


def _group_conversations(archive: Archive) -> None:
    roots: dict[str, str] = {}

    def root_of(entry: Entry) -> str:
        seen: list[str] = []
        current = entry
        while current.key not in roots and current.key not in seen:
            seen.append(current.key)
            post = current.post
            parent = archive.find(post.reply_to)
            if post.thread_root is not None:
                root = archive.find(post.thread_root)
                key = root.key if root is not None else post.thread_root.key
                roots[current.key] = key
            elif parent is not None:
                current = parent
                continue
            else:
                roots[current.key] = post.reply_to.key if post.reply_to else current.key
        found = roots.get(current.key, current.key)
        for key in seen:
            roots[key] = found
        return found

    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in archive.entries:
        groups[root_of(entry)].append(entry)
    for key, members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda e: (e.post.created_at, e.key))
        inside = {member.key for member in members}  # once: a thread may be 10,000 long
        archive.conversations[key] = [(e, _depth(archive, e, inside)) for e in members]
        for place, entry in enumerate(members):
            archive.conversation_of[entry.key] = key
            archive.place[entry.key] = place


def _depth(archive: Archive, entry: Entry, inside: set[str]) -> int:
    depth, current = 0, entry
    while depth < _MAX_DEPTH:
        parent = archive.find(current.post.reply_to)
        if parent is None or parent.key not in inside or parent is current:
            break
        depth, current = depth + 1, parent
    return depth


def media_file(archive: Archive, entry: Entry, media: Media) -> Path | None:
    """The media file in the local store, when it was downloaded and stays inside the backup."""
    return stored_file(archive, entry.backup, media)


def thumb_file(archive: Archive, backup: AccountBackup, card: LinkCard) -> Path | None:
    """A link card's thumbnail in the local store (never its remote address)."""
    if not card.thumb_local_path and not card.thumb_sha256:
        return None
    thumb = Media(MediaKind.IMAGE, local_path=card.thumb_local_path, sha256=card.thumb_sha256)
    return stored_file(archive, backup, thumb)


def stored_file(archive: Archive, backup: AccountBackup, media: Media) -> Path | None:
    """A media file of `backup` (a post's, a profile picture) in the local store, when it was
    downloaded and stays inside the backup."""
    if media.local_path:
        found = _inside(archive, archive.root / media.local_path)
        if found is not None:
            return found
    if media.sha256 and len(media.sha256) == 64 and "/" not in media.sha256:
        folder = backup.folder / "media" / media.sha256[:2]
        for path in sorted(folder.glob(f"{media.sha256}.*")) if folder.is_dir() else []:
            found = _inside(archive, path)
            if found is not None:
                return found
    return None


def _inside(archive: Archive, path: Path) -> Path | None:
    """`path` with its links resolved, when that is a file inside the backup. Resolving a path
    is an lstat of every folder from the root of the file system, and the media files share a
    few hundred folders: each folder is resolved once, and a file's own name costs one lstat
    (a link is resolved in full)."""
    folder = archive.real_folders.get(path.parent)
    if folder is None:
        try:
            folder = path.parent.resolve()
        except (OSError, ValueError):
            return None
        archive.real_folders[path.parent] = folder
    resolved = folder / path.name
    try:
        mode = os.lstat(resolved).st_mode
        if stat.S_ISLNK(mode):
            resolved = path.resolve()
            mode = os.stat(resolved).st_mode
    except (OSError, ValueError):
        return None
    return resolved if stat.S_ISREG(mode) and resolved.is_relative_to(archive.real_root) else None
