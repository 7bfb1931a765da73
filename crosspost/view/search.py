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


def _warning(post: Post) -> str:
    """The content warning hiding the post's text (or a quoted post's): a snippet shows it, never
    the words behind it."""
    if post.content_warning:
        return post.content_warning
    return next((found for found in map(_warning, post.trail) if found), "")


def _script(call: str, *values: object) -> str:
    # ASCII-only JSON is valid JavaScript whatever the text holds (U+2028, "</script>", ...).
    data = ",".join(json.dumps(v, ensure_ascii=True, separators=(",", ":")) for v in values)
    return f"{call}({data});\n"


class SearchIndex:
    """The index built as the posts go by, newest first (`add`), each post once: a chunk is
    made as soon as its last post is added, so only one chunk's rows are held at a time."""

    def __init__(self, total: int, names: Names | None = None) -> None:
        self.total = total
        self.names = names or Names()
        self._added = 0
        self._rows: list[list[object]] = []
        self._people: dict[str, int] = {}

    def listing(self) -> tuple[str, str]:
        """(path in the site, script): the list of chunks, newest first."""
        count = (self.total + CHUNK - 1) // CHUNK
        chunks = [f"assets/search/{number}.js" for number in range(count, 0, -1)]
        listing = {"posts": self.total, "chunks": chunks}
        return INDEX, f"window.CROSSPOST_SEARCH = {json.dumps(listing, separators=(',', ':'))};\n"

    def add(self, entry: Entry, post: Post) -> tuple[str, str] | None:
        """Add the next post, newest first; (path, script) of its chunk when it was the chunk's
        last (its oldest)."""
        number = (self.total - self._added - 1) // CHUNK + 1  # chunks count from the oldest
        self._added += 1
        self._rows.append(self._row(entry, post))
        if (self.total - self._added) % CHUNK:
            return None
        table = [person.split("\u0000") for person in self._people]
        script = _script("window.CROSSPOST_SEARCH_ADD", number, table, self._rows)
        self._rows, self._people = [], {}
        return f"assets/search/{number}.js", script

    def skip(self) -> None:
        """Pass over the next post, newest first, whose chunk is not made this time (it has
        not changed since the last render): a whole chunk is added or skipped."""
        self._added += 1
        if (self.total - self._added) % CHUNK == 0:
            self._rows, self._people = [], {}

    def _row(self, entry: Entry, post: Post) -> list[object]:
        """[slug, date, who, title, text, tags, warning]; `who` indexes the chunk's table of
        "account · platform" (the account by its handle where the backup knows it)."""
        account = self.names.label(post.ref.platform, post.ref.account).removeprefix("@")
        person = f"{account}\u0000{PLATFORM_NAMES[post.ref.platform]}"
        who = self._people.setdefault(person, len(self._people))
        tags = " ".join(post_tags(post))
        date = f"{post.created_at:%Y-%m-%d}"
        return [entry.slug, date, who, post.title, _searchable(post), tags, _warning(post)]


def chunk_of(index: int, total: int) -> int:
    """The number of the chunk holding the post at `index` (newest first) of `total`."""
    return (total - index - 1) // CHUNK + 1


def search_files(archive: Archive, names: Names | None = None) -> Iterator[tuple[str, str]]:
    """(path in the site, script): the list of chunks, then each chunk, newest first."""
    index = SearchIndex(len(archive.entries), names)
    yield index.listing()
    for entry, post in archive.posts():
        chunk = index.add(entry, post)
        if chunk is not None:
            yield chunk
