"""Injected time for tests: a clock that only moves when something sleeps on it."""

from __future__ import annotations


class FakeTime:
    """`clock()` (or calling it) tells the time; `sleep(s)` records the wait and moves time on."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    __call__ = clock

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
