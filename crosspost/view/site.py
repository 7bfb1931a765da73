"""Render a backup folder into a static site: `render_site(root, out)` and its report.

The render holds a small entry per post (load.py), never every post: it reads each post's file
once more, newest first, for its own page, its card, its row of the search index (written a
chunk at a time) and, for the newest, its card on index.html; the cards the other pages list
are kept in a spool on disk (spool.py) and read back as each page is made. At 100,000 posts
a render peaks at about 145 MB (bench/bench_view.py: first render, no change and 10 new posts
alike), where holding the posts and their cards took over 500 MB.

A render after a backup makes only what changed (depends.py): the posts whose files or whose
answers changed, and the pages that list posts whose sig (listings.py: the values the page is
rendered from, and its posts' sigs) changed. At 10,000 posts, 10 new posts take about 0.7 s of
CPU where making every older page of the index again took 2.4 s; at 100,000, 6 s where the
index pages (each slicing the whole list again) took 35 s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crosspost.model import Post
from crosspost.progress import NoProgress, Progress
from crosspost.view.account import AccountData, load_accounts
from crosspost.view.account_pages import account_page_count, account_pages
from crosspost.view.assets import SEARCH, STYLE
from crosspost.view.cards import Cards
from crosspost.view.comments import QUESTION, CommentIndex, thread_html
from crosspost.view.depends import (
    Answers,
    CachedHeads,
    PostCache,
    Question,
    Recorder,
    RecordingCards,
    RecordingMedia,
    Scoped,
    account_stamp,
    check,
    fingerprint,
    listing_sig,
    post_line,
    recording_names,
    write_cache,
)
from crosspost.view.listings import (
    Listing,
    archive_listings,
    index_listings,
    tag_listings,
    thread_listings,
)
from crosspost.view.load import Archive, Entry, Head, account_folder, load_archive
from crosspost.view.pages import page_count, post_page, search_page
from crosspost.view.people import Names, build_names
from crosspost.view.post_pass import post_pass
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
    """Render the backup at `root` into `out` (default: `root/site`), making only the pages
    whose inputs changed since the last render (depends.py) and writing changed files only."""
    progress = progress or NoProgress()
    out = out or default_out(root)
    fp = fingerprint(root, per_page)
    old = PostCache(out, fp)
    heads = CachedHeads(old)
    archive = load_archive(root, progress, heads)
    writer = SiteWriter(out)
    accounts = load_accounts(archive.accounts, progress)
    names = recording_names(build_names(archive, accounts), archive)
    media = RecordingMedia()
    media.archive = archive
    answers = Answers(archive, names, out, media)
    kept_media = check(old, heads, archive, answers, fp)
    del heads
    recorder = Recorder(archive)
    for entry in archive.entries:
        if entry.cached < 0:
            recorder.dirty[entry.key] = set()
    # The cards of the pages one folder down show every post: kept on disk (spool.py), and so
    # are the post cache's new lines.
    with CardSpool(len(archive.entries), out) as spool, CardSpool(len(archive.entries)) as lines:
        top, deep = (RecordingCards(archive, media, p, names) for p in ("", "../../"))
        nested = RecordingCards(archive, media, "../", names, spool)
        for cards in (top, deep, nested):
            cards.recorder = recorder
        total = page_count(archive, per_page) + account_page_count(accounts)
        progress.start("render pages", total)
        writer.write("search.html", search_page()[1])
        progress.advance("render pages")
        made = _Made(archive, writer, top, nested, per_page, names, recorder, answers, fp, lines)
        made.posts(progress)
        listings = [
            index_listings(archive, top, nested, per_page),
            archive_listings(archive, nested),
            tag_listings(archive, nested),
            thread_listings(archive, nested),
        ]
        for listing in _chain(listings):
            sig = listing_sig(fp, listing)
            if not writer.keep_page(listing.path, sig):
                writer.write_made(listing.path, listing.make(), sig)
            progress.advance("render pages")
        record = _account_pages(archive, accounts, old, answers, top, nested, deep, writer, fp)
        kept_media.update(record["media"])
        progress.advance("render pages", account_page_count(accounts))
        writer.write("assets/style.css", STYLE)
        writer.write("assets/search.js", SEARCH)
        progress.finish("render pages")
        files = media.paths
        progress.start("copy media", len(files))
        copied = media.copy_into(out)
        size = writer.size
        placed = set(files)
        for relative in files:
            writer.keep(relative, Path(relative).stem)
            size += media.size(relative)
            progress.advance("copy media")
        for relative in sorted(kept_media - placed):
            target = out / relative
            if target.is_file():
                writer.keep(relative, target.stem)
                size += target.stat().st_size
        progress.finish("copy media")
        count = len(placed | kept_media)
        writer.finish()
        write_cache(out, fp, record, archive, old, lambda e: lines.get_bytes(e.index))
    old.close()
    return SiteReport(
        out=out,
        posts=len(archive.entries),
        accounts=len(archive.accounts),
        pages=writer.unchanged + len(writer.written) + count,
        written=(*writer.written, *copied),
        unchanged=writer.unchanged + count - len(copied),
        removed=tuple(writer.removed),
        media=count,
        size=size,
    )


@dataclass
class _Made:
    """The posts' own pages and the search index: each post read from its file once, newest
    first, for everything it is on by itself (its page, its card kept for the pages that list
    it, its row of the search index, its card on index.html), when one of them changed."""

    archive: Archive
    writer: SiteWriter
    top: Cards
    nested: Cards
    per_page: int
    names: Names
    recorder: Recorder
    answers: Answers
    fp: bytes
    lines: CardSpool  # the post cache's lines of the posts made this time, by entry index
    comments: CommentIndex = field(default_factory=CommentIndex)

    def posts(self, progress: Progress) -> None:
        post_pass(
            self.archive, self.writer, self.names, self.fp, self.recorder, progress, self._post
        )

    def _post(self, entry: Entry, post: Post, asked: set[Question] | None) -> None:
        with Scoped(self.archive, asked):
            if entry.index < self.per_page:
                self.top.card(entry, post)
            if asked is not None:  # the page shows the post's comments as they are now
                asked.add((QUESTION, str(entry.backup.folder), post.ref.id))
            found = self.comments.of(entry.backup, post.ref.id)
            shown = thread_html(found, self.nested.sanitise)
            path, html = post_page(self.archive, self.nested, entry, post, shown)
        if asked is not None:  # a post made this time: its sig, from its answers
            entry.sig = self.answers.sig(self.fp, entry.stamp, sorted(asked))
            folder = account_folder(self.archive.root, entry.backup)
            self.lines.put_bytes(entry.index, post_line(folder, entry, Head.of(post), asked))
            self.recorder.dirty[entry.key] = None
        self.writer.write_made(path, html, entry.sig)


def _account_pages(
    archive: Archive,
    accounts: list[AccountData],
    old: PostCache,
    answers: Answers,
    top: Cards,
    nested: Cards,
    deep: Cards,
    writer: SiteWriter,
    fp: bytes,
) -> dict[str, Any]:
    """The account pages, made again when their files, or the answers to what they asked,
    changed; the record of them for the post cache."""
    stamp = account_stamp(archive)
    record = old.accounts
    try:
        asked = [tuple(q) for q in record["questions"]]
        sig = answers.sig(fp, stamp, asked).hex()
        if sig == record["sig"] and all(
            writer.keep_page(p, bytes.fromhex(sig)) for p in record["pages"]
        ):
            return record
    except (KeyError, TypeError, ValueError):
        pass
    found: set[Question] = set()
    made: list[tuple[str, str]] = []
    with Scoped(archive, found):
        for relative, html in account_pages(accounts, top, nested, deep):
            made.append((relative, html))
    questions = sorted(found)
    sig_bytes = answers.sig(fp, stamp, questions)
    for relative, html in made:
        writer.write_made(relative, html, sig_bytes)
    return {
        "sig": sig_bytes.hex(),
        "questions": [list(q) for q in questions],
        "pages": [relative for relative, _ in made],
        "media": sorted(q[1] for q in questions if q[0] == "p"),
    }


def _chain(groups: Iterable[Iterable[Listing]]) -> Iterator[Listing]:
    for group in groups:
        yield from group
