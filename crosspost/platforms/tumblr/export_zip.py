"""Import of the zip Tumblr's blog export gives (blog settings > Export), or the folder it
unpacks to.

What the zip holds, as verified (no real export could be found to read; the layout is put
together from the code and notes of projects reading real ones):

- `posts/html/<post id>.html`: one HTML page per post, its date and tags in a
  `<div id="footer">` (export_html.py). Parsers of real exports: aditya-pandya/MMM
  scripts/import_tumblr_archive.py, trevoedwards/tumbl app/parsers/legacy_html.py.
- `posts/html/submissions/<id>.html`: submissions (tumbl docs/export-formats.md).
- `posts/posts_index.html` (a list of the pages) and `posts/style.css` (tumbl, ibid.).
- `media/<post id>.<ext>` and `media/<post id>_<n>.<ext>`: the posts' files, which the pages
  name as `../../media/<file>` (tumblr/docs#37: "a post named 123456789.html and a photo in the
  media folder named 123456789.gif"; tumbl app/media_resolve.py). Some pages name no file, or
  another post's file (tumblr/docs#37, tumbl docs/export-formats.md): files named after the
  post's id are the post's own.
- The posts may come as a zip inside the zip (`posts.zip`, holding posts.xml and html/; tumbl
  app/archive_prepare.py), beside `media/`.
- `posts/posts.xml` (the API v1 XML of every post; tiyb/tev README), `messages.xml` or
  `conversations/` (private messages): not read; messages are not posts.

Read in one pass: media files go to the importer's sink as they are met; pages are read (at most
MAX_PAGE each) into Posts, whose files are matched once every member has been seen. Hostile
input is refused in one line (DataError): a member named outside the export (`../`, an absolute
name), a symbolic link, a member or nested zip declaring more than MAX_MEMBER or all of them
more than MAX_TOTAL (a zip bomb), more bytes than declared, a name that is not the UTF-8 it says.
One nested zip is read; a zip inside that one is left out and counted.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from crosspost.errors import DataError
from crosspost.model import Media, MediaKind, Platform, Post, PostRef
from crosspost.platforms.archive_safety import (
    CHUNK,
    UNREADABLE,
    Bounded,
    normalise,
    said,
    zip_opener,
)
from crosspost.platforms.export import FileSink, Skipped
from crosspost.platforms.tumblr.export_html import own_blog, page_post, read_page

# Tumblr takes videos up to 500 MB (help.tumblr.com, "Posting videos"); 1 GB leaves room.
MAX_MEMBER = 1 << 30
MAX_TOTAL = 64 << 30  # every member together, nested zip's included
MAX_PAGE = 8 << 20  # one post page: text, far beyond any post's
MAX_MEMBERS = 1_000_000
_POST_ID = re.compile(r"^[0-9]{1,20}$")
_BLOG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", re.IGNORECASE)
_KINDS = {
    "gif": (MediaKind.GIF, "image/gif"),
    "jpg": (MediaKind.IMAGE, "image/jpeg"),
    "jpeg": (MediaKind.IMAGE, "image/jpeg"),
    "png": (MediaKind.IMAGE, "image/png"),
    "webp": (MediaKind.IMAGE, "image/webp"),
    "mp4": (MediaKind.VIDEO, "video/mp4"),
    "mov": (MediaKind.VIDEO, "video/quicktime"),
    "mp3": (MediaKind.AUDIO, "audio/mpeg"),
    "m4a": (MediaKind.AUDIO, "audio/mp4"),
    "ogg": (MediaKind.AUDIO, "audio/ogg"),
    "wav": (MediaKind.AUDIO, "audio/wav"),
}
LAYOUT = "posts/html/<id>.html and media/ (Tumblr's blog export)"


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # normalised, inside the nested zip when it comes from one
    size: int
    open: Callable[[], IO[bytes]]  # good until the next member is met


@dataclass
class _Read:
    """The pass's findings."""

    pages: list[tuple[str, Post]] = field(default_factory=list)  # (post id, post)
    media: dict[str, tuple[str, int]] = field(default_factory=dict)  # file name -> member, size
    blogs: list[str] = field(default_factory=list)  # blog names the export's pages give
    nested: list[str] = field(default_factory=list)
    xml_only: bool = False
    skipped: Skipped = field(default_factory=Skipped)


def _safe_name(path: Path, raw: str, is_link: bool) -> str:
    name = raw.replace("\\", "/")
    if is_link:
        raise DataError(
            f"{path}: {raw!r} is a symbolic link; a Tumblr export holds none (re-download it)"
        )
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in name.split("/"):
        raise DataError(
            f"{path}: the member {raw[:120]!r} is named outside the export; refusing the file "
            "(re-download the export from Tumblr)"
        )
    return normalise(name)


class _Budget:
    """Declared sizes checked before anything is read: a zip bomb is refused, not unpacked."""

    def __init__(self, path: Path) -> None:
        self.path, self.total, self.count = path, 0, 0

    def take(self, name: str, size: int) -> None:
        self.count += 1
        self.total += size
        if size > MAX_MEMBER:
            raise DataError(
                f"{self.path}: {name} says it unpacks to {size:,} bytes, more than the "
                f"{MAX_MEMBER:,} a file of a Tumblr export can hold; refusing it as a zip bomb"
            )
        if self.total > MAX_TOTAL or self.count > MAX_MEMBERS:
            raise DataError(
                f"{self.path}: its members unpack to more than {MAX_TOTAL:,} bytes or "
                f"{MAX_MEMBERS:,} files; refusing it as a zip bomb"
            )


def _zip_members(
    path: Path, archive: zipfile.ZipFile, budget: _Budget, prefix: str = ""
) -> Iterator[Member]:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    for info in infos:  # every name and size checked before any member is read
        is_link = stat.S_ISLNK(info.external_attr >> 16)
        _safe_name(path, prefix + info.filename, is_link)
        budget.take(prefix + info.filename, info.file_size)
    for info in infos:
        name = normalise(info.filename.replace("\\", "/"))
        yield Member(prefix + name, info.file_size, zip_opener(path, archive, info))


def _folder_members(root: Path, budget: _Budget) -> Iterator[Member]:
    for folder, subfolders, files in os.walk(root):  # os.walk follows no linked folder
        subfolders.sort()
        for entry in sorted(files + [s for s in subfolders if Path(folder, s).is_symlink()]):
            full = Path(folder, entry)
            name = full.relative_to(root).as_posix()
            _safe_name(root, name, full.is_symlink())
            if not full.is_file():
                continue
            size = full.stat().st_size
            budget.take(name, size)
            yield Member(name, size, _file_opener(full))


def _file_opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _classify(name: str) -> str:
    parts = PurePosixPath(name).parts
    base = parts[-1].lower()
    if base.endswith(".zip"):
        return "zip"
    if len(parts) >= 3 and parts[-2] == "submissions" and parts[-3] == "html":
        return "submission"
    if len(parts) >= 2 and parts[-2] == "html" and base.endswith(".html"):
        return "page"
    if len(parts) >= 2 and parts[-2] == "media":
        return "media"
    if base in ("posts_index.html", "style.css"):
        return "index"
    if base == "posts.xml":
        return "xml"
    if base in ("messages.xml", "conversations.json") or "conversations" in parts[:-1]:
        return "messages"
    return "other"


class _Pass:
    def __init__(self, path: Path, sink: FileSink | None) -> None:
        self.path, self.sink = path, sink
        self.read = _Read()
        self.budget = _Budget(path)
        self.saw_page = False

    def run(self) -> _Read:
        path = self.path
        try:
            if path.is_dir():
                self._members(_folder_members(path, self.budget), nested_ok=True)
            else:
                with zipfile.ZipFile(path) as archive:
                    self._members(_zip_members(path, archive, self.budget), nested_ok=True)
        except UnicodeDecodeError:
            said_name = "a member's name is not the UTF-8 the zip says it is"
            raise DataError(f"{path}: {said_name}") from None
        except (*UNREADABLE, OSError) as error:
            raise DataError(f"{path}: not a readable Tumblr export ({said(error)})") from None
        return self.read

    def _members(self, members: Iterator[Member], nested_ok: bool) -> None:
        for member in members:
            kind = _classify(member.name)
            if kind == "zip" and nested_ok:
                self._nested(member)
            elif kind == "zip":
                self.read.skipped.note("zips inside the nested zip (left out)", member.name)
            elif kind == "page":
                self.saw_page = True
                self._page(member)
            elif kind == "media":
                self._media(member)
            elif kind == "submission":
                self.read.skipped.note("submissions by others (left out)", member.name)
            elif kind == "messages":
                self.read.skipped.note("private messages (not posts; left out)", member.name)
            elif kind == "xml":
                self.read.xml_only = True
            elif kind == "other":
                self.read.skipped.note("files outside the export's layout (left out)", member.name)

    def _nested(self, member: Member) -> None:
        """The posts zip inside the export: spooled to an unnamed temporary file (removed when
        closed, whatever happens), its members checked like the outer zip's."""
        self.read.nested.append(member.name)
        with tempfile.TemporaryFile() as spooled:
            with Bounded(member.name, member.open(), member.size) as stream:
                while chunk := stream.read(CHUNK):
                    spooled.write(chunk)
            spooled.seek(0)
            label = f"{self.path}!{member.name}"
            try:
                with zipfile.ZipFile(spooled) as inner:
                    prefix = member.name + "/"
                    self._members(_zip_members(Path(label), inner, self.budget, prefix), False)
            except zipfile.BadZipFile as error:
                raise DataError(f"{label}: not a readable zip ({said(error)})") from None

    def _page(self, member: Member) -> None:
        stem = PurePosixPath(member.name).stem
        if not _POST_ID.match(stem):
            self.read.skipped.note("pages not named after a post id (left out)", member.name)
            return
        if member.size > MAX_PAGE:
            self.read.skipped.note(f"pages over {MAX_PAGE >> 20} MB (left out)", member.name)
            return
        with Bounded(member.name, member.open(), member.size) as stream:
            data = b"".join(iter(lambda: stream.read(CHUNK), b""))
        page = read_page(data.decode("utf-8", errors="replace"))
        if blog := own_blog(page, stem):
            self.read.blogs.append(blog)
        try:
            post = page_post(page, stem, "", member.name)
        except DataError as error:
            self.read.skipped.note("pages without a readable date (left out)", f"{stem}: {error}")
            return
        self.read.pages.append((stem, post))

    def _media(self, member: Member) -> None:
        base = PurePosixPath(member.name).name
        if base in self.read.media:
            self.read.skipped.note("media files given twice (the first one kept)", member.name)
            return
        self.read.media[base] = (member.name, member.size)
        if self.sink is not None:
            with Bounded(member.name, member.open(), member.size) as stream:
                self.sink(member.name, stream)  # type: ignore[arg-type]


def _blog_name(path: Path, read: _Read) -> str:
    """The blog: as its pages link to themselves, else the nested zip's or the file's name."""
    if read.blogs:
        return max(set(read.blogs), key=read.blogs.count)
    for candidate in [PurePosixPath(name).stem for name in read.nested] + [path.stem]:
        if _BLOG.match(candidate) and candidate.lower() not in ("posts", "export", "tumblr"):
            return candidate.lower()
    raise DataError(
        f"{path}: nothing in it names the blog it is of; rename the file after the blog "
        "(e.g. staff.zip) and import it again"
    )


def _post_media(post_id: str, named: list[str], read: _Read) -> list[Media]:
    """The files the page names, then those named after the post's id (`<id>.<ext>`,
    `<id>_<n>.<ext>`) that the page does not name."""
    own = sorted(
        (name for name in read.media if re.match(rf"^{post_id}(_\d+)?\.", name)),
        key=lambda name: (len(name), name),
    )
    found: list[Media] = []
    for name in dict.fromkeys([*named, *own]):
        if name not in read.media:
            read.skipped.note("media files named but absent from the export", name)
            continue
        member, size = read.media[name]
        kind, mime = _KINDS.get(name.rpartition(".")[2].lower(), (MediaKind.IMAGE, None))
        found.append(Media(kind, url=f"media/{name}", mime=mime, size=size, local_path=member))
    return found


@dataclass
class ExportReading:
    blog: str
    posts: list[Post]
    skipped: Skipped


def open_export(path: Path, sink: FileSink | None = None) -> ExportReading:
    """The export after its one pass; DataError when it is no Tumblr export or is hostile."""
    path = Path(path)
    passing = _Pass(path, sink)
    read = passing.run()
    if not passing.saw_page:
        more = " (it holds posts.xml: crosspost reads the HTML pages beside it)" * read.xml_only
        raise DataError(f"{path}: no posts/html/<id>.html in it{more}: not {LAYOUT}")
    blog = _blog_name(path, read)
    posts = []
    for post_id, post in read.pages:
        media = (*post.media, *_post_media(post_id, _named(post), read))
        url = f"https://{blog}.tumblr.com/post/{post_id}" if "." not in blog else None
        ref = PostRef(Platform.TUMBLR, blog, post_id, url)
        posts.append(post.with_changes(ref=ref, media=media))
    posts.sort(key=lambda post: post.created_at)
    return ExportReading(blog, posts, read.skipped)


def _named(post: Post) -> list[str]:
    raw = post.raw.get("local_media") if isinstance(post.raw, dict) else None
    return [str(name) for name in raw] if isinstance(raw, list) else []
