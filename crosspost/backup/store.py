"""The on-disk layout of a backup, and atomic writes into it.

```
<root>/<platform>/<account>/
  manifest.json             format version, tool version, options, cursors, counts, complete flag
  posts/<id>.json           {"post": <model without raw>, "raw": <native>}; sorted keys, indent 2
  media/<ab>/<sha256>.<ext> content-addressed; the extension comes from the MIME type
```
Every file is written atomically (temp file in the same folder, fsync, rename, fsync of the
folder), so an interruption leaves either the old file or the new one, never half of one. Names
on disk come from ids and hashes only, escaped so that no path from a server reaches the
filesystem.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from crosspost.errors import DataError, InvalidPostError
from crosspost.model import Platform, Post

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")


def safe_name(value: str) -> str:
    """A file name for an id or account: every character outside [A-Za-z0-9._-] escaped, so
    `at://did:plc:x/app.bsky.feed.post/3k` or `../../etc` can never leave its folder."""
    name = quote(value, safe="-_.").replace("%", "=")
    if name in {".", ".."}:
        name = name.replace(".", "=2E")
    if not name or len(name.encode()) > 240:
        raise DataError(f"cannot store {value[:40]!r}: its id is empty or too long for a file name")
    return name


def unsafe_name(name: str) -> str:
    """The id a file name was made from (the inverse of safe_name)."""
    return unquote(name.replace("=", "%"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


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


@dataclass(frozen=True)
class AccountBackup:
    """One account's folder in a backup."""

    folder: Path
    platform: Platform
    account: str

    @property
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

    def save_post(self, post: Post) -> bool:
        """Write a post (model and native payload); False when the file already held it."""
        path = self.post_path(post.ref.id)
        document = {"post": post.with_changes(raw={}).to_json(), "raw": post.raw}
        if path.exists():
            try:
                if read_json(path) == json.loads(json.dumps(document)):
                    return False
            except DataError:
                pass  # a damaged file is simply replaced
        atomic_write_json(path, document)
        return True

    def load_post(self, post_id: str) -> Post | None:
        path = self.post_path(post_id)
        return self._load(path) if path.exists() else None

    def iter_posts(self) -> Iterator[Post]:
        """Every saved post, in file-name order."""
        if not self.posts_dir.is_dir():
            return
        for path in sorted(self.posts_dir.glob("*.json")):
            yield self._load(path)

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

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.manifest_path, {**manifest, "format": FORMAT_VERSION})


class BackupStore:
    """A backup root holding any mix of platforms and accounts."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def account(self, platform: Platform, account: str) -> AccountBackup:
        return AccountBackup(self.root / platform.value / safe_name(account), platform, account)

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
