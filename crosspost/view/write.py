"""Write the site, touching only what changed: each page's content hash is kept in a manifest,
and a page whose new content hashes the same is left alone (its mtime too). The manifest is also
the mark of a site the viewer wrote: a folder holding files but no manifest is someone else's,
and is refused rather than written over."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from crosspost.errors import DataError

MANIFEST = ".crosspost-view.json"
FORMAT = 1


@dataclass
class SiteWriter:
    out: Path
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    size: int = 0  # bytes of every page in the site
    _old: dict[str, str] = field(default_factory=dict)
    _new: dict[str, str] = field(default_factory=dict)
    _folders: set[Path] = field(default_factory=set)  # made (or found) this run

    def __post_init__(self) -> None:
        if self.out.exists() and not self.out.is_dir():
            raise DataError(f"{self.out}: exists and is not a folder")
        # Backups hold followers-only and direct posts: a new site is readable by its owner only.
        if not self.out.exists():
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.out.mkdir(mode=0o700)
        manifest = self.out / MANIFEST
        if not manifest.is_file():
            if any(self.out.iterdir()):
                raise DataError(
                    f"{self.out}: not empty and not a site crosspost made (no {MANIFEST}); "
                    "choose an empty or new folder for --out"
                )
            # The marker comes before any page: a render stopped halfway leaves a folder that
            # is still known to be the viewer's, and the next render finishes it.
            self._save({})
        self._old = _read_manifest(manifest)

    def write(self, relative: str, text: str) -> bool:
        """Write one page unless it already holds this content; True when written."""
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        self._new[relative] = digest
        self.size += len(data)
        target = self.out / relative
        if self._old.get(relative) == digest and target.is_file():
            self.unchanged += 1
            return False
        if target.parent not in self._folders:  # 10,000 pages share a few folders
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        # A site can be rendered again at any time, so no fsync: rename keeps each page whole.
        temp = target.with_name(f".{target.name}.tmp")
        temp.write_bytes(data)
        os.replace(temp, target)
        self.written.append(relative)
        return True

    def keep(self, relative: str, digest: str) -> None:
        """Count a file placed by someone else (a media file) as part of the site."""
        self._new[relative] = digest

    def finish(self) -> None:
        """Remove pages this writer made before that no longer exist; save the manifest."""
        for relative in sorted(set(self._old) - set(self._new)):
            path = self.out / relative
            if _inside(self.out, path) and path.is_file():
                path.unlink()
                self.removed.append(relative)
        if self._new == self._old and not self.written:
            return
        self._save(self._new)

    def _save(self, pages: dict[str, str]) -> None:
        manifest = {"format": FORMAT, "pages": dict(sorted(pages.items()))}
        temp = self.out / f".{MANIFEST}.tmp"
        temp.write_text(json.dumps(manifest, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temp, self.out / MANIFEST)


def _inside(out: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(out.resolve())


def _read_manifest(path: Path) -> dict[str, str]:
    """The hashes of the last render; an unreadable manifest means every page is written."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    pages = data.get("pages")
    if not isinstance(pages, dict):
        return {}
    return {str(k): str(v) for k, v in pages.items() if isinstance(v, str)}
