"""How Bluesky counts and links text: the rules its registry entry gives the fitting engine.

https://docs.bsky.app/docs/advanced-guides/post-richtext (300 graphemes and 3000 bytes; links
shown shortened while the facet keeps the URL; tag facets and the post's `tags` field: at most
64 graphemes and 640 bytes, not only digits) and
https://docs.bsky.app/docs/tutorials/creating-a-post (4 images or 1 video; no audio).
"""

from __future__ import annotations

import regex

from crosspost.model import RichText, TextRules
from crosspost.platforms.bluesky.richtext import shorten_links_for_display
from crosspost.text.count import grapheme_count, utf8_length

# Bluesky's tag detection needs one character that is neither a digit, a space nor punctuation.
_TAG_NAME = regex.compile(r"[^\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]*[^\d\s\p{P}]")
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}$")
TAG_GRAPHEMES = 64
TAG_BYTES = 640


def is_hashtag(name: str) -> bool:
    """Whether `#name` is one whole Bluesky tag (trailing punctuation would be cut off)."""
    return (
        grapheme_count(name) <= TAG_GRAPHEMES
        and utf8_length(name) <= TAG_BYTES
        and _TAG_NAME.match(name) is not None
        and _TRAILING_PUNCTUATION.search(name) is None
    )


def _shorten(rich: RichText, max_chars: int) -> RichText:
    return shorten_links_for_display(rich, max_chars=max_chars)


TEXT_RULES = TextRules(
    name="Bluesky",
    video_alone=True,
    takes_audio=False,
    shorten_links=_shorten,
    hashtag_ok=is_hashtag,
)
