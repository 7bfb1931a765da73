"""How long work reports its progress without knowing how it is shown.

The engines (backup, sync, migrate) call a `Progress`; the CLI renders it with rich progress bars
(or prints nothing with --quiet). Nothing below the CLI imports a UI library.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, task: str, total: int | None = None) -> None:
        """A named step begins; `total` is its size when known (posts, files, bytes)."""
        ...

    def advance(self, task: str, amount: int = 1) -> None:
        """Some of the step is done."""
        ...

    def finish(self, task: str) -> None:
        """The step is over."""
        ...

    def note(self, message: str) -> None:
        """Something the user should read (a skipped post, a wait on a rate limit)."""
        ...


class NoProgress:
    """Reports nowhere: for tests and library callers that do not care."""

    def start(self, task: str, total: int | None = None) -> None:
        pass

    def advance(self, task: str, amount: int = 1) -> None:
        pass

    def finish(self, task: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass


class RecordingProgress:
    """Keeps every report, in order: for tests that check what a user would be told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int | None]] = []
        self.notes: list[str] = []

    def start(self, task: str, total: int | None = None) -> None:
        self.events.append(("start", task, total))

    def advance(self, task: str, amount: int = 1) -> None:
        self.events.append(("advance", task, amount))

    def finish(self, task: str) -> None:
        self.events.append(("finish", task, None))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def total_advanced(self, task: str) -> int:
        return sum(n or 0 for kind, name, n in self.events if kind == "advance" and name == task)
