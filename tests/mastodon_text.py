"""How a Mastodon server reads the plain text of a new status: what it counts, which people it
mentions, which hashtags it takes, and the `content` HTML it writes. mastodon-mock counts
`len()` and writes mentions and hashtags as plain text; `tests/mastodon_account_server.py` puts
these rules in its place.

Written from Mastodon's own rules, independently of crosspost's writer (a test server that
shared the code under test would agree with it whatever it did):
- `app/validators/status_length_validator.rb`: 500 characters counted as grapheme clusters of
  the content warning plus the text, every URL 23, a mention `@user@domain` counted as `@user`;
  over it, 422 `{"error": "Validation failed: Text character limit of 500 exceeded"}`;
- `Account::MENTION_RE`, `Tag::HASHTAG_RE`, and `app/lib/text_formatter.rb` for the HTML: a
  mention `<span class="h-card" translate="no"><a href=PROFILE class="u-url mention">@<span>
  user</span></a></span>` (only for an account the server knows), a hashtag `<a href=.../tags/x
  class="mention hashtag" rel="tag">#<span>x</span></a>`, a link with its scheme in an
  `invisible` span, paragraphs in `<p>` and line breaks as `<br />` (the shapes of the real
  responses recorded in /work/shared/fixtures/mastodon-py/tests/cassettes).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import regex

MAX_CHARACTERS = 500
URL_WEIGHT = 23
TOO_LONG = f"Validation failed: Text character limit of {MAX_CHARACTERS} exceeded"

_URL = regex.compile(r"(?<![\p{Alnum}@$#＃/])https?://[^\s<>\"]+", regex.IGNORECASE)
_URL_TRAILING = ".,;:!?'\""
_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<user>(?ai:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*))(?:@(?P<domain>\w+(?:[.-]+\w+)*))?"
)
_HASHTAG = regex.compile(
    r"(?<![=/)\p{Alnum}])[#＃](?P<name>(?:\w[\w·\u200c]*[\p{Alpha}·\u200c][\w·\u200c]*\w)"
    r"|(?:\w*\p{Alpha}\w*))",
    regex.IGNORECASE,
)


@dataclass(frozen=True)
class Person:
    """An account the server knows: `acct` is "user" (local) or "user@domain"."""

    id: int
    username: str
    acct: str
    url: str


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    kind: str  # "url", "mention", "hashtag"
    value: str  # the URL, the user name, the tag name
    person: Person | None = None


Lookup = Callable[[str, str | None], Person | None]  # (user, domain or None) -> account


def _url_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _URL_TRAILING:
        end -= 1
    if text[end - 1] == ")" and "(" not in text[start:end]:
        end -= 1
    return end


def entities(text: str, lookup: Lookup | None = None) -> list[Entity]:
    """URLs, mentions and hashtags as Mastodon finds them, first one wins where they overlap.
    With `lookup`, a mention of an account the server does not know is no mention."""
    found: list[Entity] = []
    for match in _URL.finditer(text):
        end = _url_end(text, match.start(), match.end())
        found.append(Entity(match.start(), end, "url", text[match.start() : end]))
    for match in _MENTION.finditer(text):
        person = lookup(match["user"], match["domain"]) if lookup else None
        if lookup is None or person is not None:
            found.append(Entity(match.start(), match.end(), "mention", match["user"], person))
    for match in _HASHTAG.finditer(text):
        found.append(Entity(match.start(), match.end(), "hashtag", match["name"]))
    kept: list[Entity] = []
    for entity in sorted(found, key=lambda e: (e.start, -e.end)):
        if not kept or entity.start >= kept[-1].end:
            kept.append(entity)
    return kept


def length(text: str, spoiler_text: str = "") -> int:
    """The status length validator's count."""
    pieces = [spoiler_text]
    last = 0
    for entity in entities(text):
        if entity.kind == "hashtag":
            continue
        pieces.append(text[last : entity.start])
        pieces.append("x" * URL_WEIGHT if entity.kind == "url" else "@" + entity.value)
        last = entity.end
    pieces.append(text[last:])
    return len(regex.findall(r"\X", "".join(pieces)))


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def _link(url: str) -> str:
    scheme = regex.match(r"(?i)https?://(?:www\.)?", url)
    prefix = scheme.group(0) if scheme else ""
    shown = url[len(prefix) :]
    if len(shown) > 30:
        middle = f'<span class="ellipsis">{_escape(shown[:30])}</span>'
        rest = _escape(shown[30:])
    else:
        middle, rest = f'<span class="">{_escape(shown)}</span>', ""
    return (
        f'<a href="{_escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
        f'<span class="invisible">{_escape(prefix)}</span>{middle}'
        f'<span class="invisible">{rest}</span></a>'
    )


def _entity_html(entity: Entity, base_url: str) -> str:
    if entity.kind == "url":
        return _link(entity.value)
    if entity.kind == "mention" and entity.person is not None:
        person = entity.person
        return (
            f'<span class="h-card" translate="no"><a href="{_escape(person.url)}" '
            f'class="u-url mention">@<span>{_escape(person.username)}</span></a></span>'
        )
    name = _escape(entity.value)
    return (
        f'<a href="{base_url}/tags/{name.lower()}" class="mention hashtag" rel="tag">'
        f"#<span>{name}</span></a>"
    )


def render(text: str, found: list[Entity], base_url: str) -> str:
    """The `content` HTML of a status with this plain text."""
    parts: list[str] = []
    last = 0
    for entity in found:
        parts.append(_escape(text[last : entity.start]))
        parts.append(_entity_html(entity, base_url))
        last = entity.end
    parts.append(_escape(text[last:]))
    body = "".join(parts).strip("\n")
    paragraphs = [p for p in regex.split(r"\n\n+", body) if p]
    return "".join(f"<p>{p.replace(chr(10), '<br />')}</p>" for p in paragraphs) or "<p></p>"
