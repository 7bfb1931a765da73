"""URL and handle helpers shared by the Mastodon readers and writers.

https://docs.joinmastodon.org/entities/Status/
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://(www\.)?", re.IGNORECASE)
_ELLIPSIS = ("…", "...")
# Profile URL paths of Mastodon (/@user, and /@user@domain for a remote account seen locally),
# Pleroma/Akkoma/GoToSocial (/users/user, /@user) and Misskey-likes (/@user).
_PROFILE_PATH = re.compile(r"^/(?:@|users/|u/)([^/?#]+)/?$")
_USERNAME = re.compile(r"^[\w.-]+(?:@[\w.-]+)?$")
# Mastodon's hashtag rule: word characters, middle dots and dashes, with at least one letter.
_TAG_CHARS = re.compile(r"^[\w·-]+$")


def is_http_url(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def is_link_url(url: str, *, mailto: bool = False) -> bool:
    """Whether a URL may become a link on a target: http(s) only, and `mailto:` where the
    target takes it. Anything else (`javascript:`, `data:`, ...) stays text."""
    if any(char.isspace() or ord(char) < 32 for char in url):
        return False
    lowered = url.lower()
    if lowered.startswith(("http://", "https://")):
        return bool(url.split("://", 1)[1])
    return mailto and lowered.startswith("mailto:") and "@" in url


def _bare(url: str) -> str:
    return _SCHEME.sub("", url, count=1)


def is_url_display(display: str, url: str) -> bool:
    """True when `display` is `url` shown shortened: without its scheme or "www.", cut short,
    maybe ending in an ellipsis. Such text is written out in full, so the URL survives."""
    shown = display.strip()
    for mark in _ELLIPSIS:
        shown = shown.removesuffix(mark)
    shown, full = _bare(shown), _bare(url)
    if not shown or not full.startswith(shown):
        return False
    host = full.split("/", 1)[0]
    return len(shown) >= len(host) and "." in host


def mention_handle(url: str) -> str | None:
    """The fediverse handle "@user@host" of a profile URL, or None when the URL is not one."""
    if not is_http_url(url):
        return None
    parts = urlsplit(url)
    match = _PROFILE_PATH.match(parts.path)
    host = parts.hostname
    if not match or not host:
        return None
    user = match.group(1)
    if not _USERNAME.match(user):
        return None
    return f"@{user}" if "@" in user else f"@{user}@{host}"


def is_hashtag_name(name: str) -> bool:
    return bool(_TAG_CHARS.match(name)) and any(char.isalpha() for char in name)
