"""The site's pages: a shared shell (strict Content-Security-Policy, no inline script or style)
and the index, archive, tag, post and search pages built from cached post cards.

Pages carry no render time or other changing detail, so an unchanged page renders to the same
bytes and the writer can leave it alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from string import Template

from crosspost.view.cards import Cards
from crosspost.view.load import PLATFORM_NAMES, Archive, Entry
from crosspost.view.safe import esc, tag_slug

SITE_TITLE = "crosspost archive"
# Everything comes from the site's own folder; nothing from a post or the network can load or run.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; base-uri 'none'; form-action 'self'"
)
_SHELL = Template("""\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="$csp">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="stylesheet" href="${prefix}assets/style.css">
</head>
<body>
<header class="site"><a class="home" href="${prefix}index.html">$site</a>
<nav><a href="${prefix}index.html">Latest</a><a href="${prefix}archive.html">Archive</a>\
<a href="${prefix}tags.html">Tags</a>\
<form action="${prefix}search.html" role="search"><input type="search" name="q" \
placeholder="Search" aria-label="Search posts"></form></nav></header>
<main>
$main
</main>
<footer class="site">A static copy of a crosspost backup. It loads nothing from the network; \
links to the originals leave it.</footer>
$scripts</body>
</html>
""")

Page = tuple[str, str]  # (path inside the site, HTML)


def shell(title: str, main: str, prefix: str, scripts: Sequence[str] = ()) -> str:
    tags = "".join(f'<script src="{esc(prefix + src)}"></script>\n' for src in scripts)
    return _SHELL.substitute(
        csp=CSP,
        title=esc(f"{title} · {SITE_TITLE}" if title != SITE_TITLE else title),
        prefix=prefix,
        site=esc(SITE_TITLE),
        main=main,
        scripts=tags,
    )


def _span(entries: Sequence[Entry]) -> str:
    first, last = entries[-1].post.created_at, entries[0].post.created_at
    return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"


def _nav(newer: str | None, older: str | None) -> str:
    left = f'<a rel="prev" href="{esc(newer)}">← Newer</a>' if newer else "<span></span>"
    right = f'<a rel="next" href="{esc(older)}">Older →</a>' if older else "<span></span>"
    return f'<nav class="pages">{left}{right}</nav>'


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
    return fixed + chunks + listed + len(archive.entries)


def runs(
    base: str, entries: Sequence[Entry], size: int = LIST_PAGE
) -> list[tuple[str, list[Entry]]]:
    """The pages of one list of posts (a month, a tag), newest first, in reading order:
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


def index_pages(archive: Archive, top: Cards, nested: Cards, per_page: int) -> Iterator[Page]:
    """index.html holds the newest posts; page/N.html hold fixed runs of `per_page` posts
    counted from the oldest, so a new post changes index.html and at most one or two pages."""
    entries = archive.entries
    total = len(entries)
    chunks = chunk_count(total, per_page)
    accounts = ", ".join(f"{a.account} ({PLATFORM_NAMES[a.platform]})" for a in archive.accounts)
    head = f'<h1>Latest posts</h1><p class="lede">{total:,} posts from {esc(accounts)}.</p>'
    newest = entries[:per_page]
    older = f"page/{chunks}.html" if chunks else None
    cards = "".join(top.card(e) for e in newest)
    yield "index.html", shell(SITE_TITLE, head + cards + _nav(None, older), "")
    for number in range(1, chunks + 1):
        oldest_first = entries[::-1][(number - 1) * per_page : number * per_page]
        shown = oldest_first[::-1]
        newer = "../index.html" if number == chunks else f"{number + 1}.html"
        previous = f"{number - 1}.html" if number > 1 else None
        title = f"Page {number}"
        main = f'<h1>{title}</h1><p class="lede">{_span(shown)}</p>'
        main += "".join(nested.card(e) for e in shown) + _nav(newer, previous)
        yield f"page/{number}.html", shell(title, main, "../")


def archive_pages(archive: Archive, nested: Cards) -> Iterator[Page]:
    months = list(archive.months)
    rows, year = [], ""
    for month in months:
        if month[:4] != year:
            rows.append(("</ul>" if year else "") + f'<h2>{month[:4]}</h2><ul class="months">')
            year = month[:4]
        count = len(archive.months[month])
        rows.append(f'<li><a href="archive/{month}.html">{month}</a> ({count:,})</li>')
    main = "<h1>Archive</h1>" + "".join(rows) + ("</ul>" if rows else "")
    yield "archive.html", shell("Archive", main, "")
    # Every month's pages in one reading order: Newer and Older run on across months.
    ordered = [
        (month, path, run, len(archive.months[month]))
        for month in months
        for path, run in runs(f"archive/{month}", archive.months[month])
    ]
    for index, (month, path, run, total) in enumerate(ordered):
        newer = ordered[index - 1][1] if index > 0 else None
        older = ordered[index + 1][1] if index + 1 < len(ordered) else None
        lede = f'<p class="lede">{_run_lede(run, total, path.endswith(f"{month}.html"))}</p>'
        lede = lede if total > LIST_PAGE else ""
        cards = "".join(nested.card(e) for e in run)
        main = f"<h1>{month}</h1>{lede}{cards}{_nav(_name(newer), _name(older))}"
        yield path, shell(month, main, "../")


def tag_pages(archive: Archive, nested: Cards) -> Iterator[Page]:
    ranked = sorted(archive.tags, key=lambda key: (-len(archive.tags[key]), key))
    items = "".join(
        f'<li><a href="tags/{tag_slug(key)}.html">#{esc(archive.tag_names[key])}</a> '
        f"({len(archive.tags[key]):,})</li>"
        for key in ranked
    )
    yield "tags.html", shell("Tags", f'<h1>Tags</h1><ul class="tags">{items}</ul>', "")
    for key, entries in archive.tags.items():
        name = archive.tag_names[key]
        pages = runs(f"tags/{tag_slug(key)}", entries)
        for index, (path, run) in enumerate(pages):
            newer = pages[index - 1][0] if index > 0 else None
            older = pages[index + 1][0] if index + 1 < len(pages) else None
            lede = f"{len(entries):,} posts"
            if len(pages) > 1:
                lede = _run_lede(run, len(entries), index == 0)
            main = f'<h1>#{esc(name)}</h1><p class="lede">{lede}</p>'
            main += "".join(nested.card(e) for e in run)
            if len(pages) > 1:
                main += _nav(_name(newer), _name(older))
            yield path, shell(f"#{name}", main, "../")


def post_pages(archive: Archive, nested: Cards) -> Iterator[Page]:
    """One page per post; a post in a conversation is shown in place in the whole thread."""
    for entry in archive.entries:
        conversation = archive.conversation_of.get(entry.key)
        if conversation is None:
            main = nested.card(entry)
        else:
            items = "".join(
                f'<li class="depth-{depth}{" current" if member is entry else ""}">'
                f"{nested.card(member)}</li>"
                for member, depth in archive.conversations[conversation]
            )
            main = f'<section id="conversation"><ol class="thread">{items}</ol></section>'
        title = entry.post.title or entry.post.text.text[:60] or "Post"
        yield f"posts/{entry.slug}.html", shell(title, main, "../")


def search_page() -> Page:
    main = (
        '<h1>Search</h1><p><input id="q" type="search" placeholder="Words or #tag" '
        'aria-label="Search posts" autofocus></p><p id="search-status">Search needs '
        'JavaScript.</p><ol id="results"></ol>'
    )
    scripts = ("assets/search-index.js", "assets/search.js")
    return "search.html", shell("Search", main, "", scripts)
