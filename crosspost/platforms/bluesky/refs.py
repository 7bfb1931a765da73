"""Small helpers shared by the Bluesky converters: at:// URIs, blob refs, dates, labels.

https://atproto.com/specs/at-uri-scheme and https://atproto.com/specs/data-model#blob-type
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from crosspost.model import Platform, PostRef

POST_COLLECTION = "app.bsky.feed.post"
REPOST_COLLECTION = "app.bsky.feed.repost"
APP_URL = "https://bsky.app"
CDN_URL = "https://cdn.bsky.app/img/feed_fullsize/plain"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_AT_URI = re.compile(r"^at://([^/]+)(?:/([^/]+)(?:/([^/?#]+))?)?")
# A post page on bsky.app (or a bridge's copy of one), and an at:// post URI inside a URL, as
# Bridgy Fed writes the ActivityPub ids of the Bluesky posts it bridges
# (https://bsky.brid.gy/convert/ap/at://did:plc:.../app.bsky.feed.post/...; its older
# fed.brid.gy/r/<url> redirects wrap the post's own URL).
_APP_POST = re.compile(r"^https?://(?:www\.)?bsky\.app/profile/([^/?#]+)/post/([^/?#]+)")
_INNER_AT = re.compile(r"at://[^/?#]+/app\.bsky\.feed\.post/[^/?#]+")
_WRAPPED = re.compile(r"^https?://[^/]*brid\.gy/r/(https?://.+)$")

# Bluesky self-labels (https://docs.bsky.app/docs/advanced-guides/moderation#self-labels), with the
# words a reader sees for each; "nsfw" and "gore" are older spellings still found in records.
SELF_LABELS: Mapping[str, str] = {
    "porn": "Adult content",
    "sexual": "Sexually suggestive",
    "nudity": "Nudity",
    "graphic-media": "Graphic media",
    "nsfw": "Adult content",
    "gore": "Graphic media",
    "!no-unauthenticated": "",
}


def split_uri(uri: str) -> tuple[str, str, str]:
    """(authority, collection, rkey) of an at:// URI; missing parts are empty."""
    match = _AT_URI.match(uri)
    if match is None:
        return "", "", ""
    return match.group(1), match.group(2) or "", match.group(3) or ""


def web_url(uri: str) -> str | None:
    """The bsky.app page of a post URI."""
    authority, collection, rkey = split_uri(uri)
    if collection != POST_COLLECTION or not rkey:
        return None
    return f"{APP_URL}/profile/{authority}/post/{rkey}"


def ref_from_url(url: str) -> PostRef | None:
    """The Bluesky post a web URL names: a bsky.app post page, or a bridge's URL wrapping one or
    carrying its at:// URI (Bridgy Fed). Its CID is not in the URL: publishing fetches it."""
    url = unquote(url.strip())
    wrapped = _WRAPPED.match(url)
    if wrapped:
        return ref_from_url(wrapped.group(1))
    page = _APP_POST.match(url)
    if page:
        uri = f"at://{page.group(1)}/{POST_COLLECTION}/{page.group(2)}"
    else:
        inner = _INNER_AT.search(url)
        if inner is None:
            return None
        uri = inner.group(0)
    authority = split_uri(uri)[0]
    return PostRef(Platform.BLUESKY, authority, uri, web_url(uri))


def ref_for(uri: str, cid: str | None, *, account: str, own: str | None) -> PostRef:
    """A PostRef for a post URI; posts of the account itself (authority `own`) get `account`."""
    authority = split_uri(uri)[0]
    name = account if own is None or authority == own else authority
    return PostRef(Platform.BLUESKY, name, uri, web_url(uri), cid)


def parse_time(value: object) -> datetime | None:
    """An atproto datetime (RFC 3339, any fraction length) as aware UTC, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())  # 3.11 reads any fraction length
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # The spec asks for an offset, but early clients wrote none; the app reads them as UTC.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """A datetime as atproto writes it: UTC, milliseconds, `Z`."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def blob_cid(blob: object) -> str | None:
    """The CID of a blob ref (the current `{"ref": {"$link": ...}}` form or the legacy `cid`)."""
    if not isinstance(blob, Mapping):
        return None
    ref = blob.get("ref")
    if isinstance(ref, Mapping) and isinstance(ref.get("$link"), str):
        return str(ref["$link"])
    if isinstance(ref, str):
        return ref
    legacy = blob.get("cid")
    return legacy if isinstance(legacy, str) else None


def blob_url(did: str, cid: str, service: str | None) -> str:
    """Where a blob is fetched: the PDS's sync.getBlob when it is known, else Bluesky's CDN."""
    if service:
        query = f"did={quote(did, safe=':')}&cid={quote(cid)}"
        return f"{service.rstrip('/')}/xrpc/com.atproto.sync.getBlob?{query}"
    return f"{CDN_URL}/{did}/{cid}@jpeg"


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def strong_ref(value: object) -> tuple[str, str | None] | None:
    """(uri, cid) of a com.atproto.repo.strongRef, or None."""
    data = mapping(value)
    uri = data.get("uri")
    if not isinstance(uri, str) or not uri:
        return None
    cid = data.get("cid")
    return uri, cid if isinstance(cid, str) else None
