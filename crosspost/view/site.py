"""Render a backup folder into a static site: `render_site(root, out)` and its report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from crosspost.progress import NoProgress, Progress
from crosspost.view.account import load_accounts
from crosspost.view.account_pages import account_page_count, account_pages
from crosspost.view.assets import SEARCH, STYLE
from crosspost.view.cards import Cards
from crosspost.view.load import load_archive
from crosspost.view.media import SiteMedia
from crosspost.view.pages import (
    Page,
    archive_pages,
    index_pages,
    page_count,
    post_pages,
    search_page,
    tag_pages,
    thread_pages,
)
from crosspost.view.people import build_names
from crosspost.view.search import search_files
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
    top, nested, deep = (Cards(archive, media, prefix, names) for prefix in ("", "../", "../../"))
    writer = SiteWriter(out)
    pages: list[Iterable[Page]] = [
        [search_page()],
        index_pages(archive, top, nested, per_page),
        archive_pages(archive, nested),
        tag_pages(archive, nested),
        post_pages(archive, nested),
        thread_pages(archive, nested),
        account_pages(accounts, top, nested, deep),
    ]
    total = page_count(archive, per_page) + account_page_count(accounts)
    progress.start("render pages", total)
    for relative, html in _chain(pages):
        writer.write(relative, html)
        progress.advance("render pages")
    writer.write("assets/style.css", STYLE)
    writer.write("assets/search.js", SEARCH)
    for relative, script in search_files(archive, names):
        writer.write(relative, script)
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


def _chain(groups: Iterable[Iterable[Page]]) -> Iterator[Page]:
    for group in groups:
        yield from group
