"""Render a backup's public posts as a site to put on the web: `render_public_site(root, out)`.

The viewer's pages (pages.py), written by its writer (write.py: only changed files rewritten),
from an archive of the public posts alone (public_archive.py), with what a site on the web
needs added (public_pages.py): a canonical link and the robots choice on every page,
robots.txt, the accounts as h-cards with rel=me links, Atom feeds when the site's address is
known, and optionally pages at the posts' old Tumblr addresses. The viewer's safety stays: the
same Content-Security-Policy, sanitised text and no active media.

Unlike the viewer's folder (readable by its owner only, since a backup holds private posts),
this one is made readable by all, media included, since it is meant to be uploaded.

A render after a backup makes only what changed, as the viewer's does (depends.py): a post's
page when its file or the answers to what its card asked changed (is the post it replies to
here, left out, gone?), and a page that lists posts, a feed, an account's page or an old
address's page when its sig (its posts' sigs and the facts of its own) changed. What that needs
is kept beside the backup, never in the site (public_state.py). At 10,000 generated posts
(bench/bench_site.py) a render with nothing changed takes about 0.6 s of CPU and one after 10
new posts 0.8 s, where making every page again took 3.4 s; at 100,000, 6.5 s and 7.1 s where
it took 33-34 s, peaking at 156 MB (162 MB for a first render). A first render reads each post
twice (to load the backup, then for its page), not three times; on a disk shared with others,
writing its 14,000 or 140,000 new files is much of its time.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from crosspost.errors import DataError
from crosspost.progress import NoProgress, Progress
from crosspost.view.account import AccountData, load_accounts
from crosspost.view.assets import SEARCH, STYLE
from crosspost.view.depends import (
    CachedHeads,
    PostCache,
    Recorder,
    RecordingMedia,
    check,
    listing_sig,
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
from crosspost.view.load import Entry, load_archive
from crosspost.view.media import SiteMedia
from crosspost.view.pages import search_page
from crosspost.view.people import build_names
from crosspost.view.public_archive import (
    PublicAnswers,
    PublicArchive,
    PublicCards,
    Seen,
    public_archive,
)
from crosspost.view.public_pages import (
    ACCOUNT_POSTS,
    FEED_SIZE,
    FeedLink,
    HCard,
    Head,
    account_feed,
    account_listing,
    accounts_page,
    feed_listings,
    h_card,
    index_with_cards,
    newest_by_account,
    own_posts,
    profile_url,
    redirect_listings,
    tag_feed,
)
from crosspost.view.public_posts import PublicPosts
from crosspost.view.public_state import SiteState, site_state
from crosspost.view.safe import tag_slug
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
    """Render the public posts of the backup at `root` into `out`, making only the pages whose
    inputs changed since the last render of this site (public_state.py keeps what it needs
    beside the backup) and writing changed files only."""
    options = options or PublicOptions()
    progress = progress or NoProgress()
    _prepare(out)
    key = (options.url, options.robots.value, options.old_addresses)
    with site_state(root, out, key, per_page, progress) as state:
        old = PostCache(state.folder, state.fp)
        try:
            return _render(root, out, options, state, old, progress, per_page)
        finally:
            old.close()


def _render(
    root: Path,
    out: Path,
    options: PublicOptions,
    state: SiteState,
    old: PostCache,
    progress: Progress,
    per_page: int,
) -> PublicReport:
    fp = state.fp
    heads = CachedHeads(old)
    seen = Seen(root)
    whole = load_archive(root, progress, heads, seen)
    heads.drain()  # the cache's lines are read by their offsets from here on
    public = public_archive(whole, progress, old, seen)
    del seen
    archive = public.archive
    accounts = [replace(data, earlier=[], collections={}) for data in
                load_accounts(archive.accounts, progress)]  # fmt: skip
    writer = SiteWriter(out, sigs=state.sigs)
    writer.write(MARKER, "A public site made by `crosspost site`: public posts only.\n")
    media = RecordingMedia()
    media.archive = archive
    names = recording_names(build_names(archive, accounts), archive)
    answers = PublicAnswers(archive, names, out, media, hidden=public.hidden)
    kept_media = check(old, heads, archive, answers, fp)
    recorder = Recorder(archive)
    for entry in archive.entries:
        if entry.cached < 0:
            recorder.dirty[entry.key] = set()
    head = Head(options.url, options.robots.value, options.url is not None)
    counts = [0, 0]  # feeds, redirects
    total = len(archive.entries)
    with CardSpool(total, out) as spool, CardSpool(total) as lines:
        top = PublicCards(archive, media, "", names, hidden=public.hidden)
        nested = PublicCards(archive, media, "../", names, spool, hidden=public.hidden)
        for cards in (top, nested):
            cards.recorder = recorder
        progress.start("render pages", total)
        writer.write(*head.add(*search_page()))
        PublicPosts(archive, writer, top, nested, per_page, names, recorder, answers, fp,
                    head, lines).render(progress)  # fmt: skip
        own_of = newest_by_account(archive, max(FEED_SIZE, ACCOUNT_POSTS + 1))
        for listing in _listings(public, accounts, own_of, head, (top, nested), per_page):
            _put(writer, fp, listing)
        writer.write(*head.add(*accounts_page(accounts, top)))
        if options.old_addresses:
            for listing in redirect_listings(archive, public.urls, head):
                _put(writer, fp, listing)
                counts[1] += 1
        if options.url is not None:
            absolute = PublicCards(archive, media, options.url, names, hidden=public.hidden)
            for listing in feed_listings(archive, accounts, own_of, absolute, options.url):
                _put(writer, fp, listing)
                counts[0] += 1
        progress.finish("render pages")
        writer.write("robots.txt", ROBOTS_TXT[options.robots])
        writer.write("assets/style.css", STYLE)
        writer.write("assets/search.js", SEARCH)
        placed = set(media.paths)
        copied = _copy_media(media, out)
        size = writer.size
        for relative in media.paths:
            writer.keep(relative, Path(relative).stem)
            size += media.size(relative)
        for relative in sorted(kept_media - placed):  # shown by posts not made this time
            target = out / relative
            if target.is_file():
                writer.keep(relative, target.stem)
                size += target.stat().st_size
                placed.add(relative)
        writer.finish()
        _readable_by_all(out, [MANIFEST, *writer.written, *copied])

        def made(entry: Entry) -> bytes | None:
            return public.hidden_lines.get(entry.key) or lines.get_bytes(entry.index)

        write_cache(state.folder, fp, old.accounts, whole, old, made)
    return PublicReport(
        out=out,
        posts=total,
        left_out=public.left_out,
        accounts=len(accounts),
        files=writer.unchanged + len(writer.written) + len(placed),
        written=(*writer.written, *copied),
        unchanged=writer.unchanged + len(placed) - len(copied),
        removed=tuple(writer.removed),
        media=len(placed),
        size=size,
        feeds=counts[0],
        redirects=counts[1],
    )


def _put(writer: SiteWriter, fp: bytes, listing: Listing) -> None:
    """The listing's page, made and written unless it was made of the same last time."""
    sig = listing_sig(fp, listing)
    if not writer.keep_page(listing.path, sig):
        writer.write_made(listing.path, listing.make(), sig)


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


def _listings(
    public: PublicArchive,
    accounts: list[AccountData],
    own_of: dict[str, list[Entry]],
    head: Head,
    cards: tuple[PublicCards, PublicCards],
    per_page: int,
) -> Iterator[Listing]:
    """Every HTML page of the site that lists posts, with the public site's <head>: what is
    added to a page (the h-cards on index.html, a feed's link) is in its listing's facts."""
    archive = public.archive
    top, nested = cards
    hcards = [h_card(a, top, head.feeds) for a in accounts]
    account_feeds = [FeedLink(f"{c.handle} on {c.platform}", account_feed(a))
                     for a, c in zip(accounts, hcards, strict=True)]  # fmt: skip
    me = [url for url in (profile_url(a) for a in accounts) if url]
    for listing in index_listings(archive, top, nested, per_page):
        if listing.path == "index.html":
            yield _index(listing, accounts, top, head, (hcards, account_feeds, me))
        else:
            yield _headed(listing, head)
    for listing in _chain([archive_listings(archive, nested), thread_listings(archive, nested)]):
        yield _headed(listing, head)
    tag_feeds = {f"tags/{tag_slug(key)}": FeedLink(f"#{name}", tag_feed(key))
                 for key, name in archive.tag_names.items()}  # fmt: skip
    for listing in tag_listings(archive, nested):
        found = tag_feeds.get(listing.path.partition(".")[0])
        feeds = [FeedLink(found.title, "../" + found.href)] if found is not None else []
        yield _headed(listing, head, feeds)
    for data, feed in zip(accounts, account_feeds, strict=True):
        links = ([FeedLink(feed.title, "../" + feed.href)], [u for u in [profile_url(data)] if u])
        yield account_listing(data, own_posts(own_of, data), nested, head, links)


def _headed(listing: Listing, head: Head, feeds: Sequence[FeedLink] = ()) -> Listing:
    path, make = listing.path, listing.make
    return Listing(path, (*listing.facts, tuple(feeds)), listing.entries,
                   lambda: head.add(path, make(), feeds)[1])  # fmt: skip


def _index(
    listing: Listing,
    accounts: list[AccountData],
    top: PublicCards,
    head: Head,
    added: tuple[list[HCard], list[FeedLink], list[str]],
) -> Listing:
    """index.html, with the accounts' h-cards at the top and their feeds in its <head>."""
    make = listing.make
    _, feeds, me = added

    def made() -> str:
        html = index_with_cards(make(), accounts, top, head.feeds)
        return head.add(listing.path, html, feeds, me)[1]

    return Listing(listing.path, (*listing.facts, added), listing.entries, made)


def _chain(groups: Iterable[Iterable[Listing]]) -> Iterator[Listing]:
    for group in groups:
        yield from group


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


def _readable_by_all(out: Path, written: Iterable[str]) -> None:
    """The files written this time (pages and media) and the folders they are in readable by
    all, whatever the umask made them (a file that already is, a linked media file among them,
    is left as it is); the others were made so when they were written."""
    folders: set[str] = set()
    for relative in written:
        _add_mode(out / relative, stat.S_IRUSR | 0o044)
        folder = relative.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    for folder in sorted(folders):
        _add_mode(out / folder, stat.S_IRUSR | stat.S_IXUSR | 0o055)


def _add_mode(path: Path, wanted: int) -> None:
    mode = path.lstat().st_mode
    if not stat.S_ISLNK(mode) and mode & wanted != wanted:
        path.chmod(stat.S_IMODE(mode) | wanted)
