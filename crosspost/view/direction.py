"""A post's language and writing direction, for `lang` and `dir` on its text: from the language
the platform stores (a Mastodon status's `language`, a Bluesky record's `langs`), else from the
letters of the text itself. The page keeps the interface's own `lang`."""

from __future__ import annotations

import re
import unicodedata

from crosspost.model import ATOMIC_SPAN_KINDS, Post

# Languages written right to left (ISO 639 codes, the old Hebrew and Yiddish ones too).
_RTL_LANGS = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "ku-arab", "ps", "sd", "syr", "ug"}
    | {"ur", "yi", "az-arab", "pa-arab", "ms-arab", "nqo", "prs", "glk", "mzn", "lrc", "bal"}
)
_RTL_SCRIPTS = frozenset({"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg", "samr"})
_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}")
_SAMPLE = 600  # characters of text looked at: enough to tell, cheap on a long post
# Letters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo, ... and their forms):
# most posts have none, and a search for one is far cheaper than weighing every letter.
_RTL_CHAR = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_LETTER = re.compile(r"[^\W\d_]")


def language(post: Post) -> str:
    """The post's first stored language as a BCP 47 tag, or "" when none is stored or it is
    not one (a value a page may not carry)."""
    for lang in post.langs:
        if _TAG.fullmatch(lang):
            return lang
    return ""


def direction(post: Post, lang: str) -> str:
    """ "rtl" or "ltr" from the stored language; else from the text's letters; else "auto"."""
    if lang:
        lowered = lang.lower()
        parts = lowered.split("-")
        if lowered in _RTL_LANGS or parts[0] in _RTL_LANGS or _RTL_SCRIPTS & set(parts[1:]):
            return "rtl"
        return "ltr"
    return text_direction(post)


def text_direction(post: Post) -> str:
    """The direction most strong letters of the text (and title) have, leaving out links,
    mentions and tags (a Latin handle does not make Hebrew text left to right)."""
    text = post.text.text
    skip = sorted((s.start, s.end) for s in post.text.spans if s.kind in ATOMIC_SPAN_KINDS)
    kept, position = [post.title], 0
    for start, end in skip:
        if start > position:
            kept.append(text[position:start])
        position = max(position, end)
    kept.append(text[position:])
    sample = "".join(kept)[:_SAMPLE]
    if _RTL_CHAR.search(sample) is None:
        return "ltr" if _LETTER.search(sample) else "auto"
    right = left = 0
    for char in sample:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            right += 1
        elif kind == "L":
            left += 1
    if right > left:
        return "rtl"
    return "ltr" if left else "auto"
