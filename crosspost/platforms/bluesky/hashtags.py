"""Which words are whole Bluesky hashtags: tag facets and the post's `tags` field take at most 64
graphemes and 640 bytes, not only digits, and the app cuts trailing punctuation off.

https://docs.bsky.app/docs/advanced-guides/post-richtext#rich-text-facets
"""

from __future__ import annotations

import regex

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
