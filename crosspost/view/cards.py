"""One post as an HTML <article>: header, content warning, text, media, link card, quoted posts.

`Cards` turns a post into the typed parts of `parts.py` and has `templates/card.html.j2` lay
them out, which escapes every string. Post text is the exception: `body_html` sanitises it with
nh3, and this module is the one place that hands it on as Markup. URLs from a post become links
only when they are http(s), and media is shown inline only from the local store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup

from crosspost.model import LinkCard, Media, MediaKind, Post, PostKind, PostRef, Visibility
from crosspost.view.load import PLATFORM_NAMES, Archive, Entry, media_file, post_tags
from crosspost.view.media import SiteMedia
from crosspost.view.parts import (
    Card,
    Content,
    ContextLine,
    Figure,
    FigureKind,
    Header,
    Link,
    LinkPreview,
    Quoted,
)
from crosspost.view.render import partial
from crosspost.view.safe import Sanitise, body_html, safe_url, sanitiser, tag_key, tag_slug

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
    """Renders and caches post cards for pages at one depth (`prefix` "" or "../")."""

    archive: Archive
    media: SiteMedia
    prefix: str
    _cache: dict[str, Markup] = field(default_factory=dict)  # slug -> card
    tag_href: TagHrefs = field(init=False)
    _sanitise: Sanitise = field(init=False)

    def __post_init__(self) -> None:
        self.tag_href = TagHrefs(self.prefix, self.archive.tags)
        self._sanitise = sanitiser(self.tag_href)

    def card(self, entry: Entry) -> Markup:
        # Keyed by the slug, an attribute: `entry.key` is formatted anew on every call.
        html = self._cache.get(entry.slug)
        if html is None:
            html = _CARD(c=self.parts(entry))
            self._cache[entry.slug] = html
        return html

    def parts(self, entry: Entry) -> Card:
        post = entry.post
        return Card(
            deleted=post.deleted,
            header=_header(post, self.post_href(entry)),
            context=self._context(post),
            warning=post.content_warning,
            content=self._content(entry, post, 0),
            footer=self._footer(entry),
        )

    def post_href(self, entry: Entry) -> str:
        return f"{self.prefix}posts/{entry.slug}.html"

    def _context(self, post: Post) -> tuple[ContextLine, ...]:
        lines = []
        if post.reply_to is not None:
            lines.append(ContextLine("↩ in reply to ", self._ref_link(post.reply_to)))
        if post.repost_of is not None and not post.trail:
            lines.append(ContextLine("reposted ", self._ref_link(post.repost_of)))
        if post.quote_of is not None and not post.trail:
            lines.append(ContextLine("quoting ", self._ref_link(post.quote_of)))
        return tuple(lines)

    def _ref_link(self, ref: PostRef) -> Link:
        target = self.archive.find(ref)
        if target is not None:
            return Link(_who(ref), self.post_href(target))
        label = _who(ref) if ref.account else "a post"
        return Link(label, safe_url(ref.url), external=True)

    def _content(self, entry: Entry, post: Post, depth: int) -> Content:
        trail = (self._quoted(entry, item, depth + 1) for item in post.trail)
        return Content(
            title=post.title,
            body=Markup(body_html(post.text, self._sanitise)),  # sanitised by nh3 (safe.py)
            media=tuple(self._figure(entry, media) for media in post.media),
            fold_media=post.sensitive and not post.content_warning,
            preview=_preview(post.link_card),
            unsupported=post.unsupported,
            trail=tuple(quoted for quoted in trail if quoted is not None),
            trail_first=post.kind in (PostKind.REPOST, PostKind.REBLOG_WITH_COMMENT),
        )

    def _quoted(self, entry: Entry, post: Post, depth: int) -> Quoted | None:
        if depth > _MAX_TRAIL_DEPTH:
            return None
        local = self.archive.find(post.ref)
        href = self.post_href(local) if local is not None else safe_url(post.ref.url)
        content = self._content(entry, post, depth)
        return Quoted(_header(post, href), post.content_warning, content)

    def _figure(self, entry: Entry, media: Media) -> Figure:
        source = media_file(self.archive, entry, media)
        if source is None:
            where = safe_url(media.url)
            return Figure(FigureKind.MISSING, media.alt, missing=media.kind.value, original=where)
        src = self.prefix + self.media.site_path(source)
        width, height = (
            value if isinstance(value, int) and value > 0 else None
            for value in (media.width, media.height)
        )
        gif = media.kind is MediaKind.GIF
        if media.kind is MediaKind.VIDEO or (gif and (media.mime or "").startswith("video/")):
            return Figure(FigureKind.VIDEO, media.alt, src, width, height, loop=gif)
        if media.kind is MediaKind.AUDIO:
            return Figure(FigureKind.AUDIO, media.alt, src)
        return Figure(FigureKind.IMAGE, media.alt, src, width, height)

    def _footer(self, entry: Entry) -> tuple[Link, ...]:
        post = entry.post
        links = []
        for tag in post_tags(post):
            href = self.tag_href(tag)
            if href:
                links.append(Link(f"#{tag}", href, css_class="tag"))
        conversation = self.archive.conversation_of.get(entry.key)
        if conversation is not None:
            size = len(self.archive.conversations[conversation])
            links.append(Link(f"conversation ({size})", f"{self.post_href(entry)}#conversation"))
        url = safe_url(post.ref.url)
        if url:
            name = PLATFORM_NAMES[post.ref.platform]
            links.append(Link(f"original on {name}", url, external=True, css_class="original"))
        return tuple(links)


def _header(post: Post, href: str | None) -> Header:
    badges = []
    if post.kind in _KIND_LABELS and post.kind is not PostKind.REPLY:
        badges.append(_KIND_LABELS[post.kind])
    if post.visibility in _VISIBILITY_LABELS:
        badges.append(_VISIBILITY_LABELS[post.visibility])
    if post.edited_at is not None:
        badges.append("edited")
    if post.deleted:
        badges.append("deleted on the platform")
    return Header(
        who=_who(post.ref),
        platform=PLATFORM_NAMES[post.ref.platform],
        href=href,
        datetime=post.created_at.isoformat(),
        when=post.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        badges=tuple(badges),
    )


def _who(ref: PostRef) -> str:
    account = ref.account
    return account if account.startswith(("did:", "@")) or not account else f"@{account}"


def _preview(card: LinkCard | None) -> LinkPreview | None:
    if card is None:
        return None
    return LinkPreview(safe_url(card.url), card.title or card.url, card.description, card.url)
