"""Write the site, touching only what changed: each page's content hash is kept in a manifest,
and a page whose new content hashes the same is left alone (its mtime too). The manifest is also
the mark of a site the viewer wrote: a folder holding files but no manifest is someone else's,
and is refused rather than written over.

What each page was made of (its sig, depends.py) is kept in the manifest too, unless the writer
is given a file of its own for it (`sigs`): the public site's folder is uploaded, and what its
pages were made of is kept beside the backup instead (public_state.py). That file holds a line
per page with a sig, its name (as JSON), its hash and its sig; a sig is trusted only for a page
whose hash there is the one the site's manifest holds, so a render with other options into the
same folder, in between, makes the page again rather than keep what that render wrote."""

from __future__ import annotations

import hashlib
import itertools
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
    # each page in one of the two: 100,000 pages are held once, not twice. A page's value is
    # its hash (32 bytes, half the size of its hex) followed by what it was made of (its sig,
    # depends.py), when it says; a value that is no such hash stays the string it was.
    _old: dict[str, bytes | str] = field(default_factory=dict)
    _new: dict[str, bytes | str] = field(default_factory=dict)
    _old_digest: bytes | str | None = field(init=False, default=None)  # the last page's, before
    _changed: bool = False  # a page's hash, or which pages there are, differs from the last
    _folders: set[str] = field(default_factory=set)  # made (or found) this run
    _root: str = field(init=False, default="")
    sigs: Path | None = None  # where the pages' sigs are kept, when not in the manifest

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
        if self.sigs is not None:
            _read_sigs(self.sigs, self._old)
        self._root = os.fspath(self.out)

    def sig(self, relative: str) -> bytes | None:
        """What the page was made of at the last render, when the manifest says."""
        return _sig(self._old.get(relative)) or None

    def keep_page(self, relative: str, sig: bytes) -> bool:
        """Leave a page as the last render wrote it, when it was made of the same (`sig`) and
        is still there; True when kept, else it is to be made and written."""
        if not sig or self.sig(relative) != sig:
            return False
        try:
            size = os.stat(os.path.join(self._root, relative)).st_size
        except OSError:
            return False
        self._new[relative] = self._old.pop(relative)
        self.size += size
        self.unchanged += 1
        return True

    def write_made(self, relative: str, text: str, sig: bytes) -> bool:
        """`write`, noting what the page was made of (`sig`) for the next render."""
        return self.write(relative, text, sig)

    def write(self, relative: str, text: str, sig: bytes = b"") -> bool:
        """Write one page unless it already holds this content; True when written. Paths are
        strings here: a Path per page interns its name for the rest of the process."""
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).digest()
        self._note(relative, digest + sig)
        self.size += len(data)
        target = os.path.join(self._root, relative)
        old = self._old_digest
        if old is not None and digest == _digest(old) and os.path.isfile(target):
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

    def _note(self, relative: str, value: bytes | str) -> None:
        """Record the page's value (its hash, `_pack`ed, and its sig) and take its last one out
        of the old manifest (into `_old_digest`)."""
        old = self._old.pop(relative, None)
        self._old_digest = old
        if relative in self._new or old != value:
            self._changed = True
        self._new[relative] = value

    def finish(self) -> None:
        """Remove pages this writer made before that no longer exist; save the manifest."""
        for relative in sorted(self._old):
            path = self.out / relative
            if _inside(self.out, path) and path.is_file():
                path.unlink()
                self.removed.append(relative)
                _remove_empty(self.out, path.parent)
        if not self._old and not self._changed and not self.written:
            return
        self._old = {}
        if self.sigs is not None:  # first: a sig is only trusted when the manifest agrees
            _save_sigs(self.sigs, self._new)
        self._save(self._new)

    def _save(self, pages: Mapping[str, bytes | str]) -> None:
        _save(self.out / MANIFEST, pages, with_sigs=self.sigs is None)


def _save(path: Path, pages: Mapping[str, bytes | str], *, with_sigs: bool) -> None:
    """A manifest, written a line at a time (100,000 pages are not made one string first) as
    `json.dumps(manifest, indent=0, sort_keys=True)` would write it: each page's hash under
    "pages", and (`with_sigs`) what it was made of under "sigs"."""
    temp = path.with_name(f".{path.name}.tmp")
    names = sorted(pages)
    with temp.open("w", encoding="utf-8") as file:
        file.write(f'{{\n"format": {FORMAT},\n"pages": ')
        _write_map(file, ((name, _hex(_digest(pages[name]))) for name in names))
        sigs = ((name, _sig(pages[name]).hex()) for name in names if _sig(pages[name]))
        first = next(sigs, None) if with_sigs else None
        if first is not None:
            file.write(',\n"sigs": ')
            _write_map(file, itertools.chain([first], sigs))
        file.write("\n}\n")
    os.replace(temp, path)


SIGS_HEADER = f"crosspost sigs {FORMAT}\n"


def _save_sigs(path: Path, pages: Mapping[str, bytes | str]) -> None:
    """The sigs of `pages`, kept apart from the manifest (`SiteWriter.sigs`), a line each."""
    temp = path.with_name(f".{path.name}.tmp")
    with temp.open("w", encoding="utf-8") as file:
        file.write(SIGS_HEADER)
        for name in sorted(pages):
            value = pages[name]
            sig = _sig(value)
            if sig:
                file.write(f"{json.dumps(name)} {_hex(_digest(value))} {sig.hex()}\n")
    os.replace(temp, path)


def _read_sigs(path: Path, pages: Hashes) -> None:
    """The sigs kept apart (`_save_sigs`) put after the hashes of the site's manifest
    (`pages`, in place: 100,000 pages are not held twice), each only where both name the same
    hash; a sig the site's manifest held itself (an earlier version's) is dropped. A damaged
    file gives no sigs from where it is damaged: those pages are made again."""
    for name, value in pages.items():
        if isinstance(value, bytes) and len(value) > _DIGEST:
            pages[name] = value[:_DIGEST]
    try:
        with path.open(encoding="utf-8") as file:
            if file.readline() != SIGS_HEADER:
                return
            for line in file:
                quoted, digest, sig = line.rstrip("\n").rsplit(" ", 2)
                name = json.loads(quoted)
                found = pages.get(name) if isinstance(name, str) else None
                if isinstance(found, bytes) and found == bytes.fromhex(digest):
                    pages[name] = found + bytes.fromhex(sig)
    except (OSError, UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError
        return


def _write_map(file: TextIO, values: Iterable[tuple[str, str]]) -> None:
    separator = "{\n"
    for key, value in values:
        file.write(f"{separator}{json.dumps(key)}: {json.dumps(value)}")
        separator = ",\n"
    file.write("{}" if separator == "{\n" else "\n}")


_DIGEST = 32  # bytes of a page's hash (sha256)


def _digest(value: bytes | str) -> bytes | str:
    """A page's hash, without its sig."""
    return value[:_DIGEST] if isinstance(value, bytes) else value


def _sig(value: bytes | str | None) -> bytes:
    """What the page was made of, when it says (else empty)."""
    return value[_DIGEST:] if isinstance(value, bytes) else b""


def _hex(digest: bytes | str) -> str:
    return digest.hex() if isinstance(digest, bytes) else digest


def _remove_empty(out: Path, folder: Path) -> None:
    """The folders a removed page leaves empty, up to the site's own: a folder's name may say
    what the page was (a public site's post/ID/SLUG/ of a post no longer public)."""
    while folder != out and folder.is_relative_to(out):
        try:
            folder.rmdir()
        except OSError:  # not empty (or not ours to remove): the folders above are not either
            return
        folder = folder.parent


def _inside(out: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(out.resolve())


def _pack(text: str) -> bytes | str:
    """A hash as the manifest writes it (hex) kept as its bytes; anything else as it is."""
    try:
        packed = bytes.fromhex(text)
    except ValueError:
        return text
    return packed if len(packed) == _DIGEST and packed.hex() == text else text


Hashes = dict[str, bytes | str]
_START = re.compile(r'"(pages|sigs)": \{(\}?),?\n')
_ENTRY = re.compile(r'("(?:[^"\\]|\\.)*"): "([^"\\]*)",?\n')


def _read_manifest(path: Path) -> Hashes:
    """The last render's value of each page (`SiteWriter._old`); an unreadable manifest means
    every page is made and written. Read a line at a time as `_save` writes it (the whole text
    of 100,000 pages, and each hash and sig as a string, were a fifth of a render's memory),
    else as any JSON."""
    try:
        with path.open(encoding="utf-8") as file:
            found = _read_lines(file)
        if found is not None:
            return found
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    pages, sigs = data.get("pages"), data.get("sigs")
    found = {}
    for name, digest in pages.items() if isinstance(pages, dict) else ():
        if isinstance(digest, str):
            found[str(name)] = _pack(digest)
    for name, sig in sigs.items() if isinstance(sigs, dict) else ():
        if isinstance(sig, str):
            _add_sig(found, str(name), sig)
    return found


def _add_sig(pages: Hashes, name: str, sig: str) -> None:
    """A page's sig after its hash (a sig of a page with no hash of its own is left out)."""
    digest = pages.get(name)
    try:
        packed = bytes.fromhex(sig)
    except ValueError:
        return
    if isinstance(digest, bytes) and len(digest) == _DIGEST and packed:
        pages[name] = digest + packed


def _read_lines(file: TextIO) -> Hashes | None:
    """The manifest as `_save` writes it, or None when it is written otherwise."""
    if file.readline() != "{\n" or file.readline() != f'"format": {FORMAT},\n':
        return None
    pages: Hashes = {}
    into: str | None = None
    for line in file:
        if into is None:
            if line == "}\n":
                return pages
            start = _START.fullmatch(line)
            if start is None:
                return None
            if not start[2]:  # "{" and its entries, a line each
                into = start[1]
            continue
        if line in ("}\n", "},\n"):
            into = None
            continue
        entry = _ENTRY.fullmatch(line)
        if entry is None:
            return None
        quoted, value = entry.groups()
        name = quoted[1:-1] if "\\" not in quoted else json.loads(quoted)
        if into == "pages":
            pages[name] = _pack(value)
        else:
            _add_sig(pages, name, value)
    return None  # cut short
