"""What a backup run is asked to do (`BackupOptions`) and what it reports (`BackupResult`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crosspost.backup.account_run import AccountDataResult
from crosspost.backup.media import DEFAULT_WORKERS

DEFAULT_EDIT_WINDOW = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class BackupOptions:
    full: bool = False
    media: bool = True
    since: datetime | None = None  # only posts created at or after this
    edit_window: timedelta = DEFAULT_EDIT_WINDOW
    workers: int = DEFAULT_WORKERS
    # What to back up: "posts", "profile" and collection kinds ("likes", ...); None: all of it.
    parts: frozenset[str] | None = None

    def wants(self, part: str) -> bool:
        return self.parts is None or part in self.parts

    @property
    def mode(self) -> str:
        return "full" if self.full else "incremental"


@dataclass
class BackupResult:
    platform: str
    account: str
    folder: Path
    mode: str
    resumed: bool = False
    complete: bool = False
    stopped: str | None = None  # why the run ended early (a rate limit or cap)
    retry_after: float | None = None
    counts: Counter[str] = field(default_factory=Counter)
    account_data: AccountDataResult = field(default_factory=AccountDataResult)

    def to_json(self) -> dict[str, Any]:
        keys = (
            "listed", "new", "updated", "unchanged", "deleted", "restored", "not_checked",
            "older_than_since", "media_downloaded", "media_bytes", "media_missing",
            "media_skipped",
            "list_calls", "post_calls", "media_calls", "history_calls", "versions_kept",
            "profile_calls", "collection_calls",
        )  # fmt: skip
        return {
            "platform": self.platform,
            "account": self.account,
            "folder": str(self.folder),
            "mode": self.mode,
            "resumed": self.resumed,
            "complete": self.complete,
            "stopped": self.stopped,
            "retry_after": self.retry_after,
            **{key: self.counts[key] for key in keys},
            **self.account_data.to_json(),
        }
