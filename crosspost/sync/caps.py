"""Posting caps: what the ledger says was posted per target in each cap's window, before posting.

A run stops a target cleanly before a cap would refuse the next post, and says when it takes
posts again: when enough of what was counted has left the window. Each platform's caps are its
registry entry's (`PlatformSpec.caps`, with the platform's documentation cited there).
Windows are counted as rolling, which is never later than a platform's own reset. Posts made by
hand are not in the ledger: a cap they fill still answers 429, which stops the target as before.

`Pacer` runs the same arithmetic over posts not sent yet: when each would go out, so a plan's
estimate and the real pacing are one rule (`fits_after`), not two.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from crosspost.model import Platform
from crosspost.platforms.registry import spec
from crosspost.platforms.spec import Cap
from crosspost.state import Ledger

Caps = Mapping[Platform, tuple[Cap, ...]]

# Each platform's caps, from its registry entry.
DEFAULT_CAPS: Caps = {platform: spec(platform).caps for platform in Platform}


def fits_after(
    cap: Cap, spent: Iterable[tuple[float, int]], used: int, cost: int, now: float
) -> float | None:
    """When a post costing `cost` fits `cap`, given what was spent in its window (`spent`:
    (when, units), oldest first, `used` their sum); None when it fits now. A post that is free,
    or costs more than the cap ever allows, is let through (the platform then says)."""
    if cost == 0 or cost > cap.limit:
        return None
    excess = used + cost - cap.limit
    if excess <= 0:
        return None
    freed = 0
    for when, units in spent:  # oldest first: the first to leave the window
        freed += units
        if freed >= excess:
            return when + cap.window
    return now + cap.window


def cap_reached(
    state: Ledger, target: str, caps: tuple[Cap, ...], media: int, now: float
) -> tuple[Cap, float] | None:
    """The first cap one more post (with `media` attachments) on `target` would break, and when
    enough will have left its window for the post to fit; None when the post fits every cap."""
    for cap in caps:
        cost = cap.cost(media)
        if cost == 0 or cost > cap.limit:
            continue
        spent = [
            (when, cap.cost(count))
            for when, count in state.published_since(target, now - cap.window)
        ]
        resume = fits_after(cap, spent, sum(units for _, units in spent), cost, now)
        if resume is not None:
            return cap, resume
    return None


class _Window:
    """What one cap counts: (when, units) inside its window, oldest first, and their sum."""

    def __init__(self, cap: Cap) -> None:
        self.cap = cap
        self.spent: deque[tuple[float, int]] = deque()
        self.used = 0

    def at(self, now: float) -> _Window:
        while self.spent and self.spent[0][0] <= now - self.cap.window:
            self.used -= self.spent.popleft()[1]
        return self

    def add(self, when: float, units: int) -> None:
        if units:
            self.spent.append((when, units))
            self.used += units


class Pacer:
    """Sends on one target, paced as the engine paces them: each post goes at the first time
    every cap takes it (`fits_after` on what the caps count at that time); sending itself is
    taken to cost no time. Seed it with what the ledger already counts (`published`)."""

    def __init__(
        self, caps: Sequence[Cap], start: float, published: Iterable[tuple[float, int]] = ()
    ) -> None:
        self.now = start
        self.windows = [_Window(cap) for cap in caps]
        for when, media in sorted(published):
            for window in self.windows:
                window.add(when, window.cap.cost(media))

    def send(self, media: int) -> float:
        """When one more post with `media` attachments goes out; the clock moves there."""
        while True:
            waits = [
                fits_after(w.cap, w.spent, w.used, w.cap.cost(media), self.now)
                for w in (window.at(self.now) for window in self.windows)
            ]
            later = [when for when in waits if when is not None]
            if not later:
                break
            self.now = max(self.now, min(later))  # as the engine: the first cap that stops it
        for window in self.windows:
            window.add(self.now, window.cap.cost(media))
        return self.now
