"""What a sync or migrate run did, for the CLI to print and tests to check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class RuleReport:
    rule: str
    read_calls: int = 0
    seen: int = 0
    selected: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    published: int = 0  # posts (chunks) published this run
    reconciled: int = 0  # pending entries found already published on the target
    adopted: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, why)
    stopped: list[str] = field(default_factory=list)  # targets stopped by a cap, with when
    edited: int = 0
    deleted: int = 0
    dry_run: list[str] = field(default_factory=list)  # the dry run's printout, in order
    notes: list[str] = field(default_factory=list)
    # Targets the ledger had no record of for this rule, checked for markers before posting:
    # (target, posts read there, source posts found already mirrored).
    checked: list[tuple[str, int, int]] = field(default_factory=list)
    resume_at: float | None = None  # earliest time a capped target takes posts again
    left: int = 0  # posts (per target) not wholly published when the run ended
    dry: bool = False  # a dry run: "published" counts what would be

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def summary(self) -> str:
        parts = [
            f"{self.rule}: {self.seen} read, {self.selected} selected",
            f"{self.published} {'to publish (dry run)' if self.dry else 'published'}",
        ]
        if self.reconciled:
            parts.append(f"{self.reconciled} found already published")
        if self.adopted:
            parts.append(f"{self.adopted} adopted")
        if found := sum(n for _, _, n in self.checked):
            parts.append(f"{found} already mirrored, found by their markers")
        if self.edited or self.deleted:
            parts.append(f"{self.edited} edited, {self.deleted} deleted")
        parts.append(f"{len(self.failed)} failed")
        if self.left:
            after = f": run again after {_time(self.resume_at)}" if self.resume_at else ""
            parts.append(f"{self.left} left{after}")
        return ", ".join(parts)

    @property
    def capped(self) -> bool:
        """A cap or a rate limit stopped a target before the work was done."""
        return self.resume_at is not None or bool(self.stopped)


@dataclass
class SyncReport:
    rules: list[RuleReport] = field(default_factory=list)
    stopped_early: bool = False  # a stop signal ended the run after the current post

    @property
    def failed(self) -> int:
        return sum(len(rule.failed) for rule in self.rules)

    @property
    def published(self) -> int:
        return sum(rule.published for rule in self.rules)

    @property
    def capped(self) -> bool:
        return any(rule.capped for rule in self.rules)


def _time(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="minutes")
