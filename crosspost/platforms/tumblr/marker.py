"""The origin marker a Tumblr mirror carries in `source_url`, written and read back.

API docs: https://github.com/tumblr/docs/blob/master/api.md#posts---createreblog-a-post-neue-post-format

Tumblr has no idempotency key, so the marker does two jobs: it names the source post (so the ledger
can be rebuilt and two-way sync never loops) and, through a fragment derived from the draft's
idempotency key, it tells apart the chunks of one source post when looking for an earlier attempt.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from crosspost.model import Platform, PostRef
from crosspost.platforms.base import stable_digest

FRAGMENT_PREFIX = "crosspost-"
_BLUESKY = re.compile(r"^/profile/([^/]+)/post/([a-z0-9]+)/?$", re.IGNORECASE)
_MASTODON = re.compile(r"^/@([A-Za-z0-9_.-]+)/([0-9]+)/?$")
_TUMBLR_SUBDOMAIN = re.compile(r"^/post/([0-9]+)(?:/[^/]*)?/?$")
_TUMBLR_WWW = re.compile(r"^/@?([a-z0-9-]+)/([0-9]+)(?:/[^/]*)?/?$", re.IGNORECASE)


def marker_fragment(idempotency_key: str) -> str:
    return FRAGMENT_PREFIX + stable_digest(idempotency_key, 8)


def marker_url(origin: PostRef | None, idempotency_key: str) -> str | None:
    """`source_url` for a mirror: the source post's URL with a fragment naming this publish."""
    if origin is None or not origin.url:
        return None
    parts = urlsplit(origin.url)
    return urlunsplit(parts._replace(fragment=marker_fragment(idempotency_key)))


def origin_from_source_url(source_url: object) -> PostRef | None:
    """The source post a mirror names, or None for an ordinary source link.

    A URL with the crosspost fragment is always a marker; without it (older mirrors, or a marker
    whose fragment a server dropped) only Bluesky and Mastodon post URLs count, because Tumblr
    fills `source_url` of ordinary reblogs and quotes with Tumblr post URLs.
    """
    if not isinstance(source_url, str) or not source_url.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(source_url)
    except ValueError:
        return None
    marked = parts.fragment.startswith(FRAGMENT_PREFIX)
    url = urlunsplit(parts._replace(fragment=""))
    host = (parts.hostname or "").lower()
    ref = _bluesky(host, parts.path, url) or _mastodon(host, parts.path, url)
    if ref is None and marked:
        ref = _tumblr(host, parts.path, url)
    return ref


def _bluesky(host: str, path: str, url: str) -> PostRef | None:
    match = _BLUESKY.match(path) if host == "bsky.app" else None
    if match is None:
        return None
    actor, rkey = match.groups()
    return PostRef(Platform.BLUESKY, actor, f"at://{actor}/app.bsky.feed.post/{rkey}", url)


def _mastodon(host: str, path: str, url: str) -> PostRef | None:
    match = _MASTODON.match(path)
    if match is None or not host or host.endswith("tumblr.com"):
        return None
    user, status = match.groups()
    return PostRef(Platform.MASTODON, f"{user}@{host}", status, url)


def _tumblr(host: str, path: str, url: str) -> PostRef | None:
    if host in ("www.tumblr.com", "tumblr.com"):
        match = _TUMBLR_WWW.match(path)
        if match:
            return PostRef(Platform.TUMBLR, match.group(1).lower(), match.group(2), url)
        return None
    match = _TUMBLR_SUBDOMAIN.match(path)
    if match is None:
        return None
    blog = host.removesuffix(".tumblr.com")
    return PostRef(Platform.TUMBLR, blog, match.group(1), url)
