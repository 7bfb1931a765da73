"""Mastodon rich text: status HTML to RichText, and RichText to what a server accepts.

https://docs.joinmastodon.org/entities/Status/

Reading is `richtext_from_html` (mastodon_read). Writing is `richtext_for_mastodon` (plain text
for Mastodon itself, mastodon_write) and `markdown_from_richtext` / `html_from_richtext` for
servers that take a `content_type` (mastodon_markup).
"""

from __future__ import annotations

from crosspost.text.mastodon_markup import html_from_richtext, markdown_from_richtext
from crosspost.text.mastodon_read import richtext_from_html
from crosspost.text.mastodon_urls import is_url_display, mention_handle
from crosspost.text.mastodon_write import richtext_for_mastodon

__all__ = [
    "html_from_richtext",
    "is_url_display",
    "markdown_from_richtext",
    "mention_handle",
    "richtext_for_mastodon",
    "richtext_from_html",
]
