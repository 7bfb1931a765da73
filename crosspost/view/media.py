"""Media from the local store, copied (hard-linked where it can) into the site's media/ folder.

Only files found in the backup are shown inline; everything else is a plain link, so a page
never loads anything from the network.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

_CONTENT_NAME = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{1,8}$")
_EXTENSION = re.compile(r"^\.[a-z0-9]{1,8}$")


class SiteMedia:
    """Names media files in the site (content-addressed, like the backup) and copies them."""

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}  # site path -> source file
        self._names: dict[Path, str] = {}

    def site_path(self, source: Path) -> str:
        """The file's path inside the site ("media/ab/<sha256>.ext"); remembered for copying."""
        name = self._names.get(source)
        if name is None:
            name = _content_name(source)
            self._names[source] = name
            self.files[f"media/{name[:2]}/{name}"] = source
        return f"media/{name[:2]}/{name}"

    def copy_into(self, out: Path) -> list[str]:
        """Copy the files the site does not have yet; returns their paths in the site."""
        copied: list[str] = []
        for relative, source in self.files.items():
            target = out / relative
            if target.exists():
                continue  # the name is the content's hash: an existing file is the same file
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.tmp")
            try:
                os.link(source, temp)
            except OSError:
                shutil.copyfile(source, temp)
            os.replace(temp, target)
            copied.append(relative)
        return copied


def _content_name(source: Path) -> str:
    if _CONTENT_NAME.match(source.name):
        return source.name
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    suffix = source.suffix.lower()
    return digest + (suffix if _EXTENSION.match(suffix) else ".bin")
