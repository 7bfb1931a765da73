"""The engines' Progress protocol drawn as rich progress bars on stderr (the CLI's only UI).

Bars are transient (gone when their step ends); `--quiet` gives `NoProgress` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from crosspost.progress import NoProgress, Progress

if TYPE_CHECKING:
    from rich.progress import Progress as RichBar
    from rich.progress import Task

    from crosspost.platforms.retry import WaitNotice

# How a step's name reads next to its bar, where the name alone would be unclear.
_LABELS = {"posts": "posts", "media": "media files"}


@contextmanager
def progress_bars(quiet: bool) -> Iterator[Progress]:
    """Rich bars on stderr (transient: gone when the step ends), or nothing with --quiet. A
    rate-limit wait is said in a line and counted down in a bar of its own while it lasts."""
    from crosspost.platforms.retry import waits_told_to

    if quiet:
        yield NoProgress()
        return
    bars = RichProgress()
    with bars.bar, waits_told_to(bars.waiting):
        yield bars


class RichProgress:
    """The engines' Progress protocol drawn as rich progress bars, with rates and ETA."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar: RichBar = Progress(
            TextColumn("{task.description:>11}"),
            BarColumn(),
            MofNCompleteColumn(),
            _rate_column(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.tasks: dict[str, Any] = {}

    def start(self, task: str, total: int | None = None) -> None:
        if task in self.tasks:
            self.bar.update(self.tasks[task], total=total, visible=True)
            return
        self.tasks[task] = self.bar.add_task(_LABELS.get(task, task), total=total)

    def advance(self, task: str, amount: int = 1) -> None:
        if task not in self.tasks:
            self.start(task)
        self.bar.advance(self.tasks[task], amount)

    def finish(self, task: str) -> None:
        if task in self.tasks:
            self.bar.update(self.tasks[task], visible=False)

    def note(self, message: str) -> None:
        self.bar.console.print(message, markup=False, highlight=False)

    def waiting(self, notice: WaitNotice) -> None:
        """A rate-limit wait: one line saying who asked and for how long, then a bar counting
        the seconds down on a timer thread (the waiting thread sleeps meanwhile)."""
        import threading
        import time

        self.note(notice.message)
        task = self.bar.add_task("waiting", total=notice.seconds)
        started = time.monotonic()

        def count() -> None:
            while (elapsed := time.monotonic() - started) < notice.seconds:
                self.bar.update(task, completed=elapsed)
                time.sleep(0.5)
            self.bar.update(task, completed=notice.seconds, visible=False)

        threading.Thread(target=count, name="wait-countdown", daemon=True).start()


def _rate_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Items per second (rich's own speed column counts bytes)."""

        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")

    return RateColumn()
