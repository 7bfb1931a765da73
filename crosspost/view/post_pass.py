"""One pass over a site's posts, newest first: each post's page made only where it changed (or
its answers are asked again), and the search index's chunks written where theirs changed; each
post file is read at most once, for both. The viewer (site.py) and the public site
(public_posts.py) differ only in how they make a post's page: `make`."""

from __future__ import annotations

from collections.abc import Callable

from crosspost.model import Post
from crosspost.progress import Progress
from crosspost.view.depends import Question, Recorder, search_sigs
from crosspost.view.load import Archive, Entry
from crosspost.view.people import Names
from crosspost.view.search import INDEX, SearchIndex, chunk_of
from crosspost.view.write import SiteWriter

MakePage = Callable[[Entry, Post, "set[Question] | None"], None]


def post_pass(
    archive: Archive,
    writer: SiteWriter,
    names: Names,
    fp: bytes,
    recorder: Recorder,
    progress: Progress,
    make: MakePage,
) -> None:
    search = SearchIndex(len(archive.entries), names)
    chunks = search_sigs(archive, names, fp)
    if not writer.keep_page(INDEX, chunks[INDEX]):
        writer.write_made(*search.listing(), chunks[INDEX])
    total = len(archive.entries)
    chunk: str | None = None
    chunk_wanted = False
    dirty = recorder.dirty
    for entry in archive.entries:
        path = f"assets/search/{chunk_of(entry.index, total)}.js"
        if path != chunk:
            chunk, chunk_wanted = path, not writer.keep_page(path, chunks[path])
        asked = dirty.get(entry.key)
        own = asked is not None or not writer.keep_page(f"posts/{entry.slug}.html", entry.sig)
        post = entry.read() if own or chunk_wanted else None
        if post is not None and own:
            make(entry, post, asked)
        progress.advance("render pages")
        if post is None or not chunk_wanted:
            search.skip()
            continue
        made = search.add(entry, post)
        if made is not None:
            writer.write_made(*made, chunks[made[0]])
