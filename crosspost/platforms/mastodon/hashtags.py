"""Which words are whole Mastodon hashtags: the server's `Tag::HASHTAG_NAME_RE`.

https://docs.joinmastodon.org/user/posting/#hashtags
"""

from __future__ import annotations

import regex

_W = r"\p{L}\p{M}\p{Nd}\p{Pc}"
_SEPARATORS = "_\u00b7\u30fb\u200c"
# Mastodon's `Tag::HASHTAG_NAME_RE`: a first sequence that may hold separators, or a plain word
# with at least one letter.
_HASHTAG_NAME = regex.compile(
    rf"(?:[{_W}_][{_W}{_SEPARATORS}]*[\p{{Alphabetic}}{_SEPARATORS}][{_W}{_SEPARATORS}]*[{_W}_]"
    rf"|[{_W}_]*\p{{Alphabetic}}[{_W}_]*)",
    regex.IGNORECASE,
)


def is_hashtag(name: str) -> bool:
    """Whether `#name` is one whole Mastodon hashtag."""
    return _HASHTAG_NAME.fullmatch(name) is not None
