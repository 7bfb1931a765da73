"""The part of a backup a public site may show: its public posts, and nothing that names the rest.

A backup holds followers-only posts, direct messages, Tumblr drafts, queued and private posts
(all `Visibility.FOLLOWERS`, `DIRECT` or `PRIVATE` in the model). `public_archive` reads every
post once and keeps an `Archive` of the public and unlisted ones only (unlisted posts are shown
to anyone on the author's profile and by their address; they are only kept out of the
platform's public timelines). Posts deleted on the platform are left out too: their author took
them down. The indexes (tags, months, conversations) are made again from the kept posts alone,
so a tag used only on a private post has no page, and a conversation is only its public posts.
Earlier versions of edited posts are not shown: their author edited those words away, and not
every platform shows an edit history to the public.

A public post can still point at a hidden one (a public reply to a followers-only post): the
keys and ids of the hidden posts are kept, and `PublicCards` names such a post "a post not on
this site", with no link to it (its address holds its id).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from crosspost.model import Post, PostRef, Visibility
from crosspost.progress import Progress
from crosspost.view.cards import Cards
from crosspost.view.load import Archive, Entry, post_tags
from crosspost.view.parts import Link
from crosspost.view.safe import tag_key

PUBLIC = frozenset({Visibility.PUBLIC, Visibility.UNLISTED})
NOT_HERE = "a post not on this site"


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
    urls: dict[str, str]  # post key -> the original's address, for the kept posts
    left_out: int


def public_archive(archive: Archive, progress: Progress) -> PublicArchive:
    """`archive` with only its public posts (its entries are re-numbered in place)."""
    kept: list[Entry] = []
    tagged: dict[str, list[str]] = {}
    urls: dict[str, str] = {}
    keys: set[str] = set()
    ids: set[tuple[str, str]] = set()
    progress.start("choose public posts", len(archive.entries))
    for entry, post in archive.posts():
        progress.advance("choose public posts")
        if not is_public(post):
            keys.add(entry.key)
            ids.add((post.ref.platform.value, post.ref.id))
            continue
        entry.index = len(kept)
        kept.append(entry)
        tagged[entry.key] = post_tags(post)
        if post.ref.url:
            urls[entry.key] = post.ref.url
    progress.finish("choose public posts")
    public = Archive(archive.root, kept, archive.accounts, real_folders=archive.real_folders)
    _index(public, tagged)
    _conversations(public, archive)
    return PublicArchive(public, Hidden(frozenset(keys), frozenset(ids)), urls, len(keys))


def _index(public: Archive, tagged: dict[str, list[str]]) -> None:
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


@dataclass
class PublicCards(Cards):
    """Cards that never link to, nor name the address of, a post left out of the site."""

    hidden: Hidden = field(default_factory=Hidden)

    def ref_link(self, ref: PostRef) -> Link:
        if ref in self.hidden:
            return Link(NOT_HERE)
        return super().ref_link(ref)
