"""Render a backup's public posts as a site to put on the web: `render_public_site(root, out)`.

The viewer's pages (pages.py), written by its writer (write.py: only changed files rewritten),
from an archive of the public posts alone (public_archive.py), with what a site on the web
needs added (public_pages.py): a canonical link and the robots choice on every page,
robots.txt, the accounts as h-cards with rel=me links, Atom feeds when the site's address is
known, and optionally pages at the posts' old Tumblr addresses. The viewer's safety stays: the
same Content-Security-Policy, sanitised text and no active media.

Unlike the viewer's folder (readable by its owner only, since a backup holds private posts),
this one is made readable by all, media included, since it is meant to be uploaded.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from crosspost.errors import DataError
from crosspost.progress import NoProgress, Progress
from crosspost.view.account import AccountData, load_accounts
from crosspost.view.assets import SEARCH, STYLE
from crosspost.view.listings import (
    archive_listings,
    index_listings,
    rendered,
    tag_listings,
    thread_listings,
)
from crosspost.view.load import load_archive
from crosspost.view.media import SiteMedia
from crosspost.view.pages import Page, post_page, search_page
from crosspost.view.people import build_names
from crosspost.view.public_archive import PublicArchive, PublicCards, public_archive
from crosspost.view.public_pages import (
    FeedLink,
    Head,
    account_feed,
    account_page,
    accounts_page,
    feed_pages,
    h_card,
    index_with_cards,
    profile_url,
    redirect_pages,
    tag_feed,
)
from crosspost.view.safe import tag_slug
from crosspost.view.search import SearchIndex
from crosspost.view.spool import CardSpool
from crosspost.view.write import MANIFEST, SiteWriter

PER_PAGE = 20
MARKER = ".crosspost-public"  # the mark of a public site, beside the writer's manifest


class Robots(StrEnum):
    INDEX = "index"
    NOINDEX = "noindex"


ROBOTS_TXT = {
    Robots.INDEX: "User-agent: *\nAllow: /\n",
    Robots.NOINDEX: "User-agent: *\nDisallow: /\n",
}


@dataclass(frozen=True)
class PublicOptions:
    url: str | None = None  # the site's address, ending in "/": feeds need it
    robots: Robots = Robots.INDEX
    old_addresses: bool = False  # pages at the posts' old Tumblr addresses


@dataclass(frozen=True)
class PublicReport:
    out: Path
    posts: int  # public posts on the site
    left_out: int  # posts of the backup that are not public
    accounts: int
    files: int
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    media: int
    size: int
    feeds: int
    redirects: int

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def render_public_site(
    root: Path,
    out: Path,
    options: PublicOptions | None = None,
    *,
    progress: Progress | None = None,
    per_page: int = PER_PAGE,
) -> PublicReport:
    """Render the public posts of the backup at `root` into `out`, writing changed files only."""
    options = options or PublicOptions()
    progress = progress or NoProgress()
    _prepare(out)
    public = public_archive(load_archive(root, progress), progress)
    archive = public.archive
    accounts = [replace(data, earlier=[], collections={}) for data in
                load_accounts(archive.accounts, progress)]  # fmt: skip
    writer = SiteWriter(out)
    writer.write(MARKER, "A public site made by `crosspost site`: public posts only.\n")
    media = SiteMedia()
    counts = [0, 0]  # feeds, redirects
    with CardSpool(len(archive.entries), out) as spool:
        names = build_names(archive, accounts)
        top = PublicCards(archive, media, "", names, hidden=public.hidden)
        nested = PublicCards(archive, media, "../", names, spool, hidden=public.hidden)
        head = Head(options.url, options.robots.value, options.url is not None)
        progress.start("render pages", len(archive.entries))
        for path, html in _pages(public, accounts, head, (top, nested), per_page, progress):
            writer.write(path, html)
        if options.old_addresses:
            for path, html in redirect_pages(archive, public.urls, head):
                writer.write(path, html)
                counts[1] += 1
        if options.url is not None:
            absolute = PublicCards(archive, media, options.url, names, hidden=public.hidden)
            for path, xml in feed_pages(archive, accounts, absolute, options.url):
                writer.write(path, xml)
                counts[0] += 1
    progress.finish("render pages")
    writer.write("robots.txt", ROBOTS_TXT[options.robots])
    writer.write("assets/style.css", STYLE)
    writer.write("assets/search.js", SEARCH)
    files = media.paths
    copied = _copy_media(media, out)
    size = writer.size
    for relative in files:
        writer.keep(relative, Path(relative).stem)
        size += media.size(relative)
    writer.finish()
    _readable_by_all(out)
    return PublicReport(
        out=out,
        posts=len(archive.entries),
        left_out=public.left_out,
        accounts=len(accounts),
        files=writer.unchanged + len(writer.written) + len(files),
        written=(*writer.written, *copied),
        unchanged=writer.unchanged + len(files) - len(copied),
        removed=tuple(writer.removed),
        media=len(files),
        size=size,
        feeds=counts[0],
        redirects=counts[1],
    )


def _prepare(out: Path) -> None:
    """A new folder readable by all; an existing one must be empty or a public site: the
    viewer's own site holds every post, and rendering over it would publish what is left."""
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: exists and is not a folder")
    if not out.exists():
        out.mkdir(parents=True, mode=0o755)
    elif (out / MANIFEST).is_file() and not (out / MARKER).is_file() and _has_pages(out):
        raise DataError(
            f"{out}: holds the offline viewer's site (with every post, private ones too); "
            "choose a new folder for --out"
        )
    out.chmod(0o755)  # mkdir's mode is cut by the umask


def _has_pages(out: Path) -> bool:
    try:
        return bool(json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("pages"))
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return True


def _pages(
    public: PublicArchive,
    accounts: list[AccountData],
    head: Head,
    cards: tuple[PublicCards, PublicCards],
    per_page: int,
    progress: Progress,
) -> Iterator[Page]:
    """Every HTML page of the site, with the public site's <head>."""
    archive = public.archive
    top, nested = cards
    hcards = {a.slug: h_card(a, top, head.feeds) for a in accounts}
    account_feeds = [
        FeedLink(f"{hcards[a.slug].handle} on {hcards[a.slug].platform}", account_feed(a))
        for a in accounts
    ]
    me = [url for url in (profile_url(a) for a in accounts) if url]
    yield head.add("search.html", search_page()[1])
    search = SearchIndex(len(archive.entries), names=top.names)
    yield search.listing()
    for entry, post in archive.posts():
        if entry.index < per_page:
            top.card(entry, post)
        yield head.add(*post_page(archive, nested, entry, post))
        progress.advance("render pages")
        chunk = search.add(entry, post)
        if chunk is not None:
            yield chunk
    for path, html in rendered([index_listings(archive, top, nested, per_page)]):
        if path == "index.html":
            html = index_with_cards(html, accounts, top, head.feeds)
            yield head.add(path, html, account_feeds, me)
        else:
            yield head.add(path, html)
    tag_feeds = {f"tags/{tag_slug(key)}": FeedLink(f"#{name}", tag_feed(key))
                 for key, name in archive.tag_names.items()}  # fmt: skip
    listed = [archive_listings(archive, nested), thread_listings(archive, nested)]
    for path, html in rendered(listed):
        yield head.add(path, html)
    for path, html in rendered([tag_listings(archive, nested)]):
        found = tag_feeds.get(path.partition(".")[0])
        feeds = [FeedLink(found.title, "../" + found.href)] if found is not None else []
        yield head.add(path, html, feeds)
    yield head.add(*accounts_page(accounts, top))
    for data in accounts:
        path, html = account_page(data, archive, nested, head.feeds)
        feeds = [FeedLink(account_feeds[accounts.index(data)].title, "../" + account_feed(data))]
        yield head.add(path, html, feeds, [url for url in [profile_url(data)] if url])


def _copy_media(media: SiteMedia, out: Path) -> list[str]:
    """The media files the site does not have yet, each readable by all: a file of the backup
    is linked when it already is (no second copy on disk), else copied (a link shares the
    backup's file and its mode, and a backup's media is often its owner's alone)."""
    copied: list[str] = []
    for relative in media.paths:
        target = out / relative
        if target.exists():
            continue  # named by its content's hash: an existing file is the same file
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.tmp")
        made = media.made.get(relative)
        if made is not None:
            temp.write_bytes(made)
        else:
            source = media.files[relative]
            if source.stat().st_mode & stat.S_IROTH:
                try:
                    os.link(source, temp)
                except OSError:
                    shutil.copyfile(source, temp)
            else:
                shutil.copyfile(source, temp)
        if not temp.stat().st_mode & stat.S_IROTH:
            temp.chmod(0o644)
        os.replace(temp, target)
        copied.append(relative)
    return copied


def _readable_by_all(out: Path) -> None:
    """Every folder and file of the site readable by all, whatever the umask made them (a file
    that already is, a linked media file among them, is left as it is)."""
    for folder, names, files in os.walk(out):
        for name in names:
            _add_mode(Path(folder, name), stat.S_IRUSR | stat.S_IXUSR | 0o055)
        for name in files:
            _add_mode(Path(folder, name), stat.S_IRUSR | 0o044)


def _add_mode(path: Path, wanted: int) -> None:
    mode = path.lstat().st_mode
    if not stat.S_ISLNK(mode) and mode & wanted != wanted:
        path.chmod(stat.S_IMODE(mode) | wanted)
