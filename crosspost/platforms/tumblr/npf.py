"""Tumblr NPF facts shared by the reader and the writer: subtypes, limits and blog URLs.

NPF spec: https://github.com/tumblr/docs/blob/master/npf-spec.md

Offsets: NPF formatting ranges count Unicode code points, exactly like Python `str` indices,
so no conversion is needed at this edge (and none must be added). Evidence:
- npf-spec.md, "Inline Formatting within a Text Block": "Unicode code points are always treated
  as one character in this indexing ... `🌳` [is] counted as [a] single character ... `👨‍👨‍👦`
  is five characters, as it is made up of five code points".
- uwx/npf2html (a renderer of real API output), CHANGELOG 1.1.7 "Fix inline text rendering with
  UTF-16 surrogate pair characters such as emoji": it walks JS code units but counts code points,
  test "correctly indexes through wide characters" (`format 🌳 tree`, range 7..8 is the tree).
- mvdicarlo/postybirb#737: a JS client sending UTF-16 offsets gets errors from Tumblr for posts
  with emoji or hieroglyphs with formatting ("differences in character counting between js and
  php (tumblr backend)").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from crosspost.model import SpanKind

NPF_SPEC_URL = "https://github.com/tumblr/docs/blob/master/npf-spec.md"
NPF_TEXT_LIMIT = 4096  # code points per text block
MAX_INDENT_LEVEL = 7  # "up to the maximum of 7" (Text Block Subtype: List Item)

# Subtypes that become one block span; list items carry their kind and level in the value.
BLOCK_SUBTYPES: dict[str, tuple[SpanKind, str]] = {
    "heading1": (SpanKind.HEADING, "1"),
    "heading2": (SpanKind.HEADING, "2"),
    "quote": (SpanKind.QUOTE, ""),
    "indented": (SpanKind.INDENTED, ""),
    "chat": (SpanKind.CHAT, ""),
    "quirky": (SpanKind.QUIRKY, ""),
}
LIST_SUBTYPES: dict[str, str] = {
    "ordered-list-item": "ordered",
    "unordered-list-item": "unordered",
}
PLAIN_FORMATS: dict[str, SpanKind] = {
    "bold": SpanKind.BOLD,
    "italic": SpanKind.ITALIC,
    "strikethrough": SpanKind.STRIKE,
    "small": SpanKind.SMALL,
}

_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?", re.IGNORECASE)
_UUID = re.compile(r"t:[A-Za-z0-9_-]+")
# Hosts under tumblr.com that serve the platform itself, not a blog.
_NOT_BLOG_HOSTS = frozenset({"www", "api", "assets", "static", "media", "href", "at", "help"})
# Single-segment paths of www.tumblr.com that are pages, not blogs.
_NOT_BLOG_PATHS = frozenset(
    {
        "dashboard",
        "explore",
        "search",
        "tagged",
        "settings",
        "inbox",
        "likes",
        "following",
        "login",
        "register",
        "logout",
        "help",
        "about",
        "docs",
        "apps",
        "policy",
        "privacy",
        "new",
        "blog",
        "communities",
        "reblog",
        "post",
    }
)


def npf_text_length(block: Mapping[str, Any]) -> int:
    """The length Tumblr's 4096 limit counts: code points of the block's `text`."""
    text = block.get("text")
    return len(text) if isinstance(text, str) else 0


def blog_url(blog: object) -> str | None:
    """A profile URL for an NPF blog object: its `url`, else one built from `name` or `uuid`."""
    if not isinstance(blog, Mapping):
        return None
    url, name, uuid = blog.get("url"), blog.get("name"), blog.get("uuid")
    if isinstance(url, str) and url.strip():
        return url.strip()
    if isinstance(name, str) and _NAME.fullmatch(name):
        return f"https://{name.lower()}.tumblr.com/"
    if isinstance(uuid, str) and _UUID.fullmatch(uuid):
        # No documented web URL takes a UUID; www.tumblr.com/<identifier> is the closest form
        # (api.md "Blog Identifiers": name, hostname and UUID are interchangeable).
        return f"https://www.tumblr.com/{uuid}"
    return None


def blog_from_url(url: str) -> dict[str, str] | None:
    """The NPF blog object for a Tumblr blog's profile URL, or None for any other URL.

    Recognises https://NAME.tumblr.com/, https://www.tumblr.com/NAME (or /@NAME) and the UUID
    form `blog_url` builds. Custom domains cannot be recognised without asking Tumblr.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.query or parts.fragment:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if host.endswith(".tumblr.com") and not segments:
        name = host.removesuffix(".tumblr.com")
        if name not in _NOT_BLOG_HOSTS and _NAME.fullmatch(name):
            return {"name": name, "url": url}
        return None
    if host in ("tumblr.com", "www.tumblr.com") and len(segments) == 1:
        identifier = segments[0].removeprefix("@")
        if _UUID.fullmatch(identifier):
            return {"uuid": identifier, "url": url}
        if _NAME.fullmatch(identifier) and identifier.lower() not in _NOT_BLOG_PATHS:
            return {"name": identifier.lower(), "url": url}
    return None
