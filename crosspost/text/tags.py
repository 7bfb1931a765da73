"""Spelling tags as hashtags a target accepts (a tag as written may hold spaces and punctuation).

Which words are whole hashtags on a target comes from its text rules (`TextRules.hashtag_ok`);
a target with `free_tags` takes tags as written, in its own tags field. A tag that cannot be a
hashtag without changing what it says ("C++" would be "#C", "a,b" "#AB") is kept as plain
text instead, and the plan says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

from crosspost.model import TagStyle, TextRules

# Ruby's [[:word:]] (letters, marks, decimal digits, connector punctuation); our words leave
# out connector punctuation so that a snake_case separator is always our own "_".
_WORD_PART = regex.compile(r"[\p{L}\p{M}\p{Nd}]+")
# What a hashtag may leave out of a tag without changing what it says: spaces, "-" and "_"
# between words, and punctuation next to a space or at either end ("wip!!", "star wars: the
# clone wars"). Symbols ("C++", "AT&T"'s "&" is punctuation inside a word) and punctuation
# inside a word ("a,b", "rock'n'roll") are meaning.
_INSIDE_WORD = regex.compile(
    r"(?<=[\p{L}\p{M}\p{Nd}])[^\p{L}\p{M}\p{Nd}\s_-]+(?=[\p{L}\p{M}\p{Nd}])"
)
_NOT_DROPPABLE = regex.compile(r"[^\p{L}\p{M}\p{Nd}\s\p{P}]")


@dataclass(frozen=True, slots=True)
class RenderedTags:
    """Tag names ready for a target (without "#"), in the author's order, and the tags that could
    not become one, as the author wrote them."""

    names: tuple[str, ...]
    dropped: tuple[str, ...]
    # Tags no hashtag can spell as written, to be shown as plain text (the author's spelling).
    plain: tuple[str, ...] = ()

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
    # `split` breaks at exactly what `str.isspace` calls white space, in C.
    if not name or name.split() != [name]:
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
    plain: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        name = _target_name(tag, rules, style)
        if name is None:
            written = tag.strip().lstrip("#").strip()
            if _WORD_PART.search(written) and written.casefold() not in seen:
                seen.add(written.casefold())
                plain.append(written)
            elif not _WORD_PART.search(written):
                dropped.append(tag)
            continue
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            names.append(name)
    return RenderedTags(tuple(names), tuple(dropped), tuple(plain))


def says_the_same(tag: str, name: str) -> bool:
    """Whether hashtag `name` (made by `tag_name`) says what `tag` says: only spaces, word
    separators and punctuation at word edges were left out."""
    written = tag.strip().lstrip("#")
    return (
        bool(name)
        and _INSIDE_WORD.search(written) is None
        and _NOT_DROPPABLE.search(written) is None
    )


def _target_name(tag: str, rules: TextRules, style: TagStyle) -> str | None:
    if rules.free_tags:
        return tag.strip().lstrip("#") or None
    name = tag_name(tag, style)
    if is_valid_hashtag(name, rules) and says_the_same(tag, name):
        return name
    written = tag.strip().lstrip("#")
    return written if is_valid_hashtag(written, rules) else None
