"""Posting caps: what the ledger says was posted per target in each cap's window, before posting.

A run stops a target cleanly before a cap would refuse the next post, and says when it takes
posts again: when enough of what was counted has left the window. The caps (DESIGN.md, platform
facts): Tumblr 250 posts and 250 images a day
(https://www.tumblr.com/docs/en/api/v2#rate-limits); Bluesky 5,000 write points an hour and
35,000 a day, 3 points per record created (https://docs.bsky.app/docs/advanced-guides/rate-limits);
Mastodon 30 media uploads per 30 minutes (https://docs.joinmastodon.org/api/rate-limits/).
Windows are counted as rolling, which is never later than a platform's own reset. Posts made by
hand are not in the ledger: a cap they fill still answers 429, which stops the target as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crosspost.model import Platform
from crosspost.state import StateStore

HOUR = 3600.0
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Cap:
    what: str  # "posts a day", for the message
    window: float  # seconds
    limit: int
    per_post: int = 0  # units one post costs
    per_media: int = 0  # units each of its media costs

    def cost(self, media: int) -> int:
        return self.per_post + self.per_media * media


Caps = Mapping[Platform, tuple[Cap, ...]]

DEFAULT_CAPS: Caps = {
    Platform.TUMBLR: (
        Cap("posts a day", DAY, 250, per_post=1),
        Cap("images a day", DAY, 250, per_media=1),
    ),
    Platform.BLUESKY: (
        Cap("write points an hour", HOUR, 5000, per_post=3),
        Cap("write points a day", DAY, 35_000, per_post=3),
    ),
    Platform.MASTODON: (Cap("media uploads per 30 minutes", 1800.0, 30, per_media=1),),
}


def cap_reached(
    state: StateStore, target: str, caps: tuple[Cap, ...], media: int, now: float
) -> tuple[Cap, float] | None:
    """The first cap one more post (with `media` attachments) on `target` would break, and when
    enough will have left its window for the post to fit; None when the post fits every cap."""
    for cap in caps:
        cost = cap.cost(media)
        if cost == 0 or cost > cap.limit:  # free, or more than the cap ever allows: let it try
            continue
        rows = state.published_since(target, now - cap.window)
        used = sum(cap.cost(count) for _, count in rows)
        excess = used + cost - cap.limit
        if excess <= 0:
            continue
        freed = 0
        for when, count in rows:  # oldest first: the first to leave the window
            freed += cap.cost(count)
            if freed >= excess:
                return cap, when + cap.window
        return cap, now + cap.window
    return None
