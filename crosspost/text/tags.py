"""Spelling tags as hashtags a target accepts (Tumblr tags may hold spaces and punctuation).

Mastodon: https://docs.joinmastodon.org/user/posting/#hashtags (`Tag::HASHTAG_NAME_RE`).
Bluesky: https://docs.bsky.app/docs/advanced-guides/post-richtext#rich-text-facets
(tag facets and the post's `tags` field: at most 64 graphemes and 640 bytes, not only digits).
Tumblr: https://www.tumblr.com/docs/npf (tags are free text beside the content).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

from crosspost.model import Platform, TagStyle
from crosspost.text.count import grapheme_count, utf8_length

# Ruby's [[:word:]] (letters, marks, decimal digits, connector punctuation); our words leave
# out connector punctuation so that a snake_case separator is always our own "_".
_WORD_PART = regex.compile(r"[\p{L}\p{M}\p{Nd}]+")
_W = r"\p{L}\p{M}\p{Nd}\p{Pc}"
_SEPARATORS = "_\u00b7\u30fb\u200c"
# Mastodon's `Tag::HASHTAG_NAME_RE`: a first sequence that may hold separators, or a plain word
# with at least one letter.
_MASTODON_NAME = regex.compile(
    rf"(?:[{_W}_][{_W}{_SEPARATORS}]*[\p{{Alphabetic}}{_SEPARATORS}][{_W}{_SEPARATORS}]*[{_W}_]"
    rf"|[{_W}_]*\p{{Alphabetic}}[{_W}_]*)",
    regex.IGNORECASE,
)
# Bluesky's tag detection needs one character that is neither a digit, a space nor punctuation.
_BLUESKY_NAME = regex.compile(r"[^\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]*[^\d\s\p{P}]")
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}$")
BLUESKY_TAG_GRAPHEMES = 64
BLUESKY_TAG_BYTES = 640


@dataclass(frozen=True, slots=True)
class RenderedTags:
    """Tag names ready for a target (without "#"), in the author's order, and the tags that could
    not become one, as the author wrote them."""

    names: tuple[str, ...]
    dropped: tuple[str, ...]

    def hashtags(self) -> tuple[str, ...]:
        return tuple("#" + name for name in self.names)


def tag_name(tag: str, style: TagStyle = TagStyle.CAMEL) -> str:
    """A tag as one hashtag word: punctuation and spaces go, words join per `style`.

    A tag of a single word keeps the author's spelling ("wip!!" -> "wip", "iPhone" -> "iPhone");
    CamelCase capitalises the first letter of each word of a longer tag and leaves the rest.
    """
    words = _WORD_PART.findall(tag)
    if style is TagStyle.LOWER:
        return "".join(words).lower()
    if style is TagStyle.SNAKE:
        return "_".join(words).lower()
    if len(words) == 1:
        return str(words[0])
    return "".join(word[:1].upper() + word[1:] for word in words)


def is_valid_hashtag(name: str, platform: Platform) -> bool:
    """Whether `#name` is a hashtag `platform` recognises as one whole tag."""
    if not name or any(char.isspace() for char in name):
        return False
    if platform is Platform.MASTODON:
        return _MASTODON_NAME.fullmatch(name) is not None
    if platform is Platform.BLUESKY:
        return (
            grapheme_count(name) <= BLUESKY_TAG_GRAPHEMES
            and utf8_length(name) <= BLUESKY_TAG_BYTES
            and _BLUESKY_NAME.match(name) is not None
            and _TRAILING_PUNCTUATION.search(name) is None  # Bluesky would cut it off
        )
    return True


def render_tags(
    tags: Iterable[str], platform: Platform, style: TagStyle = TagStyle.CAMEL
) -> RenderedTags:
    """Tags as names `platform` accepts, duplicates (ignoring case) removed.

    Tumblr takes tags as written, in its own tags field; Bluesky and Mastodon get hashtag words.
    """
    names: list[str] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        name = _target_name(tag, platform, style)
        if name is None:
            dropped.append(tag)
            continue
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            names.append(name)
    return RenderedTags(tuple(names), tuple(dropped))


def _target_name(tag: str, platform: Platform, style: TagStyle) -> str | None:
    if platform is Platform.TUMBLR:
        return tag.strip().lstrip("#") or None
    name = tag_name(tag, style)
    return name if is_valid_hashtag(name, platform) else None
