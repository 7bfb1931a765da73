"""Spelling tags as hashtags a target accepts (a tag as written may hold spaces and punctuation).

Which words are whole hashtags on a target comes from its text rules (`TextRules.hashtag_ok`);
a target with `free_tags` takes tags as written, in its own tags field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

from crosspost.model import TagStyle, TextRules

# Ruby's [[:word:]] (letters, marks, decimal digits, connector punctuation); our words leave
# out connector punctuation so that a snake_case separator is always our own "_".
_WORD_PART = regex.compile(r"[\p{L}\p{M}\p{Nd}]+")


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


def is_valid_hashtag(name: str, rules: TextRules) -> bool:
    """Whether `#name` is a hashtag the target recognises as one whole tag."""
    if not name or any(char.isspace() for char in name):
        return False
    return rules.hashtag_ok is None or rules.hashtag_ok(name)


def render_tags(
    tags: Iterable[str], rules: TextRules, style: TagStyle = TagStyle.CAMEL
) -> RenderedTags:
    """Tags as names the target accepts, duplicates (ignoring case) removed.

    A target with free tags takes them as written, in its own tags field; others get hashtag
    words.
    """
    names: list[str] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        name = _target_name(tag, rules, style)
        if name is None:
            dropped.append(tag)
            continue
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            names.append(name)
    return RenderedTags(tuple(names), tuple(dropped))


def _target_name(tag: str, rules: TextRules, style: TagStyle) -> str | None:
    if rules.free_tags:
        return tag.strip().lstrip("#") or None
    name = tag_name(tag, style)
    return name if is_valid_hashtag(name, rules) else None
