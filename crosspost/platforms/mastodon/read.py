"""Mastodon statuses to the common Post model (pure functions, no network).

https://docs.joinmastodon.org/entities/Status/

`to_post` takes a status as the API sends it (a JSON mapping) or as Mastodon.py returns it (its
entities are dicts whose dates are already datetimes); both give the same Post, and `raw` is
always plain JSON.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from crosspost.errors import DataError
from crosspost.model import (
    JSON,
    LinkCard,
    Media,
    MediaKind,
    Platform,
    Poll,
    PollOption,
    Post,
    PostKind,
    PostRef,
    RichText,
    SpanKind,
    Unsupported,
    Visibility,
)
from crosspost.platforms.mastodon.marker import origin_from_url, split_marker
from crosspost.text.html_read import richtext_from_html

VISIBILITY_IN = {
    "public": Visibility.PUBLIC,
    "unlisted": Visibility.UNLISTED,
    "private": Visibility.FOLLOWERS,
    "direct": Visibility.DIRECT,
}
MEDIA_KINDS = {
    "image": MediaKind.IMAGE,
    "gifv": MediaKind.GIF,
    "video": MediaKind.VIDEO,
    "audio": MediaKind.AUDIO,
}


_LEAVES = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})


def plain_json(value: Any) -> Any:
    """A JSON-ready copy: Mastodon.py's datetimes back to ISO 8601, its dict types to dicts.

    Plain dicts (with str keys), lists and scalars, all a parsed API answer holds, are told by
    their exact type, and a dict is copied whole before its containers are: a status is copied
    at a third of the cost of asking `isinstance` of each value."""
    kind = type(value)
    if kind is dict and _STR.issuperset(map(type, value)):
        copy = value.copy()
        for key, item in value.items():
            kind = type(item)
            if kind not in _LEAVES:
                copy[key] = [] if kind is list and not item else plain_json(item)
        return copy
    if kind is list:
        return [item if type(item) in _LEAVES else plain_json(item) for item in value]
    if kind in _LEAVES:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(item) for item in value]
    return value


def parse_time(value: object, what: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise DataError(f"Mastodon status {what} is missing or not a date: {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise DataError(f"Mastodon status {what} {value!r} is not an ISO 8601 date") from None


def account_handle(account: Mapping[str, Any]) -> str:
    """`user@domain` for an Account entity (local accounts have a bare `acct`)."""
    acct = str(account.get("acct") or account.get("username") or "")
    if "@" in acct:
        return acct
    host = urlsplit(str(account.get("url") or account.get("uri") or "")).hostname or ""
    return f"{acct}@{host}" if host else acct


def status_ref(status: Mapping[str, Any], account: str | None = None) -> PostRef:
    owner = account or account_handle(status.get("account") or {})
    url = status.get("url") or status.get("uri")
    return PostRef(Platform.MASTODON, owner, str(status["id"]), str(url) if url else None)


def to_post(status: Mapping[str, Any], *, account: str) -> Post:
    """One status (from `account`'s point of view) as a Post; a boost carries the boosted post
    in `trail` and `repost_of`. Raises DataError only when the status has no id or date."""
    return _to_post(plain_json(status), account)


def _to_post(raw: JSON, account: str) -> Post:
    """`to_post` of a status already plain JSON: its boost and quote are not copied again."""
    if "id" not in raw:
        raise DataError("Mastodon status has no id")
    created_at = parse_time(raw.get("created_at"), "created_at")
    ref = status_ref(raw, account)
    reblog = raw.get("reblog")
    if isinstance(reblog, dict):  # plain JSON: every mapping in it is a dict
        boosted = _to_post(reblog, account_handle(reblog.get("account") or {}))
        return Post(
            ref=ref,
            created_at=created_at,
            kind=PostKind.REPOST,
            repost_of=boosted.ref,
            trail=(boosted,),
            visibility=_visibility(raw.get("visibility")),
            raw=raw,
        )
    rich, marker_url = split_marker(_richtext(raw))
    origin = origin_from_url(marker_url) if marker_url else None
    if marker_url and origin is None:
        rich = _richtext(raw)  # an unknown URL shape: leave the text as the author sees it
    quoted = _quoted_status(raw.get("quote"))
    unsupported = list(_poll(raw.get("poll")))
    media = _media(raw.get("media_attachments") or [], unsupported)
    edited = raw.get("edited_at")
    return Post(
        ref=ref,
        created_at=created_at,
        edited_at=parse_time(edited, "edited_at") if edited else None,
        text=rich,
        kind=_kind(raw, quoted),
        media=media,
        link_card=_card(raw.get("card")),
        quote_of=quoted.ref if quoted else None,
        reply_to=_reply_to(raw, account),
        trail=(quoted,) if quoted else (),
        tags=_tags(rich, raw.get("tags") or []),
        visibility=_visibility(raw.get("visibility")),
        content_warning=str(raw.get("spoiler_text") or ""),
        sensitive=bool(raw.get("sensitive")),
        langs=(str(raw["language"]),) if raw.get("language") else (),
        origin=origin,
        unsupported=tuple(unsupported),
        poll=_read_poll(raw.get("poll")),
        raw=raw,
    )


def _richtext(raw: Mapping[str, Any]) -> RichText:
    # A quote post's content ends with "RE: <link>" in an element of class quote-inline, for
    # apps that cannot show quotes (Mastodon 4.5; Akkoma writes a span): the quote is
    # kept as the post's quote, so the fallback is left out of its text.
    return richtext_from_html(
        str(raw.get("content") or ""),
        mentions=raw.get("mentions") or (),
        tags=raw.get("tags") or (),
        emojis=raw.get("emojis") or (),
        drop_class="quote-inline" if raw.get("quote") else "",
    )


def _visibility(value: object) -> Visibility:
    # An unknown scope (a fork's "local" or "limited") is treated as the narrowest audience, so
    # a mirror never shows a post to more people than its author chose.
    return VISIBILITY_IN.get(str(value), Visibility.DIRECT)


def _kind(raw: Mapping[str, Any], quoted: Post | None) -> PostKind:
    if quoted is not None:
        return PostKind.QUOTE
    if raw.get("in_reply_to_id"):
        return PostKind.REPLY
    return PostKind.ORIGINAL


def _reply_to(raw: Mapping[str, Any], account: str) -> PostRef | None:
    parent = raw.get("in_reply_to_id")
    if not parent:
        return None
    parent_account = str(raw.get("in_reply_to_account_id") or "")
    owner = raw.get("account") or {}
    if parent_account and parent_account == str(owner.get("id")):
        who = account
    else:
        mention = next(
            (m for m in raw.get("mentions") or [] if str(m.get("id")) == parent_account), None
        )
        # Without a mention naming them, only the account id is known.
        who = account_handle(mention) if mention else f"id:{parent_account}"
    return PostRef(Platform.MASTODON, who, str(parent))


def _quoted_status(quote: object) -> Post | None:
    """Mastodon 4.4+ sends `quote: {state, quoted_status}`; some forks send the status itself."""
    if not isinstance(quote, Mapping):
        return None
    status = quote.get("quoted_status") if "state" in quote else quote
    if not isinstance(status, dict) or "id" not in status or "created_at" not in status:
        return None
    return _to_post(status, account_handle(status.get("account") or {}))


def _media(items: Sequence[Mapping[str, Any]], unsupported: list[Unsupported]) -> tuple[Media, ...]:
    media: list[Media] = []
    for item in items:
        kind = MEDIA_KINDS.get(str(item.get("type")))
        url = item.get("url") or item.get("remote_url")
        if kind is None or not url:
            what = item.get("type") or "attachment"
            unsupported.append(
                Unsupported(
                    kind=f"media:{what}",
                    reason="attachment of unknown type or without a URL (kept in raw)",
                    text=str(item.get("description") or item.get("remote_url") or ""),
                )
            )
            continue
        original = (item.get("meta") or {}).get("original") or {}
        poster = item.get("preview_url") if kind is not MediaKind.IMAGE else None
        media.append(
            Media(
                kind=kind,
                url=str(url),
                alt=str(item.get("description") or ""),
                width=_int(original.get("width")),
                height=_int(original.get("height")),
                mime=mimetypes.guess_type(urlsplit(str(url)).path)[0],
                poster_url=str(poster) if poster else None,
            )
        )
    return tuple(media)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _card(card: object) -> LinkCard | None:
    if not isinstance(card, Mapping) or not card.get("url"):
        return None
    return LinkCard(
        url=str(card["url"]),
        title=str(card.get("title") or ""),
        description=str(card.get("description") or ""),
        thumb_url=str(card["image"]) if card.get("image") else None,
    )


def _poll(poll: object) -> list[Unsupported]:
    if not isinstance(poll, Mapping):
        return []
    options = poll.get("options") or []
    choice = "multiple choice" if poll.get("multiple") else "single choice"
    ends = f", ends {poll['expires_at']}" if poll.get("expires_at") else ""
    lines = [f"Poll ({choice}{ends}):"]
    for option in options:
        votes = option.get("votes_count")
        count = "" if votes is None else f" ({votes} vote{'s' if votes != 1 else ''})"
        lines.append(f"• {option.get('title', '')}{count}")
    reason = "polls exist only on Mastodon; the question and options are kept as text"
    return [Unsupported(kind="poll", reason=reason, text="\n".join(lines))]


def _read_poll(poll: object) -> Poll | None:
    """The poll for the viewer: options with their counts (null while a poll hides them)."""
    if not isinstance(poll, Mapping):
        return None
    options = []
    for option in poll.get("options") or ():
        if isinstance(option, Mapping):
            votes = option.get("votes_count")
            count = votes if isinstance(votes, int) and not isinstance(votes, bool) else None
            options.append(PollOption(str(option.get("title") or ""), count))
    expires = poll.get("expires_at")
    voters = poll.get("voters_count")
    return Poll(
        options=tuple(options),
        multiple=bool(poll.get("multiple")),
        expires_at=_poll_end(expires),
        voters=voters if isinstance(voters, int) and not isinstance(voters, bool) else None,
    )


def _poll_end(value: object) -> datetime | None:
    """When a poll ends; None when it never does or the date is unreadable (the poll is kept)."""
    try:
        end = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return end if end is not None and end.tzinfo is not None else None


def _tags(rich: RichText, tags: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """Tags as written in the text (the spans keep the author's case), then any others the
    server lists (Mastodon's `name` is the lower-cased form)."""
    seen: dict[str, str] = {}
    for span in rich.spans_of(SpanKind.TAG):
        name = span.value or rich.covered(span).lstrip("#")
        seen.setdefault(name.casefold(), name)
    for tag in tags:
        name = str(tag.get("name") or "")
        if name:
            seen.setdefault(name.casefold(), name)
    return tuple(seen.values())
