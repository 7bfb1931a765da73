"""Mastodon Account entities to the common Profile and Person (pure functions, no network).

https://docs.joinmastodon.org/entities/Account/

An account's permanent id is its ActivityPub actor id (`uri`, e.g.
`https://mastodon.social/users/alice`; Mastodon 4.5 mints `https://host/ap/users/<number>`):
the numeric `id` is only the answering server's row, and other servers number the same account
differently. Servers older than 4.2 send no `uri`; the profile page URL (`url`) stands in.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from crosspost.account_data import Person, Profile, ProfileField
from crosspost.errors import DataError
from crosspost.model import Media, MediaKind, Platform
from crosspost.platforms.mastodon.read import account_handle, parse_time, plain_json
from crosspost.text.html_read import richtext_from_html

# Mastodon's stand-ins for an avatar or header never chosen: /avatars/original/missing.png and
# /headers/original/missing.png (the Account entity's `avatar` and `header` docs).
DEFAULT_IMAGE = "/missing.png"


def account_id(account: Mapping[str, Any]) -> str:
    """The account's permanent id: its ActivityPub id, else its profile URL."""
    value = account.get("uri") or account.get("url")
    if not value:
        raise DataError(f"Mastodon account {account.get('acct')!r} has neither uri nor url")
    return str(value)


def saved_account_id(profile: Profile | None) -> str | None:
    """The server's own id of the account a saved profile describes (the numeric `id` of the
    Account entity its `raw` keeps), or None where it names none."""
    if profile is None or profile.platform is not Platform.MASTODON:
        return None
    value = profile.raw.get("id")
    return str(value) if isinstance(value, str | int) and str(value) else None


def person_from_account(account: Mapping[str, Any]) -> Person:
    """An account named in a collection (a followed account, a list member, ...)."""
    avatar = account.get("avatar")
    return Person(
        id=account_id(account),
        handle=account_handle(account),
        display_name=str(account.get("display_name") or ""),
        url=str(account["url"]) if account.get("url") else None,
        avatar_url=str(avatar) if avatar and not _is_default(str(avatar)) else None,
    )


def profile_from_account(account: Mapping[str, Any]) -> Profile:
    """The account as it presents itself, from verify_credentials (a CredentialAccount, whose
    `source.note` is the bio as typed) or from the public account lookup."""
    raw = plain_json(account)
    note_html = str(raw.get("note") or "")
    source = raw.get("source") if isinstance(raw.get("source"), Mapping) else {}
    typed_note = source.get("note") if isinstance(source, Mapping) else None
    created = raw.get("created_at")
    return Profile(
        platform=Platform.MASTODON,
        id=account_id(raw),
        handle=account_handle(raw),
        display_name=str(raw.get("display_name") or ""),
        bio=str(typed_note) if isinstance(typed_note, str) else _plain(note_html, raw),
        bio_html=note_html,
        fields=tuple(_field(item) for item in raw.get("fields") or [] if isinstance(item, Mapping)),
        avatar=_image(raw.get("avatar"), raw.get("avatar_description")),
        banner=_image(raw.get("header"), raw.get("header_description")),
        url=str(raw["url"]) if raw.get("url") else None,
        created_at=parse_time(created, "created_at") if created else None,
        counts=_counts(raw),
        raw=raw,
    )


def _plain(html: str, raw: Mapping[str, Any]) -> str:
    return richtext_from_html(html, emojis=raw.get("emojis") or ()).text if html else ""


def _field(item: Mapping[str, Any]) -> ProfileField:
    """A profile field; its value is HTML (a link, a mention), kept as the server sent it."""
    verified = item.get("verified_at")
    return ProfileField(
        name=str(item.get("name") or ""),
        value=str(item.get("value") or ""),
        verified_at=parse_time(verified, "verified_at") if verified else None,
    )


def _image(url: object, description: object) -> Media | None:
    if not isinstance(url, str) or not url or _is_default(url):
        return None
    return Media(
        kind=MediaKind.IMAGE,
        url=url,
        alt=str(description or ""),
        mime=mimetypes.guess_type(urlsplit(url).path)[0],
    )


def _is_default(url: str) -> bool:
    return urlsplit(url).path.endswith(DEFAULT_IMAGE)


def _counts(raw: Mapping[str, Any]) -> dict[str, int]:
    names = {
        "posts": "statuses_count",
        "followers": "followers_count",
        "following": "following_count",
    }
    return {ours: raw[theirs] for ours, theirs in names.items() if isinstance(raw.get(theirs), int)}
