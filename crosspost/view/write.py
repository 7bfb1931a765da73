"""Write the site, touching only what changed: each page's content hash is kept in a manifest,
and a page whose new content hashes the same is left alone (its mtime too). The manifest is also
the mark of a site the viewer wrote: a folder holding files but no manifest is someone else's,
and is refused rather than written over."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

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
    # What the last render wrote and this one has not written yet, and what this one wrote,
    # each page in one of the two: 100,000 pages are held once, not twice. Hashes are kept as
    # bytes (`_pack`), half the size of their hex; a value that is not hex stays a string.
    _old: dict[str, bytes | str] = field(default_factory=dict)
    _new: dict[str, bytes | str] = field(default_factory=dict)
    # What each page was made of (depends.py), beside its hash: the last render's, this one's.
    _old_sigs: dict[str, bytes | str] = field(default_factory=dict)
    _new_sigs: dict[str, bytes | str] = field(default_factory=dict)
    _old_digest: bytes | str | None = field(init=False, default=None)  # the last page's, before
    _changed: bool = False  # a page's hash, or which pages there are, differs from the last
    _folders: set[str] = field(default_factory=set)  # made (or found) this run
    _root: str = field(init=False, default="")

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
            self._save({}, {})
        self._old, self._old_sigs = _read_manifest(manifest)
        self._root = os.fspath(self.out)

    def sig(self, relative: str) -> bytes | None:
        """What the page was made of at the last render, when the manifest says."""
        old = self._old_sigs.get(relative)
        return old if isinstance(old, bytes) and old else None

    def keep_page(self, relative: str, sig: bytes) -> bool:
        """Leave a page as the last render wrote it, when it was made of the same (`sig`) and
        is still there; True when kept, else it is to be made and written."""
        if not sig or self.sig(relative) != sig or relative not in self._old:
            return False
        try:
            size = os.stat(os.path.join(self._root, relative)).st_size
        except OSError:
            return False
        self._new[relative] = self._old.pop(relative)
        self._new_sigs[relative] = self._old_sigs.pop(relative)
        self.size += size
        self.unchanged += 1
        return True

    def write_made(self, relative: str, text: str, sig: bytes) -> bool:
        """`write`, noting what the page was made of (`sig`) for the next render."""
        old = self._old_sigs.pop(relative, None)
        if old != sig:
            self._changed = True
        self._new_sigs[relative] = sig
        return self.write(relative, text)

    def write(self, relative: str, text: str) -> bool:
        """Write one page unless it already holds this content; True when written. Paths are
        strings here: a Path per page interns its name for the rest of the process."""
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).digest()
        self._note(relative, digest)
        self.size += len(data)
        target = os.path.join(self._root, relative)
        if digest == self._old_digest and os.path.isfile(target):
            self.unchanged += 1
            return False
        folder, name = os.path.split(target)
        if folder not in self._folders:  # 10,000 pages share a few folders
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        # A site can be rendered again at any time, so no fsync: rename keeps each page whole.
        temp = os.path.join(folder, f".{name}.tmp")
        with open(temp, "wb") as file:
            file.write(data)
        os.replace(temp, target)
        self.written.append(relative)
        return True

    def keep(self, relative: str, digest: str) -> None:
        """Count a file placed by someone else (a media file) as part of the site; `digest` is
        what the manifest says of it (the hex of its hash)."""
        self._note(relative, _pack(digest))

    def _note(self, relative: str, digest: bytes | str) -> None:
        """Record the page's hash (`_pack`ed) and take its last one out of the old manifest
        (into `_old_digest`)."""
        old = self._old.pop(relative, None)
        self._old_digest = old
        if relative in self._new or old != digest:
            self._changed = True
        self._new[relative] = digest

    def finish(self) -> None:
        """Remove pages this writer made before that no longer exist; save the manifest."""
        for relative in sorted(self._old):
            path = self.out / relative
            if _inside(self.out, path) and path.is_file():
                path.unlink()
                self.removed.append(relative)
        if self._old_sigs:
            self._changed = True  # pages made of something before, not noted this time
        if not self._old and not self._changed and not self.written:
            return
        self._old, self._old_sigs = {}, {}
        self._save(self._new, self._new_sigs)

    def _save(self, pages: Mapping[str, bytes | str], sigs: Mapping[str, bytes | str]) -> None:
        """The manifest, written a line at a time (100,000 pages are not made one string
        first) as `json.dumps(manifest, indent=0, sort_keys=True)` would write it."""
        temp = self.out / f".{MANIFEST}.tmp"
        with temp.open("w", encoding="utf-8") as file:
            file.write(f'{{\n"format": {FORMAT},\n"pages": ')
            _write_map(file, pages)
            if sigs:
                file.write(',\n"sigs": ')
                _write_map(file, sigs)
            file.write("\n}\n")
        os.replace(temp, self.out / MANIFEST)


def _write_map(file: TextIO, values: Mapping[str, bytes | str]) -> None:
    if not values:
        file.write("{}")
        return
    separator = "{\n"
    for key in sorted(values):
        file.write(f"{separator}{json.dumps(key)}: {json.dumps(_hex(values[key]))}")
        separator = ",\n"
    file.write("\n}")


def _hex(digest: bytes | str) -> str:
    return digest.hex() if isinstance(digest, bytes) else digest


def _inside(out: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(out.resolve())


def _pack(text: str) -> bytes | str:
    """A hash as the manifest writes it (hex) kept as its bytes; anything else as it is."""
    try:
        packed = bytes.fromhex(text)
    except ValueError:
        return text
    return packed if packed and packed.hex() == text else text


Hashes = dict[str, bytes | str]
_START = re.compile(r'"(pages|sigs)": \{(\}?),?\n')
_ENTRY = re.compile(r'("(?:[^"\\]|\\.)*"): "([^"\\]*)",?\n')


def _read_manifest(path: Path) -> tuple[Hashes, Hashes]:
    """The hashes of the last render, and what each page was made of; an unreadable manifest
    means every page is made and written. Read a line at a time as `_save` writes it (the
    whole text of 100,000 pages, and each hash as a string, were a fifth of a render's
    memory), else as any JSON."""
    try:
        with path.open(encoding="utf-8") as file:
            found = _read_lines(file)
        if found is not None:
            return found
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}, {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}, {}
    return _packed(data.get("pages")), _packed(data.get("sigs"))


def _read_lines(file: TextIO) -> tuple[Hashes, Hashes] | None:
    """The manifest as `_save` writes it, or None when it is written otherwise."""
    if file.readline() != "{\n" or file.readline() != f'"format": {FORMAT},\n':
        return None
    maps: dict[str, Hashes] = {"pages": {}, "sigs": {}}
    into: Hashes | None = None
    names = _Names(())
    for line in file:
        if into is None:
            if line == "}\n":
                return maps["pages"], maps["sigs"]
            start = _START.fullmatch(line)
            if start is None:
                return None
            if not start[2]:  # "{" and its entries, a line each
                into = maps[start[1]]
                names = _Names(maps["pages"] if start[1] == "sigs" else ())
            continue
        if line in ("}\n", "},\n"):
            into = None
            continue
        entry = _ENTRY.fullmatch(line)
        if entry is None:
            return None
        quoted, value = entry.groups()
        name = quoted[1:-1] if "\\" not in quoted else json.loads(quoted)
        into[names.same(name)] = _pack(value)
    return None  # cut short


class _Names:
    """The pages' names in order, so that the sigs are kept under the same strings (both maps
    are written sorted): 100,000 names are held once."""

    def __init__(self, names: Iterable[str]) -> None:
        self._names = iter(names)
        self._next = next(self._names, None)

    def same(self, name: str) -> str:
        while self._next is not None and self._next < name:
            self._next = next(self._names, None)
        return self._next if self._next == name else name


def _packed(values: object) -> Hashes:
    if not isinstance(values, dict):
        return {}
    return {str(k): _pack(v) for k, v in values.items() if isinstance(v, str)}
