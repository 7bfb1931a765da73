"""Render a backup folder into a static site: `render_site(root, out)` and its report.

The render holds a small entry per post (load.py), never every post: it reads each post's file
once more, newest first, for its own page, its card, its row of the search index (written a
chunk at a time) and, for the newest, its card on index.html; the cards the other pages list
are kept in a spool on disk (spool.py) and read back as each page is made. At 100,000 posts
this peaks at 120 to 140 MB, where holding the posts and their cards took over 500 MB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from crosspost.progress import NoProgress, Progress
from crosspost.view.account import load_accounts
from crosspost.view.account_pages import account_page_count, account_pages
from crosspost.view.assets import SEARCH, STYLE
from crosspost.view.cards import Cards
from crosspost.view.load import Archive, load_archive
from crosspost.view.media import SiteMedia
from crosspost.view.pages import (
    Page,
    archive_pages,
    index_pages,
    page_count,
    post_page,
    search_page,
    tag_pages,
    thread_pages,
)
from crosspost.view.people import Names, build_names
from crosspost.view.search import SearchIndex
from crosspost.view.spool import CardSpool
from crosspost.view.write import SiteWriter

PER_PAGE = 20


@dataclass(frozen=True)
class SiteReport:
    out: Path
    posts: int
    accounts: int
    pages: int  # every file the site's manifest lists: pages, assets and media
    written: tuple[str, ...]  # files (re)written this time, media included
    unchanged: int
    removed: tuple[str, ...]
    media: int  # media files in the site
    size: int  # bytes of pages, assets and media

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def default_out(root: Path) -> Path:
    return root / "site"


def render_site(
    root: Path,
    out: Path | None = None,
    *,
    progress: Progress | None = None,
    per_page: int = PER_PAGE,
) -> SiteReport:
    """Render the backup at `root` into `out` (default: `root/site`), writing changed files only."""
    progress = progress or NoProgress()
    out = out or default_out(root)
    archive = load_archive(root, progress)
    accounts = load_accounts(archive.accounts, progress)
    names = build_names(archive, accounts)
    media = SiteMedia()
    writer = SiteWriter(out)
    # The cards of the pages one folder down show every post: kept on disk (spool.py).
    with CardSpool(len(archive.entries), out) as spool:
        top, deep = (Cards(archive, media, prefix, names) for prefix in ("", "../../"))
        nested = Cards(archive, media, "../", names, spool)
        total = page_count(archive, per_page) + account_page_count(accounts)
        progress.start("render pages", total)
        writer.write("search.html", search_page()[1])
        progress.advance("render pages")
        _write_posts(archive, writer, top, nested, per_page, names, progress)
        pages: list[Iterable[Page]] = [
            index_pages(archive, top, nested, per_page),
            archive_pages(archive, nested),
            tag_pages(archive, nested),
            thread_pages(archive, nested),
            account_pages(accounts, top, nested, deep),
        ]
        for relative, html in _chain(pages):
            writer.write(relative, html)
            progress.advance("render pages")
    writer.write("assets/style.css", STYLE)
    writer.write("assets/search.js", SEARCH)
    progress.finish("render pages")
    files = media.paths
    progress.start("copy media", len(files))
    copied = media.copy_into(out)
    size = writer.size
    for relative in files:
        writer.keep(relative, Path(relative).stem)
        size += media.size(relative)
        progress.advance("copy media")
    progress.finish("copy media")
    writer.finish()
    return SiteReport(
        out=out,
        posts=len(archive.entries),
        accounts=len(archive.accounts),
        pages=writer.unchanged + len(writer.written) + len(files),
        written=(*writer.written, *copied),
        unchanged=writer.unchanged + len(files) - len(copied),
        removed=tuple(writer.removed),
        media=len(files),
        size=size,
    )


def _write_posts(
    archive: Archive,
    writer: SiteWriter,
    top: Cards,
    nested: Cards,
    per_page: int,
    names: Names,
    progress: Progress,
) -> None:
    """Each post read from its file once, newest first, for everything it is on by itself: its
    page, its card (kept for the pages that list it), its row of the search index, its card on
    index.html. Nothing of it is held after."""
    search = SearchIndex(len(archive.entries), names)
    writer.write(*search.listing())
    for entry, post in archive.posts():
        if entry.index < per_page:
            top.card(entry, post)
        writer.write(*post_page(archive, nested, entry, post))
        progress.advance("render pages")
        chunk = search.add(entry, post)
        if chunk is not None:
            writer.write(*chunk)


def _chain(groups: Iterable[Iterable[Page]]) -> Iterator[Page]:
    for group in groups:
        yield from group
