"""The search index, in chunks written as scripts because a page opened from file:// may not
fetch a JSON file: `assets/search-index.js` is a short list of the chunks
(`window.CROSSPOST_SEARCH = {...}`), which search.js loads with <script> elements when a search
begins; each chunk (`assets/search/N.js`) hands its rows to `window.CROSSPOST_SEARCH_ADD`.

Chunk N holds a fixed run of CHUNK posts counted from the oldest, like the older pages of the
index, so a new post changes the newest chunk and the list, and the full chunks stay the same
files (and are not rewritten). A chunk names each account once, in a table of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from crosspost.model import Post
from crosspost.view.load import PLATFORM_NAMES, Archive, Entry, post_tags
from crosspost.view.people import Names

MAX_TEXT = 4000  # characters of a post kept for searching; posts longer than this are rare
CHUNK = 1000  # posts in one chunk of the index
INDEX = "assets/search-index.js"


def _searchable(post: Post) -> str:
    parts = [post.content_warning, post.text.text]
    parts += [media.alt for media in post.media]
    if post.link_card is not None:
        parts += [post.link_card.title, post.link_card.description]
    for item in post.trail:
        parts.append(_searchable(item))
    return " ".join(part for part in parts if part)[:MAX_TEXT]


def _script(call: str, *values: object) -> str:
    # ASCII-only JSON is valid JavaScript whatever the text holds (U+2028, "</script>", ...).
    data = ",".join(json.dumps(v, ensure_ascii=True, separators=(",", ":")) for v in values)
    return f"{call}({data});\n"


def _chunk(number: int, entries: list[Entry], names: Names) -> str:
    """Rows of [slug, date, who, title, text, tags], newest first; `who` indexes the chunk's
    table of "account · platform" (the account by its handle where the backup knows it)."""
    people: dict[str, int] = {}
    rows = []
    for entry in entries:
        post = entry.post
        account = names.label(post.ref.platform, post.ref.account).removeprefix("@")
        who = people.setdefault(f"{account}\u0000{PLATFORM_NAMES[post.ref.platform]}", len(people))
        rows.append(
            [
                entry.slug,
                f"{post.created_at:%Y-%m-%d}",
                who,
                post.title,
                _searchable(post),
                " ".join(post_tags(post)),
            ]
        )
    table = [person.split("\u0000") for person in people]
    return _script("window.CROSSPOST_SEARCH_ADD", number, table, rows)


def search_files(archive: Archive, names: Names | None = None) -> Iterator[tuple[str, str]]:
    """(path in the site, script): the list of chunks, then each chunk, newest first."""
    names = names or Names()
    oldest_first = archive.entries[::-1]
    count = (len(oldest_first) + CHUNK - 1) // CHUNK
    chunks = [f"assets/search/{number}.js" for number in range(count, 0, -1)]
    listing = {"posts": len(oldest_first), "chunks": chunks}
    yield INDEX, f"window.CROSSPOST_SEARCH = {json.dumps(listing, separators=(',', ':'))};\n"
    for number in range(count, 0, -1):
        run = oldest_first[(number - 1) * CHUNK : number * CHUNK]
        yield f"assets/search/{number}.js", _chunk(number, run[::-1], names)
