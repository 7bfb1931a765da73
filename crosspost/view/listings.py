"""The pages that list posts (the index and its older pages, months, tags, conversations), each
described before it is rendered: a `Listing` names its path, everything it shows but its posts'
cards (`facts`: a title, a lede, its neighbours' names, the depth of each reply), and the posts
whose cards it shows, and renders itself only when asked (`make`).

An incremental render (site.py) hashes a listing's facts with its posts' sigs (depends.py) and
asks for the page only when that hash differs from the last render's: the sig is made of the
very values the page is rendered from, so no page is kept that would render otherwise, and none
is rendered again for a change it does not show (a new post at the end of the index changes
the link to the newest older page, not the other 500).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from crosspost.view.cards import Cards
from crosspost.view.load import PLATFORM_NAMES, THREAD_PAGE, Archive, Entry, heading, thread_page
from crosspost.view.pages import (
    LIST_PAGE,
    SITE_TITLE,
    Page,
    chunk_count,
    posts_page,
    render_page,
    run_lede,
    runs,
    span,
    thread_page_count,
)
from crosspost.view.safe import tag_slug


@dataclass(frozen=True, slots=True)
class Listing:
    path: str
    facts: tuple[object, ...]  # what it shows besides its posts' cards (or the sig of it)
    entries: Sequence[Entry]  # the posts whose cards it shows
    make: Callable[[], str]  # the page, rendered


def rendered(groups: Iterable[Iterable[Listing]]) -> Iterator[Page]:
    """Every listing of `groups`, rendered."""
    for group in groups:
        for listing in group:
            yield listing.path, listing.make()


def _name(path: str | None) -> str | None:
    """A link to a page in the same folder."""
    return path.rpartition("/")[2] if path else None


def index_listings(archive: Archive, top: Cards, nested: Cards, per_page: int) -> Iterator[Listing]:
    """index.html holds the newest posts; page/N.html hold fixed runs of `per_page` posts
    counted from the oldest, so a new post changes index.html and at most one or two pages."""
    entries = archive.entries
    total = len(entries)
    chunks = chunk_count(total, per_page)
    accounts = ", ".join(
        f"{top.names.label(a.platform, a.account).removeprefix('@')} ({PLATFORM_NAMES[a.platform]})"
        for a in archive.accounts
    )
    lede = f"{total:,} posts from {accounts}."
    older = f"page/{chunks}.html" if chunks else None
    newest = entries[:per_page]

    def index() -> str:
        cards = [top.card(e) for e in newest]
        return render_page("posts.html.j2", SITE_TITLE, "", heading="Latest posts", lede=lede,
                           cards=cards, newer=None, older=older, paged=True)  # fmt: skip

    yield Listing("index.html", (lede, older), newest, index)
    for number in range(1, chunks + 1):
        shown = entries[total - number * per_page : total - (number - 1) * per_page]
        newer = "../index.html" if number == chunks else f"{number + 1}.html"
        previous = f"{number - 1}.html" if number > 1 else None
        facts = (f"Page {number}", span(shown), newer, previous)
        yield Listing(f"page/{number}.html", facts, shown, _posts(nested, facts, shown))


def _posts(
    nested: Cards, facts: tuple[str, str, str | None, str | None], shown: Sequence[Entry],
    paged: bool = True,
) -> Callable[[], str]:  # fmt: skip
    title, lede, newer, older = facts
    return lambda: posts_page(title, lede, [nested.card(e) for e in shown], newer, older, paged)


def archive_listings(archive: Archive, nested: Cards) -> Iterator[Listing]:
    months = list(archive.months)
    years: dict[str, list[tuple[str, int]]] = {}
    for month in months:
        years.setdefault(month[:4], []).append((month, len(archive.months[month])))
    counted = [(year, tuple(found)) for year, found in years.items()]
    yield Listing("archive.html", tuple(counted), (),
                  lambda: render_page("archive.html.j2", "Archive", "", years=counted))  # fmt: skip
    # Every month's pages in one reading order: Newer and Older run on across months.
    ordered = [
        (month, path, run, len(archive.months[month]))
        for month in months
        for path, run in runs(f"archive/{month}", archive.months[month])
    ]
    for index, (month, path, run, total) in enumerate(ordered):
        newer = ordered[index - 1][1] if index > 0 else None
        older = ordered[index + 1][1] if index + 1 < len(ordered) else None
        newest = path.endswith(f"{month}.html")
        lede = run_lede(run, total, newest) if total > LIST_PAGE else ""
        facts = (month, lede, _name(newer), _name(older))
        yield Listing(path, facts, run, _posts(nested, facts, run))


def tag_listings(archive: Archive, nested: Cards) -> Iterator[Listing]:
    ranked = sorted(archive.tags, key=lambda key: (-len(archive.tags[key]), key))
    tags = [(tag_slug(key), archive.tag_names[key], len(archive.tags[key])) for key in ranked]
    yield Listing("tags.html", tuple(tags), (),
                  lambda: render_page("tags.html.j2", "Tags", "", tags=tags))  # fmt: skip
    for key, entries in archive.tags.items():
        name = archive.tag_names[key]
        pages = runs(f"tags/{tag_slug(key)}", entries)
        paged = len(pages) > 1
        for index, (path, run) in enumerate(pages):
            newer = pages[index - 1][0] if index > 0 else None
            older = pages[index + 1][0] if index + 1 < len(pages) else None
            lede = run_lede(run, len(entries), index == 0) if paged else f"{len(entries):,} posts"
            facts = (f"#{name}", lede, _name(newer), _name(older))
            yield Listing(path, (*facts, paged), run, _posts(nested, facts, run, paged))


def thread_listings(archive: Archive, nested: Cards) -> Iterator[Listing]:
    """Each conversation in reading order (each reply under the post it answers), on pages of
    THREAD_PAGE posts that link to each other; each post has an anchor ("p-<slug>") its own page
    links to. A page's title is its conversation's first post's heading: its facts name that
    post's sig instead, so the post is read only when a page is made."""
    for key, members in archive.conversations.items():
        count = thread_page_count(len(members))
        shown = column_depths(members, archive.parent_of)
        first = members[0][0]
        for number in range(count):
            run = [e for e, _ in members[number * THREAD_PAGE : (number + 1) * THREAD_PAGE]]
            depths = tuple(shown[number * THREAD_PAGE : (number + 1) * THREAD_PAGE])
            earlier = _name(thread_page(key, number - 1)) if number > 0 else None
            later = _name(thread_page(key, number + 1)) if number + 1 < count else None
            start = number * THREAD_PAGE + 1
            lede = f"{len(members):,} posts, each reply under the post it answers"
            if count > 1:
                lede += f"; posts {start:,}–{start + len(run) - 1:,} here"
            facts = (first.key, first.sig, lede, earlier, later, depths)
            yield Listing(thread_page(key, number), facts, run, _thread(nested, first, run, facts))


def _thread(
    nested: Cards, first: Entry, run: list[Entry], facts: tuple[object, ...]
) -> Callable[[], str]:
    lede, earlier, later, depths = facts[2:]
    assert isinstance(depths, tuple)

    def make() -> str:
        thread = [(e.slug, nested.card(e), d) for e, d in zip(run, depths, strict=True)]
        title = heading(first.read()) or "Conversation"
        return render_page("thread.html.j2", f"Conversation: {title}", "../",
                           lede=lede, thread=thread, earlier=earlier, later=later)  # fmt: skip

    return make


MAX_SHOWN_DEPTH = 6  # the stylesheet indents up to depth-6


def column_depths(members: Sequence[tuple[Entry, int]], parent_of: Mapping[str, str]) -> list[int]:
    """How far each post of a conversation (in reading order, with its depth in the reply tree)
    is indented, from the post it answers (`parent_of`): a reply by that post's author continues
    its column, as a self-thread reads on its platform; a reply by someone else is indented one
    step. A reply whose parent is not shown (left out of a public site) hangs from the nearest
    shown post it descends from."""
    at: dict[str, tuple[str, int]] = {}  # key -> (account, shown depth)
    shown: list[int] = []
    for entry, _ in members:
        parent, passed = parent_of.get(entry.key), {entry.key}
        while parent is not None and parent not in at and parent not in passed:
            passed.add(parent)  # a loop of replies in damaged data ends here
            parent = parent_of.get(parent)
        if parent is not None and parent not in at:
            parent = None
        if parent is None:
            depth = 0
        else:
            account, above = at[parent]
            depth = above if account == entry.account else min(above + 1, MAX_SHOWN_DEPTH)
        at[entry.key] = (entry.account, depth)
        shown.append(depth)
    return shown
