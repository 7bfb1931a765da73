"""The on-disk layout of a backup, and atomic writes into it.

```
<root>/<platform>/<account>/
  manifest.json             format version, tool version, options, cursors, counts, complete flag
  posts/<id>.json           {"post": <model without raw>, "raw": <native>}; sorted keys, indent 2
  versions/<id>/<n>.json    earlier versions of an edited post, oldest first (n = 0001, ...)
  media/<ab>/<sha256>.<ext> content-addressed; the extension comes from the MIME type
  profile.json              the account's profile (profile.versions/<n>.json: earlier ones)
  collections/<kind>.json   likes, bookmarks, reposts, following, ...: plain lists of entries
  quarantine/               damaged files moved aside by `crosspost repair` (never deleted)
```
Every file is written atomically (temp file in the same folder, fsync, rename, fsync of the
folder), so an interruption leaves either the old file or the new one, never half of one. Names
on disk come from ids and hashes only, escaped so that no path from a server reaches the
filesystem.

What is durable when: a file's bytes once the file is fsynced (or its filesystem is, syncfs);
a rename once the folder holding the new name is fsynced. A page of posts, or the few pages
a listing read while the last commit was being made (backup/runner.py), is one durable commit
(`atomic_write_many`), in this order:

1. every file is written under a temp name, nothing synced yet;
2. all their bytes are made durable at once: one syncfs(2) of the filesystem they are on (Linux
   5.8 and later, where syncfs reports a failed write-back as fsync does), else an fsync of
   each file (other systems, older kernels, a filesystem refusing syncfs);
3. only then is each temp file renamed to its name: a name never points at bytes that are not
   on disk, and a SIGKILL or a power cut anywhere leaves the old file or the new one whole;
4. the caller fsyncs each folder once (`sync_folder`) before the checkpoint that counts the
   posts: a manifest never claims a post whose name is not durable. An unsynced rename lost
   to a power cut leaves the old file (or none), and the next run writes the post again.

On ext4 each fsync of a new file is a journal commit and a disk cache flush of its own: a page
of 20 posts cost 20 of them, one syncfs costs one (bench/bench_store_writes.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import json
import os
import random
import re
import sys
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from crosspost.errors import DataError, InvalidPostError
from crosspost.model import Platform, Post

try:  # a wheel on every common platform; where it cannot be installed, json does the work
    import orjson as _orjson

    _ORJSON_OPTIONS = _orjson.OPT_INDENT_2 | _orjson.OPT_SORT_KEYS | _orjson.OPT_APPEND_NEWLINE
except ImportError:  # pragma: no cover
    _orjson = None  # type: ignore[assignment]
    _ORJSON_OPTIONS = 0

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")


# A file name holds at most 255 bytes; ".json" follows the name (temp files use a short prefix).
MAX_NAME = 250
_PACKED = "=="  # never produced by escaping: "=" is always followed by two hex digits there
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"  # one case only: safe on case-blind disks
_PLAIN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,249}")  # names quote() leaves as they are
_CODE_POINTS = 0x110000


def safe_name(value: str) -> str:
    """A file name for an id or account: every character outside [A-Za-z0-9._-] escaped, so
    `at://did:plc:x/app.bsky.feed.post/3k` or `../../etc` can never leave its folder. An id whose
    escaped form is too long (many non-ASCII characters) is packed into base-36 digits instead."""
    if _PLAIN.fullmatch(value):  # most ids (digits, record keys): nothing to escape
        return value
    name = quote(value, safe="-_.").replace("%", "=")
    if name in {".", ".."}:
        name = name.replace(".", "=2E")
    if len(name) > MAX_NAME:
        name = _PACKED + _pack(value)
    if not value or len(name) > MAX_NAME:
        raise DataError(f"cannot store {value[:40]!r}: its id is empty or too long for a file name")
    return name


def unsafe_name(name: str) -> str:
    """The id a file name was made from (the inverse of safe_name)."""
    if name.startswith(_PACKED):
        return _unpack(name[len(_PACKED) :])
    return unquote(name.replace("=", "%"))


def _pack(value: str) -> str:
    # The code points as one number in base 0x110000 (a leading 1 keeps leading NULs), in base 36.
    number = 1
    for char in value:
        number = number * _CODE_POINTS + ord(char)
    digits = []
    while number:
        number, digit = divmod(number, len(_DIGITS))
        digits.append(_DIGITS[digit])
    return "".join(reversed(digits))


def _unpack(text: str) -> str:
    number = 0
    for char in text:
        number = number * len(_DIGITS) + _DIGITS.index(char)
    chars = []
    while number > 1:
        number, code = divmod(number, _CODE_POINTS)
        chars.append(chr(code))
    return "".join(reversed(chars))


def make_private_dirs(folder: Path) -> None:
    """Create a folder and its missing parents readable only by their owner (0700)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        # Made by a concurrent writer meanwhile (two media downloads into one folder): fine.
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)


TEMP_SUFFIX = ".tmp"
# A new file only (never through a link planted at its name), 0600, not inherited by children.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL
_CREATE |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_names = random.Random()


def atomic_write_bytes(path: Path, data: bytes, *, sync_dir: bool = True) -> None:
    """Write a file whole or not at all; it is readable only by its owner (0600).
    `sync_dir=False` leaves the folder's fsync to the caller (`sync_folder`), who writes many
    files into one folder and syncs it once before its checkpoint."""
    # Plain os calls rather than mkstemp and a buffered file: a backup writes thousands of
    # files, and every extra system call is another hand-over of the interpreter lock between
    # the threads that read, download and write.
    descriptor, temp = _create_temp(path.parent)
    try:
        try:
            _write_all(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    if sync_dir:
        _fsync_dir(path.parent)


def atomic_write_many(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write many files, each whole or not at all and durable before it takes its name, as
    one batch: all written (and closed, but for one per filesystem), then all synced at once
    (one syncfs per filesystem, not an fsync each, however many files), then all renamed.
    Folders are not synced: call `sync_folder` before a checkpoint (see the module's docstring
    for what is durable when)."""
    temps: list[tuple[str, Path]] = []
    kept: dict[int, int] = {}  # a file left open on each filesystem written to, for syncfs
    try:
        folders: set[Path] = set()
        for path, data in files:
            descriptor, temp = _create_temp(path.parent)
            temps.append((temp, path))
            try:
                _write_all(descriptor, data)
                if path.parent not in folders:  # one fstat a folder, not one a file
                    folders.add(path.parent)
                    device = os.fstat(descriptor).st_dev
                    if device not in kept:
                        kept[device], descriptor = descriptor, -1
            finally:
                if descriptor >= 0:
                    os.close(descriptor)
        _sync_written([temp for temp, _ in temps], list(kept.values()))
    except BaseException:
        for temp, _ in temps:
            Path(temp).unlink(missing_ok=True)
        raise
    finally:
        for descriptor in kept.values():
            with contextlib.suppress(OSError):
                os.close(descriptor)
    for index, (temp, path) in enumerate(temps):
        try:
            os.replace(temp, path)
        except BaseException:
            for left, _ in temps[index:]:
                Path(left).unlink(missing_ok=True)
            raise


def _sync_written(temps: Sequence[str], kept: Sequence[int]) -> None:
    """Make the written temp files durable: one syncfs of each filesystem (`kept`: a file open
    on each) where syncfs can be trusted, else an fsync of each file, opened again."""
    if len(temps) == 1 and len(kept) == 1:
        os.fsync(kept[0])  # the one file is the one kept open
        return
    if len(temps) > 1 and _syncfs() is not None and all(_syncfs_one(d) for d in kept):
        return
    for temp in temps:
        descriptor = os.open(temp, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@functools.cache
def _syncfs() -> Any:
    """libc's syncfs, on Linux 5.8 or later (earlier kernels return 0 even when the write-back
    failed, which an fsync would have reported); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        major, minor = (int(part) for part in os.uname().release.split(".")[:2])
        if (major, minor) < (5, 8):
            return None
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (ValueError, OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


def _syncfs_one(descriptor: int) -> bool:
    """True once the filesystem holding `descriptor` is synced; False when it refuses syncfs
    (the caller fsyncs each file instead); OSError when its write-back failed."""
    if _syncfs()(descriptor) == 0:
        return True
    number = ctypes.get_errno()
    if number in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF):
        return False
    raise OSError(number, os.strerror(number))


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _create_temp(folder: Path) -> tuple[int, str]:
    """A new temp file in `folder` (made, 0700, when missing). A short prefix: the final name
    may already use nearly all of the 255 bytes a name may hold."""
    for _ in range(100):
        temp = os.path.join(folder, f".w{_names.getrandbits(48):012x}{TEMP_SUFFIX}")
        try:
            return os.open(temp, _CREATE, 0o600), temp
        except FileExistsError:
            continue
        except FileNotFoundError:  # the folder's first file: asked for only then
            make_private_dirs(folder)
            try:
                return os.open(temp, _CREATE, 0o600), temp
            except FileExistsError:
                continue
    raise FileExistsError(f"no free temporary file name in {folder}")


def atomic_write_json(path: Path, data: Any, *, sync_dir: bool = True) -> None:
    atomic_write_bytes(path, json_bytes(data), sync_dir=sync_dir)


def json_bytes(data: Any) -> bytes:
    """How crosspost writes JSON files: sorted keys, indented, UTF-8, a final newline.

    orjson writes the same bytes as `json.dumps(sort_keys=True, indent=2, ensure_ascii=False)`,
    whose indenting encoder is pure Python: 6 against 153 microseconds for a Mastodon status.
    Only a float may be spelled differently (0.00001 for 1e-05); it reads back the same.
    What orjson refuses (an integer beyond 64 bits, a key that is not a string) goes to json."""
    if _orjson is not None:
        try:
            return _orjson.dumps(data, option=_ORJSON_OPTIONS)
        except (_orjson.JSONEncodeError, TypeError):
            pass
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sync_folder(folder: Path) -> None:
    """Make the renames into a folder durable (after writes with sync_dir=False)."""
    if folder.is_dir():
        _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some filesystems cannot open a folder; the rename is still atomic
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: cannot read it ({error}); the backup may be damaged") from None


_SAME, _RAW_ONLY, _NEW, _STORED_ONLY = object(), object(), object(), object()


def post_document(post: Post) -> dict[str, Any]:
    """A post file's content: the model (without its native payload) and the payload."""
    return {"post": {**post.to_json(), "raw": {}}, "raw": post.raw}


# What crosspost records about a post rather than what the post says: where its media are
# stored, whether it is gone. Changing these is not an edit.
_STORED_FIELDS = ("local_path", "sha256", "size", "mime")


def content_of(post_json: dict[str, Any]) -> dict[str, Any]:
    """What a saved post says, without what crosspost records about it (media storage, the
    deleted flag): two versions with the same content are the same version."""
    content = {k: v for k, v in post_json.items() if k not in ("raw", "deleted")}

    def strip(media: Any) -> Any:
        if not isinstance(media, list):
            return media
        return [
            {k: v for k, v in m.items() if k not in _STORED_FIELDS} if isinstance(m, dict) else m
            for m in media
        ]

    content["media"] = strip(content.get("media"))
    trail = content.get("trail")
    if isinstance(trail, list):
        content["trail"] = [
            {**t, "media": strip(t.get("media"))} if isinstance(t, dict) else t for t in trail
        ]
    card = content.get("link_card")
    if isinstance(card, dict):
        content["link_card"] = {
            k: v for k, v in card.items() if k not in ("thumb_local_path", "thumb_sha256")
        }
    return content


@dataclass(frozen=True)
class AccountBackup:
    """One account's folder in a backup."""

    folder: Path
    platform: Platform
    account: str

    @functools.cached_property
    def posts_dir(self) -> Path:
        return self.folder / "posts"

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST

    def post_path(self, post_id: str) -> Path:
        return self.posts_dir / f"{safe_name(post_id)}.json"

    def media_path(self, sha256: str, extension: str) -> Path:
        if not _SHA256.match(sha256) or not _EXTENSION.match(extension):
            raise DataError(f"not a media name: {sha256[:70]!r}.{extension[:10]!r}")
        return self.folder / "media" / sha256[:2] / f"{sha256}.{extension}"

    def media_relative(self, sha256: str, extension: str) -> str:
        """A media file's `Media.local_path`: relative to the backup root, with "/"."""
        path = self.media_path(sha256, extension)
        return path.relative_to(self.folder.parent.parent).as_posix()

    def versions_dir(self, post_id: str) -> Path:
        return self.folder / "versions" / safe_name(post_id)

    def has_post(self, post_id: str) -> bool:
        return self.post_path(post_id).exists()

    def iter_post_ids(self) -> Iterator[str]:
        """The id of every saved post, from the file names alone (no file is read)."""
        if not self.posts_dir.is_dir():
            return
        for path in sorted(self.posts_dir.glob("*.json")):
            yield unsafe_name(path.stem)

    def count_posts(self) -> int:
        """How many posts are saved (names only, nothing sorted or kept: cheap on 100,000)."""
        if not self.posts_dir.is_dir():
            return 0
        with os.scandir(self.posts_dir) as entries:
            return sum(1 for e in entries if e.name.endswith(".json") and e.name[0] != ".")

    def save_post(self, post: Post, *, sync_dir: bool = True) -> bool:
        """Write a post (model and native payload); whether what it says changed (see
        `save_posts`)."""
        path, document = self._post_document(post)
        change = self._change(path, document)
        if change is _SAME:
            return False
        if isinstance(change, dict):
            self.add_version(post.ref.id, change)
        atomic_write_json(path, document, sync_dir=sync_dir)
        return change is _NEW or isinstance(change, dict)

    def save_posts(
        self, posts: Sequence[Post], absent: AbstractSet[str] = frozenset()
    ) -> list[bool]:
        """Write a page of posts as one batch (`atomic_write_many`); for each, whether what the
        post says changed. A file whose post was edited keeps its earlier version under
        versions/ first; one where only counters in the native payload moved (a like count), or
        only what crosspost records about it (its media stored, the deleted flag), is rewritten
        without a version and does not count as changed. `absent`: ids the caller knows have no
        file (looked for by this run, none written since), so none is looked for again. The
        folder is not synced: `sync_folder(posts_dir)` before the checkpoint."""
        changed: list[bool] = []
        files: list[tuple[Path, bytes]] = []
        for post in posts:
            path, document = self._post_document(post)
            change = _NEW if post.ref.id in absent else self._change(path, document)
            changed.append(change is _NEW or isinstance(change, dict))
            if isinstance(change, dict):
                self.add_version(post.ref.id, change)
            if change is not _SAME:
                files.append((path, json_bytes(document)))
        atomic_write_many(files)
        return changed

    def _post_document(self, post: Post) -> tuple[Path, dict[str, Any]]:
        return self.post_path(post.ref.id), post_document(post)

    @staticmethod
    def _change(path: Path, document: dict[str, Any]) -> object:
        """How `document` differs from the file at `path`: _SAME, _RAW_ONLY, _NEW (no readable
        file), _STORED_ONLY (what crosspost keeps about it moved: media stored, marked deleted),
        or the old document itself when what the post says changed (an edit)."""
        try:
            old = read_json(path) if path.exists() else None
        except DataError:
            return _NEW  # a damaged file is replaced
        if not isinstance(old, dict) or not isinstance(old.get("post"), dict):
            return _NEW
        new = json.loads(json_bytes(document))
        if old == new:
            return _SAME
        if old["post"] == new["post"]:
            return _RAW_ONLY
        if content_of(old["post"]) == content_of(new["post"]):
            return _STORED_ONLY
        return old

    def add_version(self, post_id: str, document: dict[str, Any]) -> bool:
        """Keep an earlier version of a post (a post document), unless one with the same content
        is kept already; versions are numbered in the order they were kept."""
        folder = self.versions_dir(post_id)
        kept = self.version_files(post_id)
        content = content_of(document.get("post") or {})
        for path in kept:
            try:
                if content_of(read_json(path).get("post") or {}) == content:
                    return False
            except (DataError, AttributeError):
                continue
        number = int(kept[-1].stem) + 1 if kept else 1
        atomic_write_json(folder / f"{number:04d}.json", document)
        return True

    def version_files(self, post_id: str) -> list[Path]:
        folder = self.versions_dir(post_id)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("[0-9]*.json") if p.stem.isdigit())

    def load_versions(self, post_id: str) -> list[Post]:
        """The earlier versions of a post, oldest first."""
        return [self._load(path) for path in self.version_files(post_id)]

    def load_post(self, post_id: str) -> Post | None:
        path = self.post_path(post_id)
        return self._load(path) if path.exists() else None

    def iter_posts(self) -> Iterator[Post]:
        """Every saved post, in file-name order."""
        if not self.posts_dir.is_dir():
            return
        for path in sorted(self.posts_dir.glob("*.json")):
            yield self._load(path)

    def read_post_file(self, path: Path) -> Post:
        """A post from one file of posts/ (DataError naming the file when it is damaged)."""
        return self._load(path)

    def _load(self, path: Path) -> Post:
        document = read_json(path)
        if not isinstance(document, dict) or not isinstance(document.get("post"), dict):
            raise DataError(f"{path}: not a crosspost post file")
        try:
            return Post.from_json({**document["post"], "raw": document.get("raw") or {}})
        except InvalidPostError as error:
            raise DataError(f"{path}: {error}") from None

    def read_manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            return {}
        manifest = read_json(self.manifest_path)
        if not isinstance(manifest, dict):
            raise DataError(f"{self.manifest_path}: not a manifest")
        version = manifest.get("format")
        if version is not None and version > FORMAT_VERSION:
            raise DataError(
                f"{self.manifest_path}: written by a newer crosspost (format {version}); "
                "upgrade crosspost to read it"
            )
        return manifest

    def stable_id(self) -> str | None:
        """The permanent id the manifest records for this account (None when it has none)."""
        try:
            value = self.read_manifest().get("stable_id")
        except DataError:
            return None
        return str(value) if value else None

    def handle(self) -> str:
        """The handle the manifest last recorded, else the folder's account name."""
        try:
            value = self.read_manifest().get("handle")
        except DataError:
            value = None
        return str(value) if value else self.account

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.manifest_path, {**manifest, "format": FORMAT_VERSION})


class BackupStore:
    """A backup root holding any mix of platforms and accounts."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def account(self, platform: Platform, account: str) -> AccountBackup:
        return AccountBackup(self.root / platform.value / safe_name(account), platform, account)

    def locate(self, platform: Platform, name: str, stable_id: str | None = None) -> AccountBackup:
        """The folder of an account named `name` (its handle), with permanent id `stable_id`
        where it has one. A folder that already holds that id is kept whatever it is called
        (a handle change does not split a backup; folders of earlier versions were named by
        the id itself); a new one is named by the handle. A handle that once named another
        account (its manifest records another id) gives a folder named by the id instead."""
        if stable_id:
            wanted = safe_name(stable_id)
            for backup in self.accounts_of(platform):
                if backup.folder.name == wanted or backup.stable_id() == stable_id:
                    return backup
        candidate = self.account(platform, name)
        if stable_id and candidate.stable_id() not in (None, stable_id):
            return self.account(platform, stable_id)
        return candidate

    def accounts_of(self, platform: Platform) -> list[AccountBackup]:
        folder = self.root / platform.value
        if not folder.is_dir():
            return []
        return [
            AccountBackup(child, platform, unsafe_name(child.name))
            for child in sorted(folder.iterdir())
            if child.is_dir()
        ]

    def accounts(self) -> list[AccountBackup]:
        found = []
        for platform in Platform:
            folder = self.root / platform.value
            if folder.is_dir():
                found += [
                    AccountBackup(child, platform, unsafe_name(child.name))
                    for child in sorted(folder.iterdir())
                    if child.is_dir()
                ]
        return found


def remove_temp_files(folder: Path) -> int:
    """Delete what an interrupted atomic write left behind (a killed process cannot clean up)."""
    removed = 0
    if not folder.is_dir():
        return removed
    for path in folder.rglob(f".w*{TEMP_SUFFIX}"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


QUARANTINE = "quarantine"


def quarantine(backup: AccountBackup, path: Path) -> Path:
    """Move a damaged file of an account's folder to `quarantine/` in it (never deleted):
    posts/<id>.json to quarantine/posts/, a media file to quarantine/media/<its name>; a name
    already taken there gets a number. The file's own place is then free for a fresh copy."""
    relative = path.relative_to(backup.folder)
    if relative.parts[0] == "media":
        relative = Path("media", relative.name)
    target = backup.folder / QUARANTINE / relative
    make_private_dirs(target.parent)
    number = 0
    while target.exists():
        number += 1
        target = target.with_name(f"{relative.name}.{number}")
    os.replace(path, target)
    _fsync_dir(target.parent)
    _fsync_dir(path.parent)
    return target


def media_file(backup: AccountBackup, media_local_path: str | None) -> Path | None:
    """The file a saved `Media.local_path` names (relative to the backup root), or None when it
    names nothing inside this account's media folder: a saved path is never trusted blindly."""
    if not media_local_path:
        return None
    root = backup.folder.parent.parent
    candidate = (root / media_local_path).resolve()
    media_root = (backup.folder / "media").resolve()
    if not candidate.is_relative_to(media_root):
        return None
    return candidate
