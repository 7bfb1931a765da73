"""One post as an HTML <article>: header, content warning, text, media, link card, quoted posts.

`Cards` turns a post into the typed parts of `parts.py` and has `templates/card.html.j2` lay
them out, which escapes every string. Post text is the exception: `body_html` sanitises it with
nh3, and this module is the one place that hands it on as Markup (`sanitised_markup`, also for
a profile's HTML bio). URLs from a post become links only when they are http(s), and media
(link-card thumbnails too) is shown inline only from the local store. Accounts are named by
handle through the site's `Names` table, with the avatar and page of the backup's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup

from crosspost.backup.store import AccountBackup
from crosspost.model import (
    LinkCard,
    Media,
    MediaKind,
    Poll,
    Post,
    PostKind,
    PostRef,
    RichText,
    Span,
    Unsupported,
    Visibility,
)
from crosspost.view.direction import direction, language
from crosspost.view.load import (
    PLATFORM_NAMES,
    Archive,
    Entry,
    post_tags,
    stored_file,
    thumb_file,
)
from crosspost.view.media import Shown, SiteMedia
from crosspost.view.parts import (
    Ask,
    Card,
    Content,
    ContextLine,
    Figure,
    FigureKind,
    Header,
    Link,
    LinkPreview,
    PollChoice,
    PollShown,
    Quoted,
    Row,
)
from crosspost.view.people import Known, Names, as_handle
from crosspost.view.render import partial
from crosspost.view.safe import Sanitise, body_html, safe_url, sanitiser, tag_key, tag_slug
from crosspost.view.spool import CardSpool

_MAX_TRAIL_DEPTH = 3
_KIND_LABELS = {
    PostKind.REPOST: "reposted",
    PostKind.REBLOG_WITH_COMMENT: "reblogged",
    PostKind.QUOTE: "quoted",
    PostKind.REPLY: "replied",
}
_VISIBILITY_LABELS = {
    Visibility.UNLISTED: "unlisted",
    Visibility.FOLLOWERS: "followers only",
    Visibility.DIRECT: "direct message",
    Visibility.PRIVATE: "private",
}
_CARD = partial("card.html.j2")


@dataclass
class TagHrefs:
    """Where a tag's page is from pages at one depth, or None when it has none; asked for each
    tag of every post, so each spelling is worked out once. The sanitiser keeps this and not
    the Cards: an nh3.Cleaner is not seen by Python's garbage collector, and a Cards that held
    the Cleaner that held the Cards would never be freed, nor its archive."""

    prefix: str
    tags: Mapping[str, object]  # the archive's tag keys
    _known: dict[str, str | None] = field(default_factory=dict)

    def __call__(self, tag: str) -> str | None:
        if tag in self._known:
            return self._known[tag]
        key = tag_key(tag)
        href = f"{self.prefix}tags/{tag_slug(key)}.html" if key in self.tags else None
        self._known[tag] = href
        return href


@dataclass
class Cards:
    """Renders and caches post cards for pages at one depth (`prefix` "", "../" or "../../"):
    in memory, or in `spool` (on disk) for the depth that shows every post."""

    archive: Archive
    media: SiteMedia
    prefix: str
    names: Names = field(default_factory=Names)
    spool: CardSpool | None = None
    _cache: dict[str, Markup] = field(default_factory=dict)  # slug -> card
    tag_href: TagHrefs = field(init=False)
    _sanitise: Sanitise = field(init=False)

    def __post_init__(self) -> None:
        self.tag_href = TagHrefs(self.prefix, self.archive.tags)
        self._sanitise = sanitiser(self.tag_href)

    @property
    def sanitise(self) -> Sanitise:
        """The allowlist sanitiser of this depth (tag links lead to tag pages from here)."""
        return self._sanitise

    def card(self, entry: Entry, post: Post | None = None) -> Markup:
        """The entry's card, rendered the first time from `post` (read from its file when not
        given)."""
        spool = self.spool
        html = spool.get(entry.index) if spool is not None else self._cache.get(entry.slug)
        if html is None:
            html = _CARD(c=self.parts(entry, post if post is not None else entry.read()))
            if spool is not None:
                spool.put(entry.index, html)
            else:
                self._cache[entry.slug] = html
        return html

    def parts(self, entry: Entry, post: Post) -> Card:
        edited = entry.key in self.archive.edited
        return Card(
            deleted=post.deleted,
            header=self._header(post, self.post_href(entry), edited=edited),
            context=self._context(post),
            warning=post.content_warning,
            content=self._content(entry.backup, post, 0),
            footer=self._footer(entry, post),
        )

    def saved(self, post: Post, backup: AccountBackup) -> Markup:
        """A post kept in a collection (a like, a bookmark): linked to its page here when the
        backup holds it, else to the original. Not cached: each is shown once."""
        local = self.archive.find(post.ref)
        href = self.post_href(local) if local is not None else safe_url(post.ref.url)
        card = Card(
            deleted=post.deleted,
            header=self._header(post, href),
            context=self._context(post),
            warning=post.content_warning,
            content=self._content(backup, post, 0),
            footer=self._links_out(post),
        )
        return _CARD(c=card)

    def versions(self, entry: Entry, post: Post) -> list[tuple[str, Markup]]:
        """The earlier versions of an edited post, oldest first: when each was current from
        (empty when the platform does not say), and its card."""
        shown = []
        for number, version in enumerate(self.archive.versions(entry, post)):
            since = version.edited_at or (version.created_at if number == 0 else None)
            card = Card(
                deleted=False,
                header=self._header(version, None),
                context=self._context(version),
                warning=version.content_warning,
                content=self._content(entry.backup, version, 0),
                footer=(),
            )
            shown.append((f"{since:%Y-%m-%d %H:%M UTC}" if since else "", _CARD(c=card)))
        return shown

    def post_href(self, entry: Entry) -> str:
        return f"{self.prefix}posts/{entry.slug}.html"

    def ref_link(self, ref: PostRef) -> Link:
        """A link to a post: its page here when the backup holds it, else the original."""
        target = self.archive.find(ref)
        who = self.names.label(ref.platform, ref.account)
        if target is not None:
            return Link(who, self.post_href(target))
        return Link(who if ref.account else "a post", safe_url(ref.url), external=True)

    def avatar_src(self, known: Known | None) -> str | None:
        if known is None or known.avatar is None:
            return None
        path = self.media.image(known.avatar)
        return self.prefix + path if path is not None else None

    def image_src(self, backup: AccountBackup, media: Media | None) -> str | None:
        """A profile picture (or any stored image) inside the site, when the backup has it."""
        if media is None:
            return None
        source = stored_file(self.archive, backup, media)
        path = self.media.image(source) if source is not None else None
        return self.prefix + path if path is not None else None

    def _context(self, post: Post) -> tuple[ContextLine, ...]:
        lines = []
        if post.reply_to is not None:
            lines.append(ContextLine("↩ in reply to ", self.ref_link(post.reply_to)))
        if post.repost_of is not None and not post.trail and not self._embeds(post.repost_of):
            lines.append(ContextLine("reposted ", self.ref_link(post.repost_of)))
        if post.quote_of is not None and not post.trail and not self._embeds(post.quote_of):
            lines.append(ContextLine("quoting ", self.ref_link(post.quote_of)))
        return tuple(lines)

    def _embeds(self, ref: PostRef) -> bool:
        """Whether a quoted or reposted post that the post does not carry is shown inside it:
        when the backup holds it."""
        return self.archive.find(ref) is not None

    def _passed_on(self, post: Post, depth: int) -> tuple[Post, AccountBackup] | None:
        """The post a quote or repost passes on, from the backup, when the post itself does not
        carry it (a Bluesky record names it only): shown once, never its own quotes in turn."""
        if post.trail or depth > 0:
            return None
        for ref in (post.quote_of, post.repost_of):
            target = self.archive.find(ref)
            if target is not None and target.key != post.ref.key:
                return target.read(), target.backup
        return None

    def _content(self, backup: AccountBackup, post: Post, depth: int) -> Content:
        trail = [self._quoted(backup, item, depth + 1) for item in post.trail]
        passed_on = self._passed_on(post, depth)
        if passed_on is not None:
            # Embedded as deep as a trail may go: its own quotes are links, not cards.
            trail.append(self._quoted(passed_on[1], passed_on[0], _MAX_TRAIL_DEPTH))
        figures = tuple(self._figure(backup, media) for media in post.media)
        rows = self._rows(post, figures)
        lang = language(post)
        unsupported, ask = _extras(post)
        return Content(
            title=post.title,
            body=None if rows else sanitised_markup(post.text, self._sanitise),
            media=() if rows else figures,
            fold_media=post.sensitive and not post.content_warning,
            preview=self._preview(backup, post.link_card),
            unsupported=unsupported,
            trail=tuple(quoted for quoted in trail if quoted is not None),
            trail_first=post.kind in (PostKind.REPOST, PostKind.REBLOG_WITH_COMMENT),
            rows=rows,
            ask=ask,
            poll=_poll(post.poll) if post.poll is not None else None,
            lang=lang,
            dir=direction(post, lang),
        )

    def _rows(self, post: Post, figures: tuple[Figure, ...]) -> tuple[Row, ...]:
        """The body in its platform's order (`Post.layout`): text runs and rows of media side by
        side. Empty, for the default (text, then media), when the post has no layout or one that
        does not fit its text and media."""
        if not post.layout:
            return ()
        text = post.text
        rows: list[Row] = []
        covered = [False] * len(text.text)
        used: set[int] = set()
        last_row: int | None = None  # the display row of the media row being filled
        for piece in post.layout:
            if piece.media >= 0:
                if piece.media >= len(figures) or piece.media in used:
                    return ()
                used.add(piece.media)
                figure = figures[piece.media]
                if last_row == piece.row:
                    rows[-1] = Row(None, (*rows[-1].media, figure))
                else:
                    rows.append(Row(None, (figure,)))
                last_row = piece.row
                continue
            if not 0 <= piece.start < piece.end <= len(text.text):
                return ()
            last_row = None
            covered[piece.start : piece.end] = [True] * (piece.end - piece.start)
            rows.append(Row(sanitised_markup(_slice(text, piece.start, piece.end), self._sanitise)))
        if any(
            not done and not char.isspace() for done, char in zip(covered, text.text, strict=True)
        ):
            return ()  # text the layout leaves out: show it all the default way instead
        rest = tuple(figure for index, figure in enumerate(figures) if index not in used)
        if rest:
            rows.append(Row(None, rest))
        return tuple(rows)

    def _quoted(self, backup: AccountBackup, post: Post, depth: int) -> Quoted | None:
        if depth > _MAX_TRAIL_DEPTH:
            return None
        local = self.archive.find(post.ref)
        href = self.post_href(local) if local is not None else safe_url(post.ref.url)
        content = self._content(backup, post, depth)
        return Quoted(self._header(post, href), post.content_warning, content)

    def _figure(self, backup: AccountBackup, media: Media) -> Figure:
        source = stored_file(self.archive, backup, media)
        if source is None:
            where = safe_url(media.url)
            return Figure(FigureKind.MISSING, media.alt, missing=media.kind.value, original=where)
        # Shown as what its bytes are, whatever the post calls it (media.py).
        placed = self.media.place(source)
        if placed.path is None:
            kind = media.kind.value
            return Figure(FigureKind.NOT_SHOWN, media.alt, missing=kind, refused=placed.refused)
        src = self.prefix + placed.path
        width, height = (
            value if isinstance(value, int) and value > 0 else None
            for value in (media.width, media.height)
        )
        if placed.kind is Shown.VIDEO:
            loop = media.kind is MediaKind.GIF
            return Figure(FigureKind.VIDEO, media.alt, src, width, height, loop=loop)
        if placed.kind is Shown.AUDIO:
            return Figure(FigureKind.AUDIO, media.alt, src)
        return Figure(FigureKind.IMAGE, media.alt, src, width, height)

    def _preview(self, backup: AccountBackup, card: LinkCard | None) -> LinkPreview | None:
        if card is None:
            return None
        thumb = thumb_file(self.archive, backup, card)
        path = self.media.image(thumb) if thumb is not None else None
        src = self.prefix + path if path is not None else None
        return LinkPreview(
            safe_url(card.url), card.title or card.url, card.description, card.url, src
        )

    def _footer(self, entry: Entry, post: Post) -> tuple[Link, ...]:
        links = self._tag_links(post)
        thread = self.archive.thread_href(entry)
        if thread is not None:
            # No count of posts: a new reply would change the card of every post of the thread
            # and so every page showing one of them.
            links.append(Link("the conversation", self.prefix + thread, css_class="thread"))
        return (*links, *self._original(post))

    def _links_out(self, post: Post) -> tuple[Link, ...]:
        return (*self._tag_links(post), *self._original(post))

    def _tag_links(self, post: Post) -> list[Link]:
        """Links to the pages of a post's tags (those the site has a page for)."""
        links = []
        for tag in post_tags(post):
            href = self.tag_href(tag)
            if href:
                links.append(Link(f"#{tag}", href, css_class="tag"))
        return links

    def _original(self, post: Post) -> tuple[Link, ...]:
        url = safe_url(post.ref.url)
        if not url:
            return ()
        name = PLATFORM_NAMES[post.ref.platform]
        return (Link(f"original on {name}", url, external=True, css_class="original"),)

    def _header(self, post: Post, href: str | None, *, edited: bool = False) -> Header:
        badges = []
        if post.kind in _KIND_LABELS and post.kind is not PostKind.REPLY:
            badges.append(_KIND_LABELS[post.kind])
        if post.visibility in _VISIBILITY_LABELS:
            badges.append(_VISIBILITY_LABELS[post.visibility])
        if post.edited_at is not None or edited:
            badges.append("edited")
        if post.deleted:
            badges.append("deleted on the platform")
        ref = post.ref
        known = self.names.find(ref.platform, ref.account)
        who = as_handle(known.handle if known is not None and known.handle else ref.account)
        page = known.page if known is not None else None
        # A reblog trail item without a date of its own shows none (its created_at is only the
        # latest it can be: the reblog's).
        return Header(
            who=who,
            platform=PLATFORM_NAMES[ref.platform],
            href=href,
            datetime="" if post.undated else post.created_at.isoformat(),
            when="" if post.undated else post.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            badges=tuple(badges),
            who_href=self.prefix + page if page is not None else None,
            avatar=self.avatar_src(known),
        )


def _slice(text: RichText, start: int, end: int) -> RichText:
    """The part of a text from `start` to `end`, with the spans that reach into it (clipped)."""
    spans = tuple(
        Span(max(span.start, start) - start, min(span.end, end) - start, span.kind, span.value)
        for span in text.spans
        if span.start < end and span.end > start
    )
    return RichText(text.text[start:end], spans)


def _extras(post: Post) -> tuple[tuple[Unsupported, ...], Ask | None]:
    """What the post holds beyond text and media, as a reader of the archive sees it: an ask
    above its answer, the poll in its own part (not its cross-posting note), no note about a
    read-more fold (the whole text is shown)."""
    ask = None
    kept = []
    for item in post.unsupported:
        if item.kind == "ask" and ask is None:
            who, _, question = item.text.partition("\n")
            ask = Ask(who, question) if question else Ask("", who)
        elif item.kind == "read_more" or (item.kind == "poll" and post.poll is not None):
            continue
        else:
            kept.append(item)
    return tuple(kept), ask


def _poll(poll: Poll) -> PollShown:
    counts = [option.votes for option in poll.options]
    total = sum(c for c in counts if c is not None) if all(c is not None for c in counts) else 0
    choices = []
    for option in poll.options:
        votes = option.votes
        shown = "" if votes is None else f"{votes:,} vote{'' if votes == 1 else 's'}"
        percent = round(100 * votes / total) if total and votes is not None else None
        choices.append(PollChoice(option.text, shown, percent))
    notes = []
    if poll.voters is not None:
        notes.append(f"{poll.voters:,} {'person' if poll.voters == 1 else 'people'} voted")
    elif total:
        notes.append(f"{total:,} votes")
    notes.append("multiple choice" if poll.multiple else "one choice")
    if poll.expires_at is not None:
        notes.append(f"until {poll.expires_at:%Y-%m-%d %H:%M UTC}")
    return PollShown(poll.question, tuple(choices), " · ".join(notes))


def sanitised_markup(source: RichText | str, sanitise: Sanitise) -> Markup:
    """Post text (RichText) or HTML a platform wrote (a bio, a profile field) as markup a page
    takes in as it is: nh3 has sanitised it with the allowlist. The one Markup the viewer makes."""
    return Markup(body_html(source, sanitise))  # sanitised by nh3 (safe.py)
