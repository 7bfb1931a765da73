"""The account in a Mastodon archive besides its posts: `actor.json` as the Profile, and
`likes.json` and `bookmarks.json` as collections.

actor.json is app/serializers/activitypub/actor_serializer.rb, written by BackupService with
`icon.url` and `image.url` replaced by the archive's own `avatar.<ext>` and `header.<ext>`: the
avatar and header are in the archive. Profile fields are its PropertyValue attachments (their
values HTML, as the server formats them). likes.json and bookmarks.json list status URIs and
nothing else: no date of the like, in the order of the statuses' ids (find_in_batches), oldest
first; Mastodon's ids grow with the status's date, so reversed they are newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from crosspost.account_data import Entry, Profile, ProfileField
from crosspost.errors import DataError
from crosspost.model import Media, MediaKind, Platform, PostRef
from crosspost.platforms.export import Skipped
from crosspost.platforms.mastodon.archive_files import MemberNames
from crosspost.platforms.mastodon.archive_notes import media_path
from crosspost.platforms.mastodon.marker import origin_from_url
from crosspost.platforms.mastodon.read import parse_time
from crosspost.text.html_read import richtext_from_html

IMAGE_ABSENT = "profile images named but absent from the archive"


def status_ref(uri: str) -> PostRef:
    """The post a status URI names (on any server; a Mastodon one gives user and id)."""
    return origin_from_url(uri) or PostRef(Platform.MASTODON, "", uri, uri)


def status_uri(item: Any, name: str, skipped: Skipped) -> str | None:
    """The status URI an item of likes.json or bookmarks.json gives (None, noted, when it
    gives none)."""
    uri = item.get("id") if isinstance(item, Mapping) else item
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
        skipped.note(f"{name} items that are not status URIs", repr(item)[:60])
        return None
    return uri


def status_entries(uris: Iterable[str]) -> list[Entry]:
    """Status URIs in the file's order (oldest first) as entries, newest first, each once."""
    entries: dict[str, Entry] = {}
    for uri in reversed(list(uris)):
        entries.setdefault(uri, Entry(id=uri, subject=status_ref(uri)))
    return list(entries.values())


def profile_from_actor(
    actor: Mapping[str, Any], handle: str, names: MemberNames, skipped: Skipped
) -> Profile:
    summary = str(actor.get("summary") or "")
    return Profile(
        platform=Platform.MASTODON,
        id=str(actor.get("id") or actor.get("url") or handle),
        handle=handle,
        display_name=str(actor.get("name") or ""),
        bio=richtext_from_html(summary).text if summary else "",
        bio_html=summary,
        fields=_fields(actor.get("attachment")),
        avatar=_image(actor.get("icon"), names, skipped),
        banner=_image(actor.get("image"), names, skipped),
        url=str(actor["url"]) if isinstance(actor.get("url"), str) else None,
        created_at=_time(actor.get("published")),
        raw=dict(actor),
    )


def _fields(items: object) -> tuple[ProfileField, ...]:
    if isinstance(items, Mapping):  # one attachment alone may come unwrapped (JSON-LD)
        items = [items]
    return tuple(
        ProfileField(str(item.get("name") or ""), str(item.get("value") or ""))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, Mapping) and item.get("type") == "PropertyValue"
    )


def _image(image: object, names: MemberNames, skipped: Skipped) -> Media | None:
    if not isinstance(image, Mapping) or not image.get("url"):
        return None
    path = media_path(image.get("url"))
    member = names.find(path) if path else None
    mime = image.get("mediaType")
    url = str(image["url"])
    if member is None:
        skipped.note(IMAGE_ABSENT, path or url)
    return Media(
        kind=MediaKind.IMAGE,
        # BackupService wrote the archive's own file name over the image's URL.
        url=url if url.startswith(("https://", "http://")) else None,
        mime=str(mime) if isinstance(mime, str) else None,
        size=names.sizes[member] if member is not None else None,
        local_path=member,
    )


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value, "published")
    except DataError:
        return None
