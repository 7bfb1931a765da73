"""The origin marker every Bluesky mirror carries: a custom field on the post record.

Lexicons allow extra fields and the app ignores them
(https://atproto.com/specs/lexicon#authority-and-control), so the field names the source post
this record mirrors, and a later read, or a rebuild of the ledger, knows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crosspost.model import Platform, PostRef
from crosspost.platforms.base import Draft
from crosspost.platforms.bluesky.refs import mapping

ORIGIN_FIELD = "dev.crosspost.origin"


def marker_for(draft: Draft) -> dict[str, Any] | None:
    """The origin marker: the source post, the idempotency key, and the content warning (which
    Bluesky has no field for) so a read-back restores it."""
    if draft.origin is None:
        return None
    origin = draft.origin
    marker: dict[str, Any] = {
        "platform": origin.platform.value,
        "account": origin.account,
        "id": origin.id,
        "key": draft.idempotency_key,
    }
    if origin.url:
        marker["url"] = origin.url
    if draft.content_warning:
        marker["contentWarning"] = draft.content_warning
    return marker


def origin_from_marker(marker: object) -> PostRef | None:
    data = mapping(marker)
    try:
        platform = Platform(str(data.get("platform")))
    except ValueError:
        return None
    account, native_id = data.get("account"), data.get("id")
    if not isinstance(account, str) or not isinstance(native_id, str):
        return None
    url = data.get("url")
    return PostRef(platform, account, native_id, url if isinstance(url, str) else None)


def marker_key(raw: Mapping[str, Any]) -> str | None:
    """The idempotency key the marker of a record (or a listRecords item, or a feed view)
    carries, if it carries one."""
    for holder in (raw, raw.get("value"), raw.get("record")):
        marker = holder.get(ORIGIN_FIELD) if isinstance(holder, Mapping) else None
        key = marker.get("key") if isinstance(marker, Mapping) else None
        if isinstance(key, str):
            return key
    return None
