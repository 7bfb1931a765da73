"""How Mastodon counts and links text: the rules its registry entry gives the fitting engine.

https://docs.joinmastodon.org/user/posting/#text (500 characters, every URL counts 23) and
https://docs.joinmastodon.org/user/posting/#hashtags (`Tag::HASHTAG_NAME_RE`).
"""

from __future__ import annotations

import regex

from crosspost.model import TextRules, WeightedRun
from crosspost.platforms.mastodon.length import mastodon_entities, mastodon_length
from crosspost.platforms.mastodon.richtext_write import richtext_for_mastodon

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


def _count_chars(text: str, url_weight: int, content_warning: str) -> int:
    return mastodon_length(text, url_weight=url_weight or 23, content_warning=content_warning)


def _weighted_runs(text: str, url_weight: int) -> list[WeightedRun]:
    return mastodon_entities(text, url_weight=url_weight or 23)


TEXT_RULES = TextRules(
    name="Mastodon",
    count_chars=_count_chars,
    weighted_runs=_weighted_runs,
    counts_content_warning=True,
    render=richtext_for_mastodon,
    hashtag_ok=is_hashtag,
)
