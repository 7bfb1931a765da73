"""What each page of the site is made of, so that a render makes only the pages whose inputs
changed since the last one, and leaves the others as they are without rendering them.

A post's card is made from its file and from what it asks of the rest of the backup while it
is made: which post a link or a quote names (`Archive.find`), where its conversation is shown,
whether a tag has a page, who an account is (`Names.find`), which media file it shows and
whether that file is in the site. Those questions are recorded as the card is made (the
`Recording*` classes here, and `Archive.asked`), kept with the post in the site's post cache
(`CACHE`), and asked again at the next render: a post whose file has the same size and mtime
and whose questions get the same answers has the same card, and its `sig` (a hash of all of
it, and of the viewer's own code and templates) is the same.

A page's sig is made of what it shows: the sigs of its posts, in order, and the few facts of
its own (its neighbours, its lede, its title), as listings.py lays the page out before it is
rendered (`listing_sig`). The manifest keeps each page's sig after
its hash (write.py); a page whose sig is the same and whose file is still there is kept.
The post cache also keeps each post's head (load.Head), so an unchanged post file is not read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from markupsafe import Markup

import crosspost
from crosspost.model import Media, MediaKind, Platform, Post
from crosspost.view.cards import Cards, TagHrefs
from crosspost.view.comments import QUESTION, CommentIndex
from crosspost.view.listings import Listing
from crosspost.view.load import (
    Archive,
    Entry,
    Head,
    stored_file,
)
from crosspost.view.media import Placed, SiteMedia
from crosspost.view.people import Known, Names
from crosspost.view.safe import sanitiser, tag_key
from crosspost.view.search import CHUNK, INDEX, chunk_of

CACHE = ".crosspost-view-posts.jsonl"
_VERSION = 1
_SIG = 16  # bytes of a sig
_SKIP = {"posts", "media", "versions"}  # folders of an account that its pages do not show
ACCOUNTS = "\u0000accounts"  # the scope of the account pages' questions

Question = tuple[str, ...]


def fingerprint(root: Path, per_page: int) -> bytes:
    """The viewer itself: its version, its code and templates, where the backup is, and the
    page size. Any change makes every sig change, so every page is made again."""
    digest = hashlib.sha256(f"{crosspost.__version__}\0{root.resolve()}\0{per_page}".encode())
    here = Path(__file__).parent
    templates = [p for p in (here / "templates").rglob("*") if p.is_file()]
    for path in sorted([*here.glob("*.py"), *templates]):
        digest.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.digest()[:_SIG]


def _hash(*parts: object) -> bytes:
    return hashlib.sha256(repr(parts).encode("utf-8")).digest()[:_SIG]


class Recorder:
    """The questions of the posts whose cards are made this time, by post key."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        # post key -> its questions as they are asked; None once its line is made
        self.dirty: dict[str, set[Question] | None] = {}

    def scope(self, key: str) -> set[Question] | None:
        """Where the questions of `key`'s card go: None for a post known to be unchanged."""
        return self.dirty.get(key)


class Scoped:
    """Questions asked while it is entered are those of `key` (None: not recorded)."""

    def __init__(self, archive: Archive, asked: set[Question] | None) -> None:
        self.archive, self.asked = archive, asked
        self.saved: set[Question] | None = None

    def __enter__(self) -> None:
        self.saved, self.archive.asked = self.archive.asked, self.asked

    def __exit__(self, *_: object) -> None:
        self.archive.asked = self.saved


class RecordingTags(TagHrefs):
    """TagHrefs that tells the archive each tag it is asked about (every time: it caches)."""

    archive: Archive

    def __call__(self, tag: str) -> str | None:
        asked = self.archive.asked
        if asked is not None:
            asked.add(("g", tag_key(tag)))
        return super().__call__(tag)


class RecordingNames(Names):
    archive: Archive | None = None

    def find(self, platform: Platform, account: str) -> Known | None:
        asked = self.archive.asked if self.archive is not None else None
        if asked is not None:
            asked.add(("n", platform.value, account))
        return super().find(platform, account)


def recording_names(names: Names, archive: Archive) -> RecordingNames:
    recording = RecordingNames(names.known)
    recording.archive = archive
    return recording


class RecordingMedia(SiteMedia):
    archive: Archive | None = None

    def place(self, source: Path) -> Placed:
        placed = super().place(source)
        asked = self.archive.asked if self.archive is not None else None
        if asked is not None and placed.path is not None:
            asked.add(("p", placed.path))
        return placed


class RecordingCards(Cards):
    """Cards whose questions go to the post they are of (`recorder`)."""

    recorder: Recorder | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        tags = RecordingTags(self.prefix, self.archive.tags)
        tags.archive = self.archive
        self.tag_href = tags
        self._sanitise = sanitiser(tags)

    def card(self, entry: Entry, post: Post | None = None) -> Markup:
        recorder = self.recorder
        asked = recorder.scope(entry.key) if recorder is not None else None
        with Scoped(self.archive, asked):
            return super().card(entry, post)


@dataclass
class Answers:
    """Asks a recorded question again, of this render's archive."""

    archive: Archive
    names: Names
    out: Path
    media: SiteMedia  # what this render places in the site is there by the end of it

    def __post_init__(self) -> None:
        self._backups = {os.fspath(b.folder): b for b in self.archive.accounts}
        # Who an account is, and whether a tag has a page, asked by most posts of 100,000 and
        # the same all through a render: answered once each.
        self._known: dict[Question, str] = {}
        self._comments = CommentIndex()

    def __call__(self, question: Question) -> str:
        kind = question[0]
        if kind in ("n", "g"):
            found = self._known.get(question)
            if found is None:
                found = self._known[question] = self._ask(question)
            return found
        return self._ask(question)

    def _ask(self, question: Question) -> str:
        kind = question[0]
        archive = self.archive
        if kind == "f":
            found = archive.find_key(question[1], question[2], question[3])
            return found.key if found is not None else ""
        if kind == "t":
            entry = archive.by_key.get(question[1])
            href = archive.thread_href(entry) if entry is not None else None
            return href or ""
        if kind == "g":
            return "1" if question[1] in archive.tags else ""
        if kind == "n":
            return repr(tuple(self.names.find(Platform(question[1]), question[2]) or ()))
        if kind == "m":
            return self._media(question)
        if kind == QUESTION:
            backup = self._backups.get(question[1])
            return self._comments.digest(backup, question[2]) if backup is not None else ""
        if kind == "p":
            placed = question[1] in self.media.files or question[1] in self.media.made
            return "1" if placed or os.path.isfile(self.out / question[1]) else ""
        return "?"  # a question this version does not ask: never the same answer

    def _media(self, question: Question) -> str:
        backup = self._backups.get(question[1])
        if backup is None:
            return ""
        media = Media(MediaKind.IMAGE, local_path=question[2] or None, sha256=question[3] or None)
        found = stored_file(self.archive, backup, media)
        if found is None:
            return ""
        try:
            stat = found.stat()
        except OSError:
            return ""
        return f"{found}:{stat.st_size}:{stat.st_mtime_ns}"

    def sig(self, fp: bytes, stamp: str, questions: list[Question]) -> bytes:
        with Scoped(self.archive, None):  # asking again records nothing
            answers = [(q, self(q)) for q in questions]
        return _hash(fp, stamp, answers)


def account_stamp(archive: Archive) -> str:
    """The files the account pages are made of: each account folder's files but its posts,
    media and versions (profiles, earlier profiles, collections), by size and mtime."""
    stamps = []
    for backup in archive.accounts:
        for folder, dirs, files in os.walk(backup.folder):
            if folder == os.fspath(backup.folder):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP)
            for name in sorted(files):
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                stamps.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(stamps)


def _sigs(entries: Sequence[Entry]) -> list[tuple[str, bytes]]:
    return [(e.key, e.sig) for e in entries]


def listing_sig(fp: bytes, listing: Listing) -> bytes:
    """What a page that lists posts is made of: its path, its facts and its posts' sigs (every
    entry has its sig by now)."""
    return _hash(fp, listing.path, listing.facts, _sigs(listing.entries))


def search_sigs(archive: Archive, names: Names, fp: bytes) -> dict[str, bytes]:
    """The sigs of the search index's files: its list, and each chunk by its posts' files and
    how their accounts are named. A chunk's rows are held while it is hashed, not every
    chunk's at once (100,000 rows and labels were a tenth of a render's memory)."""
    total = len(archive.entries)
    sigs: dict[str, bytes] = {}
    labels: dict[tuple[str, str], str] = {}
    rows: list[tuple[str, str, str]] = []
    with Scoped(archive, None):
        for entry in archive.entries:
            platform = entry.key.partition(":")[0]
            label = labels.get((platform, entry.account))
            if label is None:
                label = names.label(Platform(platform), entry.account)
                labels[(platform, entry.account)] = label
            rows.append((entry.key, entry.stamp, label))
            if entry.index + 1 == total or chunk_of(entry.index + 1, total) != chunk_of(
                entry.index, total
            ):
                path = f"assets/search/{chunk_of(entry.index, total)}.js"
                sigs[path] = _hash(fp, "search", path, CHUNK, rows)
                rows = []
    sigs[INDEX] = _hash(fp, "search-index", total, CHUNK)
    return sigs


class PostCache:
    """The site's post cache (`CACHE`): a header line (the fingerprint, the account pages'
    record), then a line per post in (account folder, file name) order: its place, its file's
    stamp, its head and sig as one JSON array, a tab, then its questions as another (read only
    for the posts whose files are unchanged)."""

    def __init__(self, out: Path, fp: bytes) -> None:
        self.path = out / CACHE
        self.accounts: dict[str, Any] = {}
        self.valid = False
        self.count = 0  # post lines read by `heads`
        self._file: IO[bytes] | None = None
        try:
            self._file = self.path.open("rb")
            header = json.loads(self._file.readline() or b"null")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            header = None
        if isinstance(header, dict) and header.get("version") == _VERSION:
            self.valid = header.get("fp") == fp.hex()
            found = header.get("accounts")
            self.accounts = found if isinstance(found, dict) and self.valid else {}

    def heads(self) -> Iterator[tuple[int, list[Any]]]:
        """Each post line's offset and first part, in order, read once."""
        if not self.valid or self._file is None:
            return
        offset = self._file.tell()
        for line in self._file:
            try:
                found = json.loads(line.partition(b"\t")[0])
            except (UnicodeDecodeError, json.JSONDecodeError):
                return  # a damaged cache: the rest of it is not used
            if not isinstance(found, list) or len(found) != 5:
                return
            self.count += 1
            yield offset, found
            offset += len(line)

    def line(self, offset: int) -> bytes:
        assert self._file is not None
        self._file.seek(offset)
        return self._file.readline()

    def sig_and_questions(self, offset: int) -> tuple[bytes, list[Question]]:
        """The sig and the questions of the post line at `offset` (no sig when damaged)."""
        first, _, rest = self.line(offset).partition(b"\t")
        # The sig is the last string of the first part (its head was read by `heads`):
        # taken from between its quotes, not by decoding the part again.
        quoted = first.rpartition(b'"')[0].rpartition(b'"')[2]
        try:
            sig = bytes.fromhex(quoted.decode("ascii"))
            # A line may end in a part of its own after another tab (the public site's).
            return sig, [tuple(q) for q in json.loads(rest.partition(b"\t")[0])]
        except (UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError, IndexError):
            return b"", []

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class CachedHeads:
    """load.Heads from the cache, asked in the cache's own order (a merge of two sorted runs):
    each head found comes with its line's offset, which the entry keeps (`Entry.cached`)."""

    def __init__(self, cache: PostCache) -> None:
        self._lines = cache.heads()
        self._line = next(self._lines, None)

    def __call__(self, folder: str, name: str, stamp: str) -> tuple[Head, int] | None:
        while self._line is not None and tuple(self._line[1][:2]) < (folder, name):
            self._line = next(self._lines, None)
        if self._line is None:
            return None
        offset, (at, named, stamped, head, _) = self._line
        if at != folder or named != name or stamped != stamp:
            return None
        try:
            return Head(*head), offset
        except TypeError:
            return None

    def drain(self) -> None:
        """Read the lines no file was asked about (posts gone since), to count them."""
        for _ in self._lines:
            pass


def check(
    cache: PostCache, heads: CachedHeads, archive: Archive, answers: Answers, fp: bytes
) -> set[str]:
    """Give each entry whose file and answers are unchanged its sig from the cache (the others
    lose their `cached` line: they are made again). Returns the site media those posts show
    (their "p" questions)."""
    media: set[str] = set()
    heads.drain()
    for entry in archive.entries:
        if entry.cached < 0:
            continue
        sig, asked = cache.sig_and_questions(entry.cached)
        if not sig or answers.sig(fp, entry.stamp, asked) != sig:
            entry.cached = -1
            continue
        entry.sig = sig
        media.update(q[1] for q in asked if q[0] == "p")
    return media


def post_line(folder: str, entry: Entry, head: Head, questions: set[Question]) -> bytes:
    stamp = ":".join(entry.stamp.split(":")[:2])  # the file's own, without its versions'
    first = json.dumps([folder, entry.file, stamp, list(head), entry.sig.hex()])
    return f"{first}\t{json.dumps(sorted(questions))}\n".encode()


def write_cache(
    out: Path,
    fp: bytes,
    accounts: dict[str, Any],
    archive: Archive,
    old: PostCache,
    made: Callable[[Entry], bytes | None],
) -> None:
    """The new cache: the lines of unchanged posts copied from the old one (`Entry.cached`),
    the others as made this time (`made`), in (account folder, file name) order. Left alone
    when it would be the same."""
    clean = sum(1 for entry in archive.entries if entry.cached >= 0)
    if old.valid and accounts is old.accounts and clean == old.count == len(archive.entries):
        return
    temp = out / f".{CACHE}.tmp"
    with temp.open("wb") as file:
        header = {"version": _VERSION, "fp": fp.hex(), "accounts": accounts}
        file.write(json.dumps(header).encode() + b"\n")
        for entry in archive.in_files:  # not sorted again: a key per post was 10 MB at 100,000
            line = old.line(entry.cached) if entry.cached >= 0 else made(entry)
            if line:
                file.write(line)
    os.replace(temp, out / CACHE)
