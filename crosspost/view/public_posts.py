"""The public site's post pages and search index, each post read from its file once, newest
first, for everything it is on by itself, and only when one of those changed (site.py's
`_Made` for the viewer; depends.py says how a change is found)."""

from __future__ import annotations

from dataclasses import dataclass

from crosspost.model import Post
from crosspost.progress import Progress
from crosspost.view.cards import Cards
from crosspost.view.depends import Answers, Question, Recorder, Scoped, post_line, search_sigs
from crosspost.view.load import Archive, Entry, account_folder
from crosspost.view.load import Head as PostHead
from crosspost.view.pages import post_page
from crosspost.view.people import Names
from crosspost.view.public_archive import public_part, with_public_part
from crosspost.view.public_pages import Head
from crosspost.view.search import INDEX, SearchIndex, chunk_of
from crosspost.view.spool import CardSpool
from crosspost.view.write import SiteWriter


@dataclass
class PublicPosts:
    archive: Archive  # the public posts alone
    writer: SiteWriter
    top: Cards
    nested: Cards
    per_page: int
    names: Names
    recorder: Recorder
    answers: Answers
    fp: bytes
    head: Head
    lines: CardSpool  # the post cache's lines of the posts made this time, by entry index

    def render(self, progress: Progress) -> None:
        archive, writer = self.archive, self.writer
        search = SearchIndex(len(archive.entries), self.names)
        chunks = search_sigs(archive, self.names, self.fp)
        if not writer.keep_page(INDEX, chunks[INDEX]):
            writer.write_made(*search.listing(), chunks[INDEX])
        total = len(archive.entries)
        chunk: str | None = None
        chunk_wanted = False
        dirty = self.recorder.dirty
        for entry in archive.entries:
            path = f"assets/search/{chunk_of(entry.index, total)}.js"
            if path != chunk:
                chunk, chunk_wanted = path, not writer.keep_page(path, chunks[path])
            asked = dirty.get(entry.key)
            own = asked is not None or not writer.keep_page(f"posts/{entry.slug}.html", entry.sig)
            post = entry.read() if own or chunk_wanted else None
            if post is not None and own:
                self._post(entry, post, asked)
            progress.advance("render pages")
            if post is None or not chunk_wanted:
                search.skip()
                continue
            made = search.add(entry, post)
            if made is not None:
                writer.write_made(*made, chunks[made[0]])

    def _post(self, entry: Entry, post: Post, asked: set[Question] | None) -> None:
        with Scoped(self.archive, asked):
            if entry.index < self.per_page:
                self.top.card(entry, post)
            path, html = self.head.add(*post_page(self.archive, self.nested, entry, post))
        if asked is not None:  # a post made this time: its sig, from its answers
            entry.sig = self.answers.sig(self.fp, entry.stamp, sorted(asked))
            folder = account_folder(self.archive.root, entry.backup)
            line = post_line(folder, entry, PostHead.of(post), asked)
            self.lines.put_bytes(entry.index, with_public_part(line, *public_part(post)))
            self.recorder.dirty[entry.key] = None
        self.writer.write_made(path, html, entry.sig)
