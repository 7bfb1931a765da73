"""Mastodon's weighted length: what its status length validator counts in a plain text.

https://docs.joinmastodon.org/user/posting/#text and the server's
`app/validators/status_length_validator.rb` (URLs weigh 23, a mention's `@domain` is free).
"""

from __future__ import annotations

import regex

from crosspost.model import WeightedRun
from crosspost.text.count import grapheme_count

# Mastodon extracts URLs with twitter-text's `valid_url` as patched by its own
# `config/initializers/twitter_regex.rb`, and counts only the ones that carry a protocol
# (`extract_url_without_protocol: false`). twitter-text also checks the TLD against its list;
# we accept any TLD of two or more letters (or punycode): see `_TLD`. Since only URLs with a
# protocol count, the pattern requires one: scanning for protocol-less domains too (as
# twitter-text does, then dropping them) costs eight times the time. The one difference: a
# protocol URL inside the path of a protocol-less one ("example.com/https://x.org") counts here.
_DOMAIN_CHAR = (
    r"[^!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~\s\x00-\x1f\x7f\ufffe\ufeff\uffff"
    r"\u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_SUBDOMAIN = rf"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
_DOMAIN_NAME = rf"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
_TLD = r"(?:xn--[0-9a-z]+|[\p{L}\p{M}]{2,}(?=[^\p{Alphabetic}\p{Nd}@]|$))"
_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_PARENS = rf"(?:\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\))"
_PATH_END = rf"(?:[^\p{{White_Space}}()?!*\"'「」<>;:=,.$%\[\]~&|@]|{_PARENS})"
_PATH = rf"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:{_PATH_CHAR}+/))"
_UCHARS = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    "\U00030000-\U0003fffd\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd\U000a0000-\U000afffd"
    "\U000b0000-\U000bfffd\U000c0000-\U000cfffd\U000d0000-\U000dfffd\U000e1000-\U000efffd"
    "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
)
_QUERY_CHAR = rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^{_UCHARS}]"
_QUERY_END = rf"[a-z0-9_&=#/\-{_UCHARS}]"
_MASTODON_URL = regex.compile(
    rf"(?:[^A-Z0-9@＠$#＃\ufffe\ufeff\uffff]|^)"
    rf"(?P<url>(?P<protocol>(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://)"
    rf"{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD}"
    rf"(?::[0-9]+)?(?:/{_PATH}*)?(?:\?{_QUERY_CHAR}*{_QUERY_END})?)",
    regex.IGNORECASE | regex.MULTILINE | regex.VERSION0,
)
# Mastodon's `Account::MENTION_RE` and twitter-text's `end_mention_match`.
_WORD = r"[\p{L}\p{M}\p{Nd}\p{Pc}]"
_MASTODON_MENTION = regex.compile(
    rf"(?<![=/]|{_WORD})@(?P<user>(?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*))"
    rf"(?:@{_WORD}+(?:[.-]+{_WORD}+)*)?"
)
_END_MENTION = regex.compile(
    "[@＠\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257"
    "\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff]|://"
)


def mention_signs(text: str) -> list[int]:
    """Where each "@" is that Mastodon would read as the start of a mention (whether or not the
    server knows the account: a bare "@user" names whoever is "user" on the reader's server)."""
    if "@" not in text:
        return []
    return [match.start() for match in _MASTODON_MENTION.finditer(text)]


def mastodon_entities(text: str, *, url_weight: int = 23) -> list[WeightedRun]:
    """The URLs and mentions Mastodon's validator rewrites, without overlaps, by position."""
    found: list[WeightedRun] = []
    if "://" in text:
        for match in _MASTODON_URL.finditer(text):
            found.append(WeightedRun(match.start("url"), match.end("url"), "x" * url_weight))
    if "@" in text:
        for match in _MASTODON_MENTION.finditer(text):
            if not _END_MENTION.match(text, match.end()):
                found.append(WeightedRun(match.start(), match.end(), "@" + match.group("user")))
    found.sort(key=lambda entity: entity.start)
    kept: list[WeightedRun] = []
    for entity in found:
        if not kept or kept[-1].end <= entity.start:
            kept.append(entity)
    return kept


def mastodon_length(text: str, *, url_weight: int = 23, content_warning: str = "") -> int:
    """Mastodon's countable length: graphemes of the content warning plus the text, where each
    URL counts `url_weight` and a mention counts as `@user` without its domain."""
    if not text.strip():
        return grapheme_count(content_warning)
    pieces = [content_warning]
    last = 0
    for entity in mastodon_entities(text, url_weight=url_weight):
        pieces.append(text[last : entity.start])
        pieces.append(entity.countable)
        last = entity.end
    pieces.append(text[last:])
    return grapheme_count("".join(pieces))
