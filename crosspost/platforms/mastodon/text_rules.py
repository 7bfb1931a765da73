"""How Mastodon counts and links text: the rules its registry entry gives the fitting engine.

https://docs.joinmastodon.org/user/posting/#text (500 characters, every URL counts 23) and
https://docs.joinmastodon.org/user/posting/#hashtags (`Tag::HASHTAG_NAME_RE`).
"""

from __future__ import annotations

from collections.abc import Sequence

from crosspost.model import RichText, TextRules, WeightedRun

# The rules' functions import their modules on first call: the registry holds these rules, and
# looking a platform up must not compile Mastodon's URL and mention patterns.


def is_hashtag(name: str) -> bool:
    """Whether `#name` is one whole Mastodon hashtag."""
    from crosspost.platforms.mastodon.hashtags import is_hashtag as check

    return check(name)


def _count_chars(text: str, url_weight: int, content_warning: str) -> int:
    from crosspost.platforms.mastodon.length import mastodon_length

    return mastodon_length(text, url_weight=url_weight or 23, content_warning=content_warning)


def _weighted_runs(text: str, url_weight: int) -> Sequence[WeightedRun]:
    from crosspost.platforms.mastodon.length import mastodon_entities

    return mastodon_entities(text, url_weight=url_weight or 23)


def _plain_text(rich: RichText) -> RichText:
    from crosspost.platforms.mastodon.richtext_write import richtext_for_mastodon

    return richtext_for_mastodon(rich)


TEXT_RULES = TextRules(
    name="Mastodon",
    count_chars=_count_chars,
    weighted_runs=_weighted_runs,
    counts_content_warning=True,
    render=_plain_text,
    hashtag_ok=is_hashtag,
)


def _code_points(text: str, url_weight: int, content_warning: str) -> int:
    return len(text)


# Pixelfed checks a status with Laravel's `max:` rule, which counts code points (mb_strlen):
# a URL counts whole, and the content warning has a limit of its own (ApiV1Controller).
PIXELFED_TEXT_RULES = TextRules(
    name="Pixelfed",
    count_chars=_code_points,
    render=_plain_text,
    hashtag_ok=is_hashtag,
)
