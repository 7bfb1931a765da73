"""The part of a backup a public site may show: its public posts, and nothing that names the rest.

A backup holds followers-only posts, direct messages, Tumblr drafts, queued and private posts
(all `Visibility.FOLLOWERS`, `DIRECT` or `PRIVATE` in the model). `public_archive` keeps an
`Archive` of the public and unlisted ones only (known from each post as it was read to load the
backup, or from the post cache's line of a post whose file is unchanged) (unlisted posts are shown
to anyone on the author's profile and by their address; they are only kept out of the
platform's public timelines). Posts deleted on the platform are left out too: their author took
them down. The indexes (tags, months, conversations) are made again from the kept posts alone,
so a tag used only on a private post has no page, and a conversation is only its public posts.
Earlier versions of edited posts are not shown: their author edited those words away, and not
every platform shows an edit history to the public.

A public post can still point at a hidden one (a public reply to a followers-only post): the
keys and ids of the hidden posts are kept, and `PublicCards` names such a post "a post not on
this site", with no link to it (its address holds its id). Whether a post is left out is one of
the questions a card asks (depends.py), so a card is made again when a post it names is hidden,
or shown again, since the last render.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from crosspost.model import Post, PostRef, Visibility
from crosspost.progress import Progress
from crosspost.view.depends import Answers, PostCache, Question, RecordingCards, post_line
from crosspost.view.load import Archive, Entry, Head, account_folder, post_tags
from crosspost.view.parts import Link
from crosspost.view.safe import tag_key

PUBLIC = frozenset({Visibility.PUBLIC, Visibility.UNLISTED})
NOT_HERE = "a post not on this site"
_OLD_SHAPE = "/post/"  # in every address public_pages.old_addresses makes pages for


def is_public(post: Post) -> bool:
    return post.visibility in PUBLIC and not post.deleted


@dataclass(frozen=True)
class Hidden:
    """The posts left out: by key, and by platform and id (a reply names its parent's account
    by another name than the backup does)."""

    keys: frozenset[str] = frozenset()
    ids: frozenset[tuple[str, str]] = frozenset()

    def __contains__(self, ref: PostRef) -> bool:
        return ref.key in self.keys or (ref.platform.value, ref.id) in self.ids


@dataclass(frozen=True)
class PublicArchive:
    archive: Archive
    hidden: Hidden
    urls: dict[str, str]  # post key -> the original's address, for the kept posts with one
    # that may be an old Tumblr address (public_pages.old_addresses): the others are not kept
    left_out: int
    # The post cache's lines of the hidden posts read this time (their files changed), by key.
    hidden_lines: dict[str, bytes] = field(default_factory=dict)


class Seen:
    """What the public site knows of each post (`public_part`), as what the indexes of the
    public archive are made of: the keys of the hidden posts, the tags and old addresses of
    the others. Handed each post `load_archive` reads (`load_archive(read=...)`), so that it
    is not read again to choose the public ones, and given the rest from the post cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hidden: set[str] = set()
        self.tagged: dict[str, tuple[str, ...]] = {}
        self.urls: dict[str, str] = {}  # only addresses that may be old Tumblr ones
        self.lines: dict[str, bytes] = {}  # the post cache's lines of hidden posts read

    def __call__(self, entry: Entry, post: Post) -> None:
        found = public_part(post)
        self.add(entry, found)
        if not found[0]:
            folder = account_folder(self.root, entry.backup)
            line = post_line(folder, entry, Head.of(post), set())
            self.lines[entry.key] = with_public_part(line, *found)

    def add(self, entry: Entry, found: Public) -> None:
        shown, url, tags = found
        if not shown:
            self.hidden.add(entry.key)
            return
        if tags:
            self.tagged[entry.key] = tags
        if url:
            self.urls[entry.key] = url


def public_archive(
    archive: Archive,
    progress: Progress,
    cache: PostCache | None = None,
    seen: Seen | None = None,
) -> PublicArchive:
    """`archive` with only its public posts (its entries are re-numbered in place). A post
    whose file is unchanged since the last render (`cache`, its line at `Entry.cached`) is
    known from its cache line (`public_part`), and one the archive was loaded from (`seen`)
    from when it was read; the others are read."""
    given = seen is not None
    seen = seen or Seen(archive.root)
    kept: list[Entry] = []
    ids: set[tuple[str, str]] = set()
    progress.start("choose public posts", len(archive.entries))
    for entry in archive.entries:
        progress.advance("choose public posts")
        if entry.cached >= 0:
            found = _cached(cache, entry) if cache is not None else None
            if found is not None:
                seen.add(entry, found)
            else:  # a line without its public part: the post is read
                entry.cached = -1
                seen(entry, entry.read())
        elif not given:
            seen(entry, entry.read())
        if entry.key in seen.hidden:
            ids.add((entry.key.partition(":")[0], entry.post_id))
            continue
        entry.index = len(kept)
        kept.append(entry)
    progress.finish("choose public posts")
    public = Archive(archive.root, kept, archive.accounts, real_folders=archive.real_folders)
    _index(public, seen.tagged)
    _conversations(public, archive)
    hidden = Hidden(frozenset(seen.hidden), frozenset(ids))
    return PublicArchive(public, hidden, seen.urls, len(seen.hidden), seen.lines)


Public = tuple[bool, str, tuple[str, ...]]  # public or not, its old address, its tags


def public_part(post: Post) -> Public:
    """What the public site needs of a post besides its head: whether it is shown, its address
    when it may be an old Tumblr one (the redirect pages' addresses are made from it), and its
    tags (a hidden post's are never shown, nor its spelling of a tag)."""
    url = post.ref.url or ""
    return is_public(post), url if _OLD_SHAPE in url else "", tuple(post_tags(post))


def with_public_part(line: bytes, shown: bool, url: str, tags: tuple[str, ...]) -> bytes:
    """A post cache line (depends.post_line) with its post's `public_part` after a tab."""
    return line.rstrip(b"\n") + b"\t" + json.dumps([shown, url, tags]).encode() + b"\n"


def _cached(cache: PostCache, entry: Entry) -> Public | None:
    """What the entry's cache line says of its post, when it says it (else None: read it)."""
    part = cache.line(entry.cached).rstrip(b"\n").split(b"\t")
    if len(part) != 3:
        return None
    try:
        shown, url, tags = json.loads(part[2])
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError):
        return None
    if (
        not isinstance(shown, bool)
        or not isinstance(url, str)
        or not isinstance(tags, list)
        or not all(isinstance(tag, str) for tag in tags)
    ):
        return None
    return shown, url, tuple(tags)


def _index(public: Archive, tagged: dict[str, tuple[str, ...]]) -> None:
    """By key, platform, month and tag, as load.py makes them, from the kept posts' tags alone
    (a tag's spelling is never one a hidden post used)."""
    accounts: dict[str, set[str]] = defaultdict(set)
    months: dict[str, list[Entry]] = defaultdict(list)
    tags: dict[str, list[Entry]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in public.entries:
        public.by_key[entry.key] = entry
        accounts[entry.key.partition(":")[0]].add(entry.account)
        months[entry.month].append(entry)
        for tag in tagged.get(entry.key, ()):
            tags[tag_key(tag)].append(entry)
            spellings[tag_key(tag)][tag] += 1
    public.post_accounts = dict(accounts)
    public.months = dict(sorted(months.items(), reverse=True))
    public.tags = dict(sorted(tags.items()))
    public.tag_names = {key: counts.most_common(1)[0][0] for key, counts in spellings.items()}


def _conversations(public: Archive, whole: Archive) -> None:
    """Each conversation of the whole backup, its public posts only (in the same order, drawn
    as deep as before); one left with a single post is no conversation."""
    for key, members in whole.conversations.items():
        shown = [(entry, depth) for entry, depth in members if entry.key in public.by_key]
        if len(shown) < 2:
            continue
        public.conversations[key] = shown
        public.parent_of.update(
            (e.key, whole.parent_of[e.key]) for e, _ in shown if e.key in whole.parent_of
        )
        for place, (entry, _) in enumerate(shown):
            public.conversation_of[entry.key] = key
            public.place[entry.key] = place


HIDDEN = "h"  # the question of whether a post is left out (depends.py: a card's questions)


@dataclass
class PublicCards(RecordingCards):
    """Cards that never link to, nor name the address of, a post left out of the site; each
    post they name asks whether it is left out (`HIDDEN`), so that a card is made again when
    the answer changes."""

    hidden: Hidden = field(default_factory=Hidden)

    def ref_link(self, ref: PostRef) -> Link:
        asked = self.archive.asked
        if asked is not None:
            asked.add((HIDDEN, ref.platform.value, ref.account, ref.id))
        if ref in self.hidden:
            return Link(NOT_HERE)
        return super().ref_link(ref)


@dataclass
class PublicAnswers(Answers):
    """Answers that know which posts are left out."""

    hidden: Hidden = field(default_factory=Hidden)

    def _ask(self, question: Question) -> str:
        if question[0] == HIDDEN and len(question) == 4:
            platform, account, post_id = question[1:]
            left_out = f"{platform}:{account}:{post_id}" in self.hidden.keys or (
                (platform, post_id) in self.hidden.ids
            )
            return "1" if left_out else ""
        return super()._ask(question)
