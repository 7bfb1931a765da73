"""The allowlist sanitiser (nh3), URL checks and safe names: how post text reaches a page.

Post text is rendered by `html_from_richtext` (which escapes every character of it) and then
passes nh3 with a small allowlist, so even a bug in the renderer cannot let a tag, a handler or
a `javascript:` URL through. Every other string (titles, alt text, tags, link cards) is escaped
by the page templates, which autoescape (`render.py`). URLs become links only when they are
http(s) or mailto.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from urllib.parse import quote, unquote, urlsplit

import nh3

from crosspost.model import RichText
from crosspost.text.html_write import html_from_richtext

_TAGS = {"p", "br", "a", "span", "strong", "em", "del", "small", "code"}
_TAGS |= {"h1", "h2", "blockquote", "ul", "ol", "li"}
_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}}
_CLASSES = {"a": {"mention", "hashtag", "u-url"}, "span": {"h-card"}}
_SCHEMES = {"http", "https", "mailto"}
_LINK_REL = "nofollow noopener noreferrer"
_SLUG = re.compile(r"[^a-z0-9]+")
_BREAKS = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)


def safe_url(url: str | None) -> str | None:
    """The URL when it is http(s) or mailto (a link to the original), else None."""
    if not url:
        return None
    url = url.strip()
    # Nearly every URL of a backup is plain ASCII http(s) without brackets: urlsplit could not
    # raise on one (only brackets and non-ASCII hosts do) nor read another scheme from it, and
    # it is a tenth of building a card.
    if (
        url.startswith(("https://", "http://"))
        and url.isascii()
        and "[" not in url
        and "]" not in url
    ):
        return url
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in _SCHEMES else None


def tag_slug(tag: str) -> str:
    """A file name for a tag page: ASCII letters, digits and dashes, one per case-folded tag."""
    folded = tag.casefold()
    slug = _SLUG.sub("-", folded).strip("-")[:60]
    if slug != folded or not slug:
        digest = hashlib.sha256(folded.encode()).hexdigest()[:8]
        slug = f"{slug}-{digest}" if slug else digest
    return slug


def tag_key(tag: str) -> str:
    """Tags that differ only in case share a page."""
    return tag.casefold()


def profile_url(mention: str) -> str | None:
    """Where a mention points: a Bluesky DID opens its profile, URLs stay as they are."""
    if mention.startswith("did:"):
        return "https://bsky.app/profile/" + quote(mention, safe=":")
    return safe_url(mention)


Sanitise = Callable[[str], str]  # HTML in, allowlisted HTML out


def sanitiser(tag_href: Callable[[str], str | None]) -> Sanitise:
    """nh3 set up with the allowlist, once: setting it up is two fifths of cleaning a post's
    text, so a render makes one per depth of page. `tag_href(tag)` gives the local page of a
    tag link ("/tags/x")."""

    def attribute(element: str, name: str, value: str) -> str | None:
        if element != "a" or name != "href":
            return value
        if value.startswith("/tags/"):
            return tag_href(unquote(value.removeprefix("/tags/")))
        return profile_url(value)

    cleaner = nh3.Cleaner(
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=attribute,
        allowed_classes=_CLASSES,
        url_schemes=_SCHEMES | {"did"},  # rewritten to a profile URL by the filter
        link_rel=_LINK_REL,
        strip_comments=True,
    )
    return cleaner.clean


def plain_text(html_text: str) -> str:
    """HTML a platform wrote, as the words it shows (for saying what changed)."""
    if "<" not in html_text and "&" not in html_text:
        return html_text
    broken = _BREAKS.sub("\n", html_text)
    return html.unescape(nh3.clean(broken, tags=set())).strip()


def body_html(source: RichText | str, sanitise: Sanitise) -> str:
    """A post's text as sanitised HTML: paragraphs, lists, quotes, links, local tag links. A
    string is HTML a platform wrote (a Mastodon bio or profile field, a Tumblr description):
    it passes the same allowlist, so its scripts, styles, images and handlers are dropped."""
    if isinstance(source, str):
        return sanitise(source) if source.strip() else ""
    if not source.text.strip():
        return ""
    return sanitise(html_from_richtext(source, anchors=True))
