"""The site's pages, each a template in templates/ (a shared layout with a strict
Content-Security-Policy and no inline script or style): a page of posts, a post's page and the
search page, built from cached post cards, and how the lists are cut into pages (listings.py
lays out the pages that list posts).

Pages carry no render time or other changing detail, so an unchanged page renders to the same
bytes and the writer can leave it alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from markupsafe import Markup

from crosspost.model import Post
from crosspost.view.cards import Cards
from crosspost.view.load import THREAD_PAGE, Archive, Entry, heading
from crosspost.view.render import render

SITE_TITLE = "crosspost archive"
# Everything comes from the site's own folder; nothing from a post or the network can load or run.
# templates/base.html.j2 writes this policy into every page as it stands here.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; base-uri 'none'; form-action 'self'"
)

Page = tuple[str, str]  # (path inside the site, HTML)
T = TypeVar("T")


def render_page(
    template: str, title: str, prefix: str, scripts: Sequence[str] = (), **context: object
) -> str:
    """A page in the shared layout; `prefix` leads from the page's folder to the site's root."""
    title = f"{title} · {SITE_TITLE}" if title != SITE_TITLE else title
    return render(
        template, title=title, prefix=prefix, site_title=SITE_TITLE, scripts=scripts, **context
    )


def posts_page(
    title: str,
    lede: str,
    cards: Iterable[Markup],
    newer: str | None,
    older: str | None,
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


def span(entries: Sequence[Entry]) -> str:
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


def run_lede(run: Sequence[Entry], total: int, newest: bool) -> str:
    """What one page of a month or tag shows. Only the newest page names the total: the older
    runs stay the same file when a post is added (and are not rewritten)."""
    if newest:
        return f"the newest {len(run):,} of {total:,} posts, {span(run)}"
    return f"{len(run):,} posts, {span(run)}"


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


def thread_page_count(members: int) -> int:
    return (members + THREAD_PAGE - 1) // THREAD_PAGE


def search_page() -> Page:
    scripts = ("assets/search-index.js", "assets/search.js")
    return "search.html", render_page("search.html.j2", "Search", "", scripts)
