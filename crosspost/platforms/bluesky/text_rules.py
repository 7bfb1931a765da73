"""How Bluesky counts and links text: the rules its registry entry gives the fitting engine.

https://docs.bsky.app/docs/advanced-guides/post-richtext (300 graphemes and 3000 bytes; links
shown shortened while the facet keeps the URL; tag facets and the post's `tags` field: at most
64 graphemes and 640 bytes, not only digits) and
https://docs.bsky.app/docs/tutorials/creating-a-post (4 images or 1 video; no audio).
"""

from __future__ import annotations

from crosspost.model import RichText, TextRules

# The rules' functions import their modules on first call: the registry holds these rules, and
# looking a platform up must not compile regular expressions or load the TLD list.


def is_hashtag(name: str) -> bool:
    """Whether `#name` is one whole Bluesky tag (trailing punctuation would be cut off)."""
    from crosspost.platforms.bluesky.hashtags import is_hashtag as check

    return check(name)


def _shorten(rich: RichText, max_chars: int) -> RichText:
    from crosspost.platforms.bluesky.richtext import shorten_links_for_display

    return shorten_links_for_display(rich, max_chars=max_chars)


TEXT_RULES = TextRules(
    name="Bluesky",
    video_alone=True,
    content_warning_in_text=True,  # self-labels hide media only
    takes_audio=False,
    shorten_links=_shorten,
    hashtag_ok=is_hashtag,
)
