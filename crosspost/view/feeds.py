"""Atom feeds (RFC 4287, https://www.rfc-editor.org/rfc/rfc4287) for the public site.

Atom's ids and links are IRIs and must be absolute, so a feed is only made when the site's
address is known (`crosspost site --url`). Every id is the address of a page (the feed's own
address for the feed), which stays the same across renders; `updated` is the newest entry's
date, never the render's, so an unchanged feed is the same bytes and is not rewritten.

The document is built with ElementTree, which escapes text and attributes; an entry's content
is the post's HTML card (sanitised post text, escaped rest) carried as `type="html"`, that is
escaped once more as XML text. Characters XML 1.0 cannot hold (most C0 controls) are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

ATOM = "http://www.w3.org/2005/Atom"
GENERATOR = "crosspost"
# Not in XML 1.0's Char production: C0 controls but tab, LF and CR; surrogates; U+FFFE/FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Author(NamedTuple):
    name: str
    uri: str | None = None


class FeedEntry(NamedTuple):
    id: str  # absolute: the post's page on the site
    title: str
    url: str  # link rel=alternate: the same page
    published: datetime
    updated: datetime
    html: str  # the post as HTML, absolute links inside
    author: Author
    categories: tuple[str, ...] = ()


class Feed(NamedTuple):
    id: str  # absolute: the feed's own address
    title: str
    self_url: str
    page_url: str  # the HTML page the feed follows (the index, a tag's page, an account's)
    entries: Sequence[FeedEntry]  # newest first
    subtitle: str = ""


def atom(feed: Feed) -> str:
    """The feed as an Atom document (UTF-8, with its XML declaration)."""
    root = ET.Element("feed", {"xmlns": ATOM})  # plain names, in the default namespace
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    if feed.subtitle:
        _text(root, "subtitle", feed.subtitle)
    newest = max(
        (entry.updated for entry in feed.entries), default=datetime(1970, 1, 1, tzinfo=UTC)
    )
    _text(root, "updated", _date(newest))
    _link(root, "self", feed.self_url, "application/atom+xml")
    _link(root, "alternate", feed.page_url, "text/html")
    _text(root, "generator", GENERATOR)
    for entry in feed.entries:
        _entry(root, entry)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'


def _entry(root: ET.Element, item: FeedEntry) -> None:
    entry = ET.SubElement(root, "entry")
    _text(entry, "id", item.id)
    _text(entry, "title", item.title)
    _text(entry, "published", _date(item.published))
    _text(entry, "updated", _date(item.updated))
    _link(entry, "alternate", item.url, "text/html")
    author = ET.SubElement(entry, "author")
    _text(author, "name", item.author.name or "unknown")
    if item.author.uri:
        _text(author, "uri", item.author.uri)
    for term in item.categories:
        ET.SubElement(entry, "category", {"term": _clean(term)})
    content = _text(entry, "content", item.html)
    content.set("type", "html")


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, name)
    element.text = _clean(value)
    return element


def _link(parent: ET.Element, rel: str, href: str, kind: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": kind, "href": _clean(href)})


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _date(when: datetime) -> str:
    """RFC 3339, in UTC, to the second."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
