"""The origin marker crosspost leaves in a Mastodon mirror, and reading it back.

https://docs.joinmastodon.org/methods/statuses/#create

Mastodon has no hidden metadata on a status, so a mirror ends with a visible paragraph
"Crossposted from <URL of the original>". Reading strips that paragraph from the text and sets
`Post.origin`, which is what stops two-way sync from looping and lets the ledger be rebuilt.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crosspost.model import Platform, PostRef, RichText, Span, SpanKind

MARKER_PREFIX = "Crossposted from"
SEPARATOR = "\n\n"

_BSKY_PATH = re.compile(r"^/profile/([^/]+)/post/([^/?#]+)/?$")
_TUMBLR_SUBDOMAIN_PATH = re.compile(r"^/post/(\d+)(?:/.*)?$")
_TUMBLR_WWW_PATH = re.compile(r"^/(?:blog/view/)?([a-z0-9-]+)/(\d+)(?:/.*)?$", re.IGNORECASE)
_MASTODON_PATH = re.compile(r"^/@([^/@]+)(?:@([^/]+))?/(\d+)/?$")
_MASTODON_STATUS_PATH = re.compile(r"^/users/([^/]+)/statuses/(\d+)/?$")


def marker_text(url: str) -> str:
    """The marker paragraph (without the separator before it)."""
    return f"{MARKER_PREFIX} {url}"


def marker_weight(url_weight: int) -> int:
    """Characters the marker and its separator cost on a server counting URLs as `url_weight`."""
    return len(SEPARATOR) + len(MARKER_PREFIX) + 1 + url_weight


def with_marker(rich: RichText, url: str) -> RichText:
    """The text with the marker paragraph appended; the marker URL gets a link span."""
    prefix = rich.text + SEPARATOR if rich.text else ""
    start = len(prefix) + len(MARKER_PREFIX) + 1
    text = prefix + marker_text(url)
    return RichText(text, (*rich.spans, Span(start, len(text), SpanKind.LINK, url)))


def split_marker(rich: RichText) -> tuple[RichText, str | None]:
    """The text without a trailing marker paragraph, and the marker's URL (None without one).

    The URL is taken from the link span covering the marker (Mastodon shortens the visible URL
    in its HTML) or, for plain text, from the visible text itself.
    """
    head, sep, last = rich.text.rpartition(SEPARATOR)
    last_start = len(head) + len(sep)
    stripped = last.rstrip()
    if not stripped.startswith(MARKER_PREFIX + " "):
        return rich, None
    url_start = last_start + len(MARKER_PREFIX) + 1
    url_end = last_start + len(stripped)
    url = next(
        (s.value for s in rich.spans if s.kind is SpanKind.LINK and s.start <= url_start < s.end),
        rich.text[url_start:url_end],
    )
    if not url.startswith(("http://", "https://")) or " " in rich.text[url_start:url_end]:
        return rich, None
    spans = tuple(s for s in rich.spans if s.end <= len(head))
    return RichText(head, spans), url


def origin_from_url(url: str) -> PostRef | None:
    """The post a marker URL names, for the URL shapes the three platforms use for a post."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path
    if host in ("bsky.app", "staging.bsky.app") and (match := _BSKY_PATH.match(path)):
        actor, rkey = match.groups()
        return PostRef(Platform.BLUESKY, actor, f"at://{actor}/app.bsky.feed.post/{rkey}", url)
    if host.endswith(".tumblr.com") and host != "www.tumblr.com":
        if match := _TUMBLR_SUBDOMAIN_PATH.match(path):
            return PostRef(Platform.TUMBLR, host.removesuffix(".tumblr.com"), match[1], url)
        return None
    if host == "www.tumblr.com":
        if match := _TUMBLR_WWW_PATH.match(path):
            return PostRef(Platform.TUMBLR, match[1].lower(), match[2], url)
        return None
    if match := _MASTODON_PATH.match(path):
        user, domain, status_id = match.groups()
        return PostRef(Platform.MASTODON, f"{user}@{domain or host}", status_id, url)
    if match := _MASTODON_STATUS_PATH.match(path):
        return PostRef(Platform.MASTODON, f"{match[1]}@{host}", match[2], url)
    return None
