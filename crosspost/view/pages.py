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


def page_count(archive: Archive, per_page: int) -> int:
    """Every page the site has (for progress): search, index, archive, tags, posts."""
    fixed = 4  # search.html, index.html, archive.html, tags.html
    chunks = chunk_count(len(archive.entries), per_page)
    return fixed + chunks + len(archive.months) + len(archive.tags) + len(archive.entries)


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
    for index, month in enumerate(months):
        newer = f"{months[index - 1]}.html" if index > 0 else None
        older = f"{months[index + 1]}.html" if index + 1 < len(months) else None
        cards = "".join(nested.card(e) for e in archive.months[month])
        main = f"<h1>{month}</h1>{cards}{_nav(newer, older)}"
        yield f"archive/{month}.html", shell(month, main, "../")


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
        main = f'<h1>#{esc(name)}</h1><p class="lede">{len(entries):,} posts</p>'
        main += "".join(nested.card(e) for e in entries)
        yield f"tags/{tag_slug(key)}.html", shell(f"#{name}", main, "../")


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
