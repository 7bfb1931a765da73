"""One post as an HTML <article>: header, content warning, text, media, link card, quoted posts.

Every string from a post is escaped (`esc`) or sanitised (`body_html`); URLs from a post become
links only when they are http(s), and media is shown inline only from the local store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crosspost.model import LinkCard, Media, MediaKind, Post, PostKind, PostRef, Visibility
from crosspost.view.load import PLATFORM_NAMES, Archive, Entry, media_file, post_tags
from crosspost.view.media import SiteMedia
from crosspost.view.safe import body_html, esc, safe_url, tag_key, tag_slug

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


@dataclass
class Cards:
    """Renders and caches post cards for pages at one depth (`prefix` "" or "../")."""

    archive: Archive
    media: SiteMedia
    prefix: str
    _cache: dict[str, str] = field(default_factory=dict)

    def card(self, entry: Entry) -> str:
        html = self._cache.get(entry.key)
        if html is None:
            html = self._card(entry)
            self._cache[entry.key] = html
        return html

    def post_href(self, entry: Entry) -> str:
        return f"{self.prefix}posts/{entry.slug}.html"

    def tag_href(self, tag: str) -> str | None:
        key = tag_key(tag)
        return f"{self.prefix}tags/{tag_slug(key)}.html" if key in self.archive.tags else None

    def _card(self, entry: Entry) -> str:
        post = entry.post
        classes = " ".join(["post", *(["deleted"] if post.deleted else [])])
        parts = [
            f'<article class="{classes}">',
            self._header(post, self.post_href(entry)),
            self._context(entry),
            self._wrapped(entry, post),
            self._footer(entry),
            "</article>",
        ]
        return "".join(parts)

    def _header(self, post: Post, href: str | None) -> str:
        when = post.created_at.strftime("%Y-%m-%d %H:%M UTC")
        time = f'<time datetime="{esc(post.created_at.isoformat())}">{esc(when)}</time>'
        badges = []
        if post.kind in _KIND_LABELS and post.kind is not PostKind.REPLY:
            badges.append(_KIND_LABELS[post.kind])
        if post.visibility in _VISIBILITY_LABELS:
            badges.append(_VISIBILITY_LABELS[post.visibility])
        if post.edited_at is not None:
            badges.append("edited")
        if post.deleted:
            badges.append("deleted on the platform")
        return (
            f'<header><span class="who">{esc(_who(post.ref))}</span> '
            f'<span class="platform">{esc(PLATFORM_NAMES[post.ref.platform])}</span> · '
            + (f'<a class="when" href="{esc(href)}">{time}</a>' if href else time)
            + "".join(f' <span class="badge">{esc(b)}</span>' for b in badges)
            + "</header>"
        )

    def _context(self, entry: Entry) -> str:
        post = entry.post
        lines = []
        if post.reply_to is not None:
            lines.append(f"↩ in reply to {self._ref_link(post.reply_to)}")
        if post.repost_of is not None and not post.trail:
            lines.append(f"reposted {self._ref_link(post.repost_of)}")
        if post.quote_of is not None and not post.trail:
            lines.append(f"quoting {self._ref_link(post.quote_of)}")
        return "".join(f'<p class="context">{line}</p>' for line in lines)

    def _ref_link(self, ref: PostRef) -> str:
        target = self.archive.find(ref)
        if target is not None:
            return f'<a href="{esc(self.post_href(target))}">{esc(_who(ref))}</a>'
        url = safe_url(ref.url)
        label = esc(_who(ref)) if ref.account else "a post"
        return (
            f'<a href="{esc(url)}" rel="nofollow noopener noreferrer">{label}</a>' if url else label
        )

    def _wrapped(self, entry: Entry, post: Post) -> str:
        content = self._content(entry, post, 0)
        if post.content_warning:
            return (
                f'<details class="cw"><summary>CW: {esc(post.content_warning)}</summary>'
                f"{content}</details>"
            )
        return content

    def _content(self, entry: Entry, post: Post, depth: int) -> str:
        own = [
            f"<h2>{esc(post.title)}</h2>" if post.title else "",
            f'<div class="text">{body}</div>'
            if (body := body_html(post.text, self.tag_href))
            else "",
            self._media_list(entry, post),
            _link_card(post.link_card),
            "".join(
                f'<div class="unsupported"><strong>{esc(u.kind)}</strong> (not shown: '
                f"{esc(u.reason)})<pre>{esc(u.text)}</pre></div>"
                for u in post.unsupported
            ),
        ]
        trail = "".join(self._quoted(entry, item, depth + 1) for item in post.trail)
        trail_first = post.kind in (PostKind.REPOST, PostKind.REBLOG_WITH_COMMENT)
        return trail + "".join(own) if trail_first else "".join(own) + trail

    def _quoted(self, entry: Entry, post: Post, depth: int) -> str:
        if depth > _MAX_TRAIL_DEPTH:
            return ""
        local = self.archive.find(post.ref)
        href = self.post_href(local) if local is not None else safe_url(post.ref.url)
        inner = self._content(entry, post, depth)
        if post.content_warning:
            inner = (
                f'<details class="cw"><summary>CW: {esc(post.content_warning)}</summary>'
                f"{inner}</details>"
            )
        return f'<blockquote class="quoted">{self._header(post, href)}{inner}</blockquote>'

    def _media_list(self, entry: Entry, post: Post) -> str:
        if not post.media:
            return ""
        items = "".join(self._media(entry, media) for media in post.media)
        html = f'<div class="media">{items}</div>'
        if post.sensitive and not post.content_warning:
            return f'<details class="cw"><summary>Sensitive media</summary>{html}</details>'
        return html

    def _media(self, entry: Entry, media: Media) -> str:
        source = media_file(self.archive, entry, media)
        alt = esc(media.alt)
        caption = f'<figcaption class="alt">{alt}</figcaption>' if media.alt else ""
        if source is None:
            url = safe_url(media.url)
            where = (
                f'<a href="{esc(url)}" rel="nofollow noopener noreferrer">{esc(url)}</a>'
                if url
                else "no address"
            )
            return (
                f'<figure class="missing"><p>{esc(media.kind.value)} not in the backup: '
                f"{where}</p>{caption}</figure>"
            )
        src = esc(self.prefix + self.media.site_path(source))
        size = "".join(
            f' {name}="{value}"'
            for name, value in (("width", media.width), ("height", media.height))
            if isinstance(value, int) and value > 0
        )
        video = media.kind is MediaKind.VIDEO or (
            media.kind is MediaKind.GIF and (media.mime or "").startswith("video/")
        )
        if video:
            loop = " loop muted" if media.kind is MediaKind.GIF else ""
            player = f'<video controls preload="metadata"{loop}{size} src="{src}"></video>'
            label = f'<p class="alt">{alt}</p>' if media.alt else ""
            return f"<figure>{player}{label}</figure>"
        if media.kind is MediaKind.AUDIO:
            return (
                f'<figure><audio controls preload="metadata" src="{src}"></audio>{caption}</figure>'
            )
        image = f'<img src="{src}" alt="{alt}" loading="lazy"{size}>'
        return f'<figure><a href="{src}">{image}</a>{caption}</figure>'

    def _footer(self, entry: Entry) -> str:
        post = entry.post
        links = []
        for tag in post_tags(post):
            href = self.tag_href(tag)
            if href:
                links.append(f'<a class="tag" href="{esc(href)}">#{esc(tag)}</a>')
        conversation = self.archive.conversation_of.get(entry.key)
        if conversation is not None:
            size = len(self.archive.conversations[conversation])
            links.append(
                f'<a href="{esc(self.post_href(entry))}#conversation">conversation ({size})</a>'
            )
        url = safe_url(post.ref.url)
        if url:
            name = PLATFORM_NAMES[post.ref.platform]
            links.append(
                f'<a class="original" href="{esc(url)}" rel="nofollow noopener noreferrer">'
                f"original on {esc(name)}</a>"
            )
        return f"<footer>{' · '.join(links)}</footer>" if links else ""


def _who(ref: PostRef) -> str:
    account = ref.account
    return account if account.startswith(("did:", "@")) or not account else f"@{account}"


def _link_card(card: LinkCard | None) -> str:
    if card is None:
        return ""
    url = safe_url(card.url)
    title = esc(card.title or card.url)
    description = f"<span>{esc(card.description)}</span>" if card.description else ""
    shown = f"<small>{esc(card.url)}</small>"
    if url is None:
        return f'<div class="card"><strong>{title}</strong>{description}{shown}</div>'
    return (
        f'<a class="card" href="{esc(url)}" rel="nofollow noopener noreferrer">'
        f"<strong>{title}</strong>{description}{shown}</a>"
    )
