"""`sync --watch`: run, sleep the interval (with jitter), run again, until asked to stop.

Clock, sleeper and randomness are injected; the sleep is cut into short steps so a stop signal
(SIGTERM, SIGINT: the CLI sets the `StopSignal`) ends the wait promptly. A run in progress ends
after its current post.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from crosspost.errors import ConfigError
from crosspost.platforms.base import Sleeper
from crosspost.sync.context import StopSignal

JITTER = 0.1  # each wait is the interval +/- 10%, so many machines do not call at once
STEP = 5.0  # seconds between checks of the stop signal while waiting
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """'10m', '90s', '1h', '600' -> seconds; at least one minute."""
    match = _INTERVAL.match(text.lower())
    if match is None:
        raise ConfigError(f"interval {text!r} is not a duration such as 10m, 90s or 1h")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 60:
        raise ConfigError(f"interval {text!r} is under a minute; platforms would rate-limit it")
    return seconds


def watch(
    run_once: Callable[[], object],
    interval: float,
    *,
    stop: StopSignal,
    sleep: Sleeper,
    rng: Callable[[], float] = random.random,
    jitter: float = JITTER,
    rounds: int | None = None,
) -> int:
    """Run until stopped (or `rounds` runs, for tests); the number of runs made."""
    done = 0
    while not stop.requested:
        run_once()
        done += 1
        if stop.requested or (rounds is not None and done >= rounds):
            break
        wait = interval * (1 + jitter * (2 * rng() - 1))
        while wait > 0 and not stop.requested:
            step = min(STEP, wait)
            sleep(step)
            wait -= step
    return done
