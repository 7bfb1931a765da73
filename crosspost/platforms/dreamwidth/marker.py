"""The origin marker a Dreamwidth mirror carries in its `import_source` prop, written and read.

`import_source` is a free "String describing where this entry was imported from"
(bin/upgrading/proplists.dat, ownership user); Dreamwidth's own importer writes
"<host>/<user>/<ditemid>" there (DW/Worker/ContentImporter/LiveJournal/Entries.pm), so a
crosspost marker is told apart by its "#crosspost-" fragment. postevent trims every prop to
100 characters (LJ::CMAX_PROP, Protocol.pm's common_event_validation): a source URL that does
not fit with its fragment is left out, keeping the fragment, which is what finds a retry.
Dreamwidth has no idempotency key and returns the last entry instead of a duplicate, so the
fragment (derived from the draft's idempotency key, as Tumblr's marker does) is what tells an
earlier attempt at this draft.
Note: the site's "erase imported content" removes entries with an `import_source`, mirrors too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crosspost.model import Platform, PostRef
from crosspost.platforms.base import Draft, stable_digest

PROP = "import_source"
FRAGMENT_PREFIX = "crosspost-"
MAX_PROP_CHARS = 100  # LJ::CMAX_PROP
_BLUESKY = re.compile(r"^/profile/([^/]+)/post/([a-z0-9]+)/?$", re.IGNORECASE)
_MASTODON = re.compile(r"^/@([A-Za-z0-9_.-]+)/([0-9]+)/?$")
_TUMBLR = re.compile(r"^/post/([0-9]+)(?:/[^/]*)?/?$")
_TUMBLR_WWW = re.compile(r"^/@?([a-z0-9-]+)/([0-9]+)(?:/[^/]*)?/?$", re.IGNORECASE)
_DREAMWIDTH = re.compile(r"^/([0-9]+)\.html$")


def marker_fragment(idempotency_key: str) -> str:
    return FRAGMENT_PREFIX + stable_digest(idempotency_key, 8)


def marker_props(origin: PostRef | None, idempotency_key: str) -> dict[str, str]:
    """The props a mirror carries: `import_source` = the source URL + "#crosspost-<digest>"."""
    fragment = "#" + marker_fragment(idempotency_key)
    url = origin.url if origin is not None and origin.url else ""
    if url:
        url = urlunsplit(urlsplit(url)._replace(fragment=""))
    value = url + fragment if len(url + fragment) <= MAX_PROP_CHARS else fragment
    return {PROP: value}


def _source(native: Mapping[str, Any]) -> str:
    props = native.get("props")
    value = props.get(PROP) if isinstance(props, Mapping) else None
    return value if isinstance(value, str) else ""


def marker_key(native: Mapping[str, Any]) -> str | None:
    """The "crosspost-<digest>" fragment an entry's marker carries, if it is a mirror's."""
    _, _, fragment = _source(native).partition("#")
    return fragment if fragment.startswith(FRAGMENT_PREFIX) else None


def matches(native: Mapping[str, Any], draft: Draft) -> bool:
    """Whether an entry is the mirror an earlier attempt at this draft left."""
    return marker_key(native) == marker_fragment(draft.idempotency_key)


def origin_of(native: Mapping[str, Any]) -> PostRef | None:
    """The source post a mirror's marker names; None for an entry no crosspost made (such as
    one Dreamwidth's own importer brought over) or a marker without its URL."""
    source = _source(native)
    if marker_key(native) is None or not source.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(source)
    except ValueError:
        return None
    url = urlunsplit(parts._replace(fragment=""))
    host = (parts.hostname or "").lower()
    return _ref(host, parts.path, url)


def _ref(host: str, path: str, url: str) -> PostRef | None:
    if host == "bsky.app" and (match := _BLUESKY.match(path)):
        actor, rkey = match.groups()
        return PostRef(Platform.BLUESKY, actor, f"at://{actor}/app.bsky.feed.post/{rkey}", url)
    if host.endswith(".dreamwidth.org") and (match := _DREAMWIDTH.match(path)):
        journal = host.removesuffix(".dreamwidth.org").replace("-", "_")
        return PostRef(Platform.DREAMWIDTH, journal, match.group(1), url)
    if host in ("www.tumblr.com", "tumblr.com"):
        if match := _TUMBLR_WWW.match(path):
            return PostRef(Platform.TUMBLR, match.group(1).lower(), match.group(2), url)
        return None
    if host.endswith(".tumblr.com") and (match := _TUMBLR.match(path)):
        return PostRef(Platform.TUMBLR, host.removesuffix(".tumblr.com"), match.group(1), url)
    if host and (match := _MASTODON.match(path)):
        user, status = match.groups()
        return PostRef(Platform.MASTODON, f"{user}@{host}", status, url)
    return None
