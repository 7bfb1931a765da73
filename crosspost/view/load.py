"""Read a backup folder (any mix of platforms and accounts) into what the pages are made of.

Posts are sorted newest first; tags are grouped case-insensitively; replies are grouped into
conversations by their thread root, or by following `reply_to` through the posts at hand.

What is kept of each post is a small `Entry` (its account folder, key and date; its file and
page names follow from the key), not the post: 100,000 posts as model objects, with their
native payloads, were most of a gigabyte. What a reply replies to is held only while the
conversations are grouped. The render reads each post from its file again (`read_post`) for
the things it is on by itself, and a post's native payload is never decoded.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from crosspost.backup.store import AccountBackup, BackupStore, safe_name
from crosspost.errors import DataError, InvalidPostError
from crosspost.model import LinkCard, Media, MediaKind, Platform, Post, PostRef, SpanKind
from crosspost.platforms.registry import spec
from crosspost.progress import NoProgress, Progress
from crosspost.view.safe import tag_key

PLATFORM_NAMES = {platform: spec(platform).display_name for platform in Platform}
_MAX_DEPTH = 6  # replies deeper than this are drawn at this indentation
THREAD_PAGE = 100  # posts on one page of a conversation
_DECODER = json.JSONDecoder()
_POST_START = '{\n  "post": '  # how the store writes a post file (sorted keys, indent 2)


def read_post(path: str | Path) -> Post:
    """The post of one file of a posts/ folder, without its native payload: the store writes
    "post" before "raw" (sorted keys), so the model is decoded and the rest of the file, often
    most of it, is not. A file written otherwise is read whole. DataError names a damaged file,
    as the store's own reader does."""
    try:
        with open(path, "rb") as file:  # bytes: a text file's decoder costs more than the read
            text = file.read().decode("utf-8")
        document: Any = None
        if text.startswith(_POST_START):
            document, _ = _DECODER.raw_decode(text, len(_POST_START))
        else:
            whole = json.loads(text)
            document = whole.get("post") if isinstance(whole, dict) else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: cannot read it ({error}); the backup may be damaged") from None
    if not isinstance(document, dict):
        raise DataError(f"{path}: not a crosspost post file")
    try:
        return Post.from_json({**document, "raw": {}})
    except InvalidPostError as error:
        raise DataError(f"{path}: {error}") from None


@dataclass(eq=False, slots=True)
class Entry:
    """One post of the backup as the site's indexes need it, and no more (100,000 of them are
    held): where its file and its page are, and its date. `read` gives the post itself."""

    backup: AccountBackup
    account: str  # post.ref.account (one string for all the posts of an account)
    key: str  # post.ref.key: "platform:account:id"
    created_at: datetime
    odd_file: str | None = None  # its file's name, when not the store's name for its id
    index: int = -1  # its place in Archive.entries, newest first
    stamp: str = ""  # its file's size and mtime (and its versions folder's), for depends.py
    sig: bytes = b""  # what its card was made of, when that is unchanged since the last render
    cached: int = -1  # where the last render's post cache holds it, while it is unchanged

    @property
    def post_id(self) -> str:
        return self.key[len(self.key.partition(":")[0]) + len(self.account) + 2 :]

    @property
    def file(self) -> str:
        """Its file's name in the account's posts/ folder."""
        return self.odd_file or f"{safe_name(self.post_id)}.json"

    @property
    def slug(self) -> str:
        """The file name of its page under posts/, without ".html" (`post_slug`): made when
        asked for, a hash of a short string, rather than kept for every post."""
        return _slug(self.key)

    @property
    def month(self) -> str:
        return self.created_at.strftime("%Y-%m")

    def read(self) -> Post:
        """The post, read from its file again (DataError when it has gone bad since)."""
        return read_post(os.path.join(self.backup.posts_dir, self.file))

    @property
    def post(self) -> Post:
        """The post, read from its file (each time it is asked for: nothing is kept)."""
        return self.read()


def _usual_file(post_id: str) -> str | None:
    try:
        return f"{safe_name(post_id)}.json"
    except DataError:
        return None


def heading(post: Post) -> str:
    """What a page about the post is called: its title, or the start of its text ("" when it
    has neither)."""
    return post.title or post.text.text[:60]


class _Links(NamedTuple):
    """What a post replies to, while the conversations are grouped."""

    reply_to: PostRef | None
    thread_root: PostRef | None


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
    parent_of: dict[str, str] = field(default_factory=dict)  # reply key -> the key it answers
    real_folders: dict[Path, Path] = field(default_factory=dict)  # resolved once (media_file)
    edited: set[str] = field(default_factory=set)  # keys of posts with earlier versions
    # The accounts the posts of each platform are by, to find a post by its platform and id
    # alone (a reply names its parent's account by DID, the backup by handle).
    post_accounts: dict[str, set[str]] = field(default_factory=dict)
    # The entries in the order of their files (account folder, file name): the post cache's.
    in_files: list[Entry] = field(default_factory=list)
    # While a post's card is made: the questions it asks of the archive (which post a link
    # names, where its conversation is, which media file it shows), to ask again next time.
    asked: set[tuple[str, ...]] | None = None

    @cached_property
    def real_root(self) -> Path:
        """The root with its links resolved, that media files must stay inside: found once, not
        once per media file (a resolve is a stat of every folder on the way)."""
        return self.root.resolve()

    def thread_href(self, entry: Entry) -> str | None:
        """Where the post is shown in its conversation ("threads/<id>.N.html#p-<slug>"), from
        the site's root; None when it is in none."""
        if self.asked is not None:
            self.asked.add(("t", entry.key))
        conversation = self.conversation_of.get(entry.key)
        if conversation is None:
            return None
        return f"{thread_page(conversation, self.place[entry.key] // THREAD_PAGE)}#p-{entry.slug}"

    def find(self, ref: PostRef | None) -> Entry | None:
        """The entry a reference points to, when the backup holds it: by its key, else the
        newest post of that platform with that id (one with no account first)."""
        if ref is None:
            return None
        return self.find_key(ref.platform.value, ref.account, ref.id)

    def find_key(self, platform: str, account: str, post_id: str) -> Entry | None:
        """`find` of a reference given by its parts."""
        if self.asked is not None:
            self.asked.add(("f", platform, account, post_id))
        found = self.by_key.get(f"{platform}:{account}:{post_id}")
        if found is not None:
            return found
        found = self.by_key.get(f"{platform}::{post_id}")
        if found is not None:
            return found
        for account in self.post_accounts.get(platform, ()):
            other = self.by_key.get(f"{platform}:{account}:{post_id}")
            if other is not None and (
                found is None or (found.created_at, found.key) < (other.created_at, other.key)
            ):
                found = other
        return found

    def versions(self, entry: Entry, post: Post) -> list[Post]:
        """The earlier versions of an edited post (`post`, the entry's), oldest first, read
        from their files."""
        if entry.key not in self.edited:
            return []
        try:
            return _sorted_versions(entry.backup.load_versions(post.ref.id))
        except DataError:
            return []  # noted when the backup was loaded

    def posts(self) -> Iterator[tuple[Entry, Post]]:
        """Every entry with its post read again, newest first."""
        for entry in self.entries:
            yield entry, entry.read()


def thread_page(conversation: str, number: int) -> str:
    """The path of page `number` (from 0) of a conversation: its first page is
    threads/<id>.html, the next threads/<id>.2.html, ... in reading order, oldest first."""
    base = "threads/" + hashlib.sha256(conversation.encode()).hexdigest()[:16]
    return f"{base}.html" if number == 0 else f"{base}.{number + 1}.html"


def post_slug(post: Post) -> str:
    """A short, stable page name: the platform and a hash of the post's key."""
    return _slug(post.ref.key)


def _slug(key: str) -> str:
    # A key starts with the platform's name, which holds no ":".
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key.partition(':')[0]}-{digest}"


def _post_files(backup: AccountBackup) -> list[tuple[str, str]]:
    """The names of an account's post files, in name order (as the store lists them: no
    hidden ones), each with its stamp ("size:mtime_ns"). Names, not paths: a Path of each of
    100,000 files costs more than its post."""
    try:
        with os.scandir(backup.posts_dir) as found:
            named = [e for e in found if e.name.endswith(".json") and e.name[0] != "."]
            stamped = [(e.name, _stamp(e)) for e in named]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(stamped)


def _stamp(entry: os.DirEntry[str]) -> str:
    try:
        found = entry.stat()
    except OSError:
        return ""
    return f"{found.st_size}:{found.st_mtime_ns}"


class Head(NamedTuple):
    """What the indexes need of a post file, kept from the last render (depends.py) so that
    an unchanged file is not read again: its ref, date, tags and what it replies to."""

    platform: str
    account: str
    post_id: str
    created_at: str  # ISO 8601
    tags: list[str]
    reply_to: list[str] | None  # [platform, account, id]
    thread_root: list[str] | None

    @classmethod
    def of(cls, post: Post) -> Head:
        ref = post.ref
        return cls(ref.platform.value, ref.account, ref.id, post.created_at.isoformat(),
                   post_tags(post), _parts(post.reply_to), _parts(post.thread_root))  # fmt: skip


def _parts(ref: PostRef | None) -> list[str] | None:
    return [ref.platform.value, ref.account, ref.id] if ref is not None else None


def _ref(parts: list[str] | None) -> PostRef | None:
    return PostRef(Platform(parts[0]), parts[1], parts[2]) if parts is not None else None


# Asked for the head of each post file, in the order of (account folder, file name), with the
# file's stamp: the head the last render kept of it and where it kept it (the offset of its
# line in the site's post cache), when its stamp is the same, else None.
Heads = Callable[[str, str, str], "tuple[Head, int] | None"]


def account_folder(root: Path, backup: AccountBackup) -> str:
    """The account's folder inside the backup ("bluesky/alice.bsky.social")."""
    return backup.folder.relative_to(root).as_posix()


def load_archive(
    root: Path,
    progress: Progress | None = None,
    heads: Heads | None = None,
    read: Callable[[Entry, Post], None] | None = None,
) -> Archive:
    """The backup at `root`, each post file unchanged since the last render known from its
    head (`heads`), the others read (and each handed to `read`, with its entry)."""
    progress = progress or NoProgress()
    if not root.is_dir():
        raise DataError(f"{root}: no such backup folder")
    accounts = BackupStore(root).accounts()
    if not accounts:
        raise DataError(
            f"{root}: no backup here (expected folders like bluesky/ACCOUNT/posts/); "
            "run `crosspost backup ACCOUNT` first"
        )
    files = sorted(
        ((account_folder(root, backup), backup, _post_files(backup)) for backup in accounts),
        key=lambda item: item[0],
    )
    progress.start("load posts", sum(len(names) for _, _, names in files))
    entries: list[Entry] = []
    post_accounts: dict[str, set[str]] = defaultdict(set)
    shared: dict[str, str] = {}  # each account's name once, not once per post
    tagged: list[tuple[Entry, list[str]]] = []
    links: dict[str, _Links] = {}  # post key -> what it replies to, for replies only
    versions = _versions_folders(accounts)
    edited: list[tuple[Entry, str]] = []  # entries with a versions/ folder, and their ids
    for relative, backup, names in files:
        folder = os.fspath(backup.posts_dir)
        has_versions = versions.get(backup, set())
        for name, stamp in names:
            kept = heads(relative, name, stamp) if heads is not None else None
            post = None
            if kept is None:
                post = read_post(os.path.join(folder, name))
                kept = Head.of(post), -1
            head, cached = kept
            platform, post_id = head.platform, head.post_id
            account = shared.setdefault(head.account, head.account)
            created = datetime.fromisoformat(head.created_at)
            entry = Entry(backup, account, f"{platform}:{account}:{post_id}", created)
            entry.stamp, entry.cached = stamp, cached
            if _usual_file(post_id) != name:
                entry.odd_file = name
            if post is not None and read is not None:
                read(entry, post)
            entries.append(entry)
            post_accounts[platform].add(account)
            if head.tags:
                tagged.append((entry, head.tags))
            if head.reply_to is not None or head.thread_root is not None:
                links[entry.key] = _Links(_ref(head.reply_to), _ref(head.thread_root))
            if has_versions and safe_name(post_id) in has_versions:
                edited.append((entry, post_id))
                entry.stamp += f":{_mtime(backup.versions_dir(post_id))}"
            progress.advance("load posts")
    progress.finish("load posts")
    in_files = list(entries)
    entries.sort(key=lambda e: (e.created_at, e.key), reverse=True)
    for index, entry in enumerate(entries):
        entry.index = index
    archive = Archive(root, entries, accounts, post_accounts=dict(post_accounts))
    archive.in_files = in_files
    _index(archive, sorted(tagged, key=lambda item: item[0].index))
    _group_conversations(archive, links)
    _load_versions(archive, edited, progress)
    return archive


def _mtime(path: Path) -> int:
    """A folder's mtime: a version added to a post's versions/ folder changes it."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _sorted_versions(versions: list[Post]) -> list[Post]:
    # Kept in the order the backup met them: the version it held first, then the older ones a
    # platform's edit history brought. The original has no edit date.
    versions.sort(key=lambda post: post.edited_at or post.created_at)
    return versions


def _versions_folders(accounts: list[AccountBackup]) -> dict[AccountBackup, set[str]]:
    """The names in each account's versions/ folder: listed once per account, so a backup with
    no edits costs one stat per account, not one per post."""
    edited: dict[AccountBackup, set[str]] = {}
    for backup in accounts:
        folder = backup.folder / "versions"
        if folder.is_dir():
            with os.scandir(folder) as found:
                edited[backup] = {item.name for item in found if item.is_dir()}
    return edited


def _load_versions(archive: Archive, edited: list[tuple[Entry, str]], progress: Progress) -> None:
    """Which posts have earlier versions (`edited`: the entries with a versions/ folder, and
    their posts' ids): read here once, newest first, to note a damaged one, and again on the
    post's page."""
    for entry, post_id in sorted(edited, key=lambda item: item[0].index):
        try:
            versions = entry.backup.load_versions(post_id)
        except DataError as error:
            progress.note(f"{error}: its earlier versions are left out of the site")
            continue
        if versions:
            archive.edited.add(entry.key)


def post_tags(post: Post) -> list[str]:
    """The post's tags, then hashtags written in its text, each once (case-insensitively)."""
    seen: dict[str, str] = {}
    inline = (span.value for span in post.text.spans_of(SpanKind.TAG))
    for tag in (*post.tags, *inline):
        if tag.strip():
            seen.setdefault(tag_key(tag), tag)
    return list(seen.values())


def _index(archive: Archive, tagged: list[tuple[Entry, list[str]]]) -> None:
    """By key, month and tag (`tagged`: each entry with its tags, newest first)."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    tags: dict[str, list[Entry]] = defaultdict(list)
    months: dict[str, list[Entry]] = defaultdict(list)
    for entry in archive.entries:
        archive.by_key[entry.key] = entry
        months[entry.month].append(entry)
    for entry, names in tagged:
        for tag in names:
            tags[tag_key(tag)].append(entry)
            spellings[tag_key(tag)][tag] += 1
    archive.tags = dict(sorted(tags.items()))
    archive.tag_names = {key: counts.most_common(1)[0][0] for key, counts in spellings.items()}
    archive.months = dict(sorted(months.items(), reverse=True))


def _group_conversations(archive: Archive, links: dict[str, _Links]) -> None:
    """Replies grouped by their thread root (`links`: what each reply replies to), each group
    oldest first with how deep each reply is drawn."""
    roots: dict[str, str] = {}
    none = _Links(None, None)

    def root_of(entry: Entry) -> str:
        seen: list[str] = []
        current = entry
        while current.key not in roots and current.key not in seen:
            seen.append(current.key)
            reply_to, thread_root = links.get(current.key, none)
            parent = archive.find(reply_to)
            if thread_root is not None:
                root = archive.find(thread_root)
                key = root.key if root is not None else thread_root.key
                roots[current.key] = key
            elif parent is not None:
                current = parent
                continue
            else:
                roots[current.key] = reply_to.key if reply_to else current.key
        found = roots.get(current.key, current.key)
        for key in seen:
            roots[key] = found
        return found

    # Only replies are followed; a post that replies to nothing is in the group of its own key.
    replies = [entry for entry in archive.entries if entry.key in links]
    found = {entry.key: root_of(entry) for entry in replies}
    started = set(found.values())
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in archive.entries:  # newest first, as the groups have always been made
        key = found.get(entry.key)
        if key is None and entry.key in started:
            key = entry.key
        if key is not None:
            groups[key].append(entry)
    for key, members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda e: (e.created_at, e.key))
        inside = {member.key for member in members}  # once: a thread may be 10,000 long
        parents = _parents(archive, members, inside, links)
        placed = _reply_order(members, parents)
        archive.conversations[key] = placed
        archive.parent_of.update(parents)
        for place, (entry, _) in enumerate(placed):
            archive.conversation_of[entry.key] = key
            archive.place[entry.key] = place


def _parents(
    archive: Archive, members: list[Entry], inside: set[str], links: dict[str, _Links]
) -> dict[str, str]:
    """The post of the conversation each reply answers, where that post is in the backup."""
    parents: dict[str, str] = {}
    for entry in members:
        found = links.get(entry.key)
        parent = archive.find(found.reply_to if found is not None else None)
        if parent is not None and parent.key in inside and parent is not entry:
            parents[entry.key] = parent.key
    return parents


def _reply_order(members: list[Entry], parents: dict[str, str]) -> list[tuple[Entry, int]]:
    """The conversation in reading order: each reply right under the post it answers (its
    answers oldest first), with its depth in the reply tree. `members` are oldest first; a post
    whose parent is not at hand starts a branch of its own, and posts caught in a loop of replies
    (damaged data) follow at the end, unindented."""
    children: dict[str, list[Entry]] = defaultdict(list)
    for entry in members:
        if entry.key in parents:
            children[parents[entry.key]].append(entry)
    placed: list[tuple[Entry, int]] = []
    seen: set[str] = set()
    for top in members:
        if top.key in parents:
            continue
        stack = [(top, 0)]
        while stack:  # depth first without recursion: a self-thread may be 10,000 long
            entry, depth = stack.pop()
            seen.add(entry.key)
            placed.append((entry, min(depth, _MAX_DEPTH)))
            stack.extend((child, depth + 1) for child in reversed(children.get(entry.key, ())))
    placed.extend((entry, 0) for entry in members if entry.key not in seen)
    return placed


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
    if archive.asked is not None:
        where = os.fspath(backup.folder)
        archive.asked.add(("m", where, media.local_path or "", media.sha256 or ""))
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
