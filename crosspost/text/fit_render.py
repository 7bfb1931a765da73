"""Rendering a text for the target before it is counted and cut, and joining rich texts.

Mastodon counts the plain text it is sent (https://docs.joinmastodon.org/methods/statuses/#create);
Bluesky shows links shortened while the facet keeps the whole URL
(https://docs.bsky.app/docs/advanced-guides/post-richtext).
"""

from __future__ import annotations

from crosspost.model import Limits, Platform, RichText, Span
from crosspost.text.bluesky import shorten_links_for_display
from crosspost.text.mastodon import richtext_for_mastodon


def render_for_target(rich: RichText, limits: Limits, link_display_chars: int = 30) -> RichText:
    """The text as the target gets it: Mastodon's plain text (URLs kept whole: each weighs
    the same whatever its length), Bluesky's links shortened for display."""
    if limits.platform is Platform.MASTODON:
        return richtext_for_mastodon(rich)
    return shorten_for_display(rich, limits, link_display_chars)


def shorten_for_display(rich: RichText, limits: Limits, max_chars: int = 30) -> RichText:
    if limits.platform is not Platform.BLUESKY:
        return rich
    return shorten_links_for_display(rich, max_chars=max_chars)


def join(first: RichText, second: RichText, separator: str) -> RichText:
    """`first`, `separator`, `second`, with the spans of both kept on their characters."""
    if not second.text and not second.spans:
        return first
    shift = len(first.text) + len(separator)
    moved = tuple(Span(s.start + shift, s.end + shift, s.kind, s.value) for s in second.spans)
    return RichText(first.text + separator + second.text, first.spans + moved)
