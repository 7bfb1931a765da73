"""A Mastodon server's real limits, read from its instance information.

https://docs.joinmastodon.org/methods/instance/#v2 (and /api/v1/instance on older servers and
forks: Pleroma and Akkoma say `max_toot_chars`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from crosspost.model import Limits
from crosspost.platforms.mastodon.limits import LIMITS as MASTODON_LIMITS
from crosspost.platforms.mastodon.marker import marker_weight
from crosspost.platforms.mastodon.software import MASTODON, ServerSoftware
from crosspost.platforms.mastodon.text_rules import PIXELFED_TEXT_RULES


def _section(data: Mapping[str, Any], *names: str) -> Mapping[str, Any]:
    for name in names:
        value = data.get(name)
        data = value if isinstance(value, Mapping) else {}
    return data


def _positive(value: object, default: int | None) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def limits_from_instance(
    instance: Mapping[str, Any], software: ServerSoftware = MASTODON
) -> Limits:
    """What one status on this server may hold; documented defaults where the server is silent
    (the software's own where it differs: Pixelfed takes alt text of 1000 characters).

    The video size limit (`video_size_limit`) has no place in `Limits` and is not carried.
    """
    statuses = _section(instance, "configuration", "statuses")
    media = _section(instance, "configuration", "media_attachments")
    default = MASTODON_LIMITS
    max_chars = _positive(statuses.get("max_characters"), None) or _positive(
        instance.get("max_toot_chars"), default.max_chars
    )
    return replace(
        default,
        text=PIXELFED_TEXT_RULES if software.counts_code_points else default.text,
        max_chars=max_chars,
        url_weight=_positive(statuses.get("characters_reserved_per_url"), default.url_weight),
        max_media=_positive(statuses.get("max_media_attachments"), default.max_media)
        or default.max_media,
        max_image_bytes=_positive(media.get("image_size_limit"), default.max_image_bytes),
        max_alt_chars=_positive(
            media.get("description_limit"), software.max_alt_chars or default.max_alt_chars
        ),
    )


def reserve_marker(limits: Limits) -> Limits:
    """The limits a fitter should use: the server's, less the room the origin marker takes."""
    if limits.max_chars is None:
        return limits
    weight = marker_weight(limits.url_weight or 0)
    return replace(limits, max_chars=max(limits.max_chars - weight, 1))
