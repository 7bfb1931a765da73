"""The public site's post pages and search index, each post read from its file once, newest
first, for everything it is on by itself, and only when one of those changed (site.py's
`_Made` for the viewer; depends.py says how a change is found)."""

from __future__ import annotations

from dataclasses import dataclass

from crosspost.model import Post
from crosspost.progress import Progress
from crosspost.view.cards import Cards
from crosspost.view.depends import Answers, Question, Recorder, Scoped, post_line
from crosspost.view.load import Archive, Entry, account_folder
from crosspost.view.load import Head as PostHead
from crosspost.view.pages import post_page
from crosspost.view.people import Names
from crosspost.view.post_pass import post_pass
from crosspost.view.public_archive import public_part, with_public_part
from crosspost.view.public_pages import Head
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
        post_pass(
            self.archive, self.writer, self.names, self.fp, self.recorder, progress, self._post
        )

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
