"""The site's pages, each a template in templates/ (a shared layout with a strict
Content-Security-Policy and no inline script or style): the index, archive, tag, post and search
pages, built from cached post cards.

Pages carry no render time or other changing detail, so an unchanged page renders to the same
bytes and the writer can leave it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from markupsafe import Markup

from crosspost.model import Post
from crosspost.view.cards import Cards
from crosspost.view.load import (
    PLATFORM_NAMES,
    THREAD_PAGE,
    Archive,
    Entry,
    heading,
    thread_page,
)
from crosspost.view.render import render
from crosspost.view.safe import tag_slug

SITE_TITLE = "crosspost archive"
# Everything comes from the site's own folder; nothing from a post or the network can load or run.
# templates/base.html.j2 writes this policy into every page as it stands here.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; base-uri 'none'; form-action 'self'"
)

Page = tuple[str, str]  # (path inside the site, HTML)
Wanted = Callable[[str], bool]  # which pages to make (the others have not changed: depends.py)


def _every(path: str) -> bool:
    return True


T = TypeVar("T")


def render_page(
    template: str, title: str, prefix: str, scripts: Sequence[str] = (), **context: object
) -> str:
    """A page in the shared layout; `prefix` leads from the page's folder to the site's root."""
    title = f"{title} · {SITE_TITLE}" if title != SITE_TITLE else title
    return render(
        template, title=title, prefix=prefix, site_title=SITE_TITLE, scripts=scripts, **context
    )


def _posts(
    title: str,
    lede: str,
    cards: Iterable[Markup],
    newer: str | None,
    older: str | None,
    *,
    paged: bool = True,
) -> str:
    """A page of posts one folder down (a month, a tag, an older page of the index)."""
    return render_page(
        "posts.html.j2",
        title,
        "../",
        heading=title,
        lede=lede,
        cards=cards,
        newer=newer,
        older=older,
        paged=paged,
    )


def _span(entries: Sequence[Entry]) -> str:
    first, last = entries[-1].created_at, entries[0].created_at
    return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"


def chunk_count(total: int, per_page: int) -> int:
    """How many page/N.html there are: full runs of older posts not all shown on index.html."""
    return (total - 1) // per_page if total > per_page else 0


LIST_PAGE = 100  # posts on one page of a month or a tag


def page_count(archive: Archive, per_page: int) -> int:
    """Every page the site has (for progress): search, index, archive, tags, posts."""
    fixed = 4  # search.html, index.html, archive.html, tags.html
    chunks = chunk_count(len(archive.entries), per_page)
    lists = [*archive.months.values(), *archive.tags.values()]
    listed = sum(1 + chunk_count(len(entries), LIST_PAGE) for entries in lists)
    threads = sum(thread_page_count(len(m)) for m in archive.conversations.values())
    return fixed + chunks + listed + len(archive.entries) + threads


def runs(base: str, entries: Sequence[T], size: int = LIST_PAGE) -> list[tuple[str, list[T]]]:
    """The pages of one list (a month, a tag, a collection), newest first, in reading order:
    `base.html` holds the newest `size`, then `base.N.html` hold fixed runs of `size` counted
    from the oldest (N from the highest down to 1), so a new post changes `base.html` and at
    most one run. Tag slugs and months never hold a ".", so no name can clash."""
    pages = [(f"{base}.html", list(entries[:size]))]
    oldest_first = list(entries[::-1])
    for number in range(chunk_count(len(entries), size), 0, -1):
        run = oldest_first[(number - 1) * size : number * size]
        pages.append((f"{base}.{number}.html", run[::-1]))
    return pages


def _run_lede(run: Sequence[Entry], total: int, newest: bool) -> str:
    """What one page of a month or tag shows. Only the newest page names the total: the older
    runs stay the same file when a post is added (and are not rewritten)."""
    if newest:
        return f"the newest {len(run):,} of {total:,} posts, {_span(run)}"
    return f"{len(run):,} posts, {_span(run)}"


def _name(path: str | None) -> str | None:
    """A link to a page in the same folder."""
    return path.rpartition("/")[2] if path else None


def index_pages(
    archive: Archive, top: Cards, nested: Cards, per_page: int, wanted: Wanted = _every
) -> Iterator[Page]:
    """index.html holds the newest posts; page/N.html hold fixed runs of `per_page` posts
    counted from the oldest, so a new post changes index.html and at most one or two pages."""
    entries = archive.entries
    total = len(entries)
    chunks = chunk_count(total, per_page)
    accounts = ", ".join(
        f"{top.names.label(a.platform, a.account).removeprefix('@')} ({PLATFORM_NAMES[a.platform]})"
        for a in archive.accounts
    )
    index = wanted("index.html") and render_page(
        "posts.html.j2",
        SITE_TITLE,
        "",
        heading="Latest posts",
        lede=f"{total:,} posts from {accounts}.",
        cards=[top.card(e) for e in entries[:per_page]],
        newer=None,
        older=f"page/{chunks}.html" if chunks else None,
        paged=True,
    )
    if index:
        yield "index.html", index
    for number in range(1, chunks + 1):
        if not wanted(f"page/{number}.html"):
            continue
        oldest_first = entries[::-1][(number - 1) * per_page : number * per_page]
        shown = oldest_first[::-1]
        newer = "../index.html" if number == chunks else f"{number + 1}.html"
        previous = f"{number - 1}.html" if number > 1 else None
        cards = [nested.card(e) for e in shown]
        yield f"page/{number}.html", _posts(f"Page {number}", _span(shown), cards, newer, previous)


def archive_pages(archive: Archive, nested: Cards, wanted: Wanted = _every) -> Iterator[Page]:
    months = list(archive.months)
    years: dict[str, list[tuple[str, int]]] = {}
    for month in months:
        years.setdefault(month[:4], []).append((month, len(archive.months[month])))
    if wanted("archive.html"):
        yield "archive.html", render_page("archive.html.j2", "Archive", "", years=years.items())
    # Every month's pages in one reading order: Newer and Older run on across months.
    ordered = [
        (month, path, run, len(archive.months[month]))
        for month in months
        for path, run in runs(f"archive/{month}", archive.months[month])
    ]
    for index, (month, path, run, total) in enumerate(ordered):
        if not wanted(path):
            continue
        newer = ordered[index - 1][1] if index > 0 else None
        older = ordered[index + 1][1] if index + 1 < len(ordered) else None
        lede = _run_lede(run, total, path.endswith(f"{month}.html")) if total > LIST_PAGE else ""
        cards = [nested.card(e) for e in run]
        yield path, _posts(month, lede, cards, _name(newer), _name(older))


def tag_pages(archive: Archive, nested: Cards, wanted: Wanted = _every) -> Iterator[Page]:
    ranked = sorted(archive.tags, key=lambda key: (-len(archive.tags[key]), key))
    tags = [(tag_slug(key), archive.tag_names[key], len(archive.tags[key])) for key in ranked]
    if wanted("tags.html"):
        yield "tags.html", render_page("tags.html.j2", "Tags", "", tags=tags)
    for key, entries in archive.tags.items():
        name = archive.tag_names[key]
        pages = runs(f"tags/{tag_slug(key)}", entries)
        for index, (path, run) in enumerate(pages):
            if not wanted(path):
                continue
            newer = pages[index - 1][0] if index > 0 else None
            older = pages[index + 1][0] if index + 1 < len(pages) else None
            lede = f"{len(entries):,} posts"
            if len(pages) > 1:
                lede = _run_lede(run, len(entries), index == 0)
            cards = [nested.card(e) for e in run]
            paged = len(pages) > 1
            yield path, _posts(f"#{name}", lede, cards, _name(newer), _name(older), paged=paged)


def post_pages(archive: Archive, nested: Cards) -> Iterator[Page]:
    """One page per post, its card alone: a post in a conversation links to its place on the
    conversation's pages (`thread_pages`), so a thread is written once, not once per post."""
    for entry, post in archive.posts():
        yield post_page(archive, nested, entry, post)


def post_page(
    archive: Archive, nested: Cards, entry: Entry, post: Post, comments: Markup | None = None
) -> Page:
    """The page of one post (`post` is the entry's, read from its file), with the comments on
    it where they are given (view/comments.py)."""
    versions = nested.versions(entry, post) if entry.key in archive.edited else ()
    card = nested.card(entry, post)
    page = render_page("post.html.j2", heading(post) or "Post", "../", card=card,
                       versions=versions, comments=comments)  # fmt: skip
    return f"posts/{entry.slug}.html", page


def thread_pages(archive: Archive, nested: Cards, wanted: Wanted = _every) -> Iterator[Page]:
    """Each conversation in reading order (each reply under the post it answers), on pages of
    THREAD_PAGE posts that link to each other; each post has an anchor ("p-<slug>") its own page
    links to."""
    for key, members in archive.conversations.items():
        count = thread_page_count(len(members))
        paths = [thread_page(key, number) for number in range(count)]
        if not any(wanted(path) for path in paths):
            continue
        shown = column_depths(members, archive.parent_of)
        title = heading(members[0][0].read()) or "Conversation"  # one file per conversation
        for number in range(count):
            if not wanted(paths[number]):
                continue
            run = members[number * THREAD_PAGE : (number + 1) * THREAD_PAGE]
            depths = shown[number * THREAD_PAGE : (number + 1) * THREAD_PAGE]
            thread = [
                (e.slug, nested.card(e), depth) for (e, _), depth in zip(run, depths, strict=True)
            ]
            path = thread_page(key, number)
            earlier = _name(thread_page(key, number - 1)) if number > 0 else None
            later = _name(thread_page(key, number + 1)) if number + 1 < count else None
            start = number * THREAD_PAGE + 1
            lede = f"{len(members):,} posts, each reply under the post it answers"
            if count > 1:
                lede += f"; posts {start:,}–{start + len(run) - 1:,} here"
            page = render_page(
                "thread.html.j2",
                f"Conversation: {title}",
                "../",
                lede=lede,
                thread=thread,
                earlier=earlier,
                later=later,
            )
            yield path, page


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


def thread_page_count(members: int) -> int:
    return (members + THREAD_PAGE - 1) // THREAD_PAGE


def search_page() -> Page:
    scripts = ("assets/search-index.js", "assets/search.js")
    return "search.html", render_page("search.html.j2", "Search", "", scripts)
