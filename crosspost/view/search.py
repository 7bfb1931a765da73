"""The search index: one row per post, written as a script (`window.CROSSPOST_SEARCH = [...]`)
because a page opened from file:// may not fetch a JSON file."""

from __future__ import annotations

import json

from crosspost.model import Post
from crosspost.view.load import PLATFORM_NAMES, Archive, post_tags
from crosspost.view.people import Names

MAX_TEXT = 4000  # characters of a post kept for searching; posts longer than this are rare


def _searchable(post: Post) -> str:
    parts = [post.content_warning, post.text.text]
    parts += [media.alt for media in post.media]
    if post.link_card is not None:
        parts += [post.link_card.title, post.link_card.description]
    for item in post.trail:
        parts.append(_searchable(item))
    return " ".join(part for part in parts if part)[:MAX_TEXT]


def search_index(archive: Archive, names: Names | None = None) -> str:
    """Rows of [href, date, account, platform, title, text, tags], newest first; the account
    by its handle where the backup knows it."""
    names = names or Names()
    rows = [
        [
            f"posts/{entry.slug}.html",
            f"{entry.post.created_at:%Y-%m-%d}",
            names.label(entry.post.ref.platform, entry.post.ref.account).removeprefix("@"),
            PLATFORM_NAMES[entry.post.ref.platform],
            entry.post.title,
            _searchable(entry.post),
            " ".join(post_tags(entry.post)),
        ]
        for entry in archive.entries
    ]
    # ASCII-only JSON is valid JavaScript whatever the text holds (U+2028, "</script>", ...).
    data = json.dumps(rows, ensure_ascii=True, separators=(",", ":"))
    return f"window.CROSSPOST_SEARCH = {data};\n"
