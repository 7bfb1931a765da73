"""Posting caps: what the ledger says was posted per target in each cap's window, before posting.

A run stops a target cleanly before a cap would refuse the next post, and says when it takes
posts again: when enough of what was counted has left the window. Each platform's caps are its
registry entry's (`PlatformSpec.caps`, with the platform's documentation cited there).
Windows are counted as rolling, which is never later than a platform's own reset. Posts made by
hand are not in the ledger: a cap they fill still answers 429, which stops the target as before.
"""

from __future__ import annotations

from collections.abc import Mapping

from crosspost.model import Platform
from crosspost.platforms.registry import spec
from crosspost.platforms.spec import Cap
from crosspost.state import Ledger

Caps = Mapping[Platform, tuple[Cap, ...]]

# Each platform's caps, from its registry entry.
DEFAULT_CAPS: Caps = {platform: spec(platform).caps for platform in Platform}


def cap_reached(
    state: Ledger, target: str, caps: tuple[Cap, ...], media: int, now: float
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
