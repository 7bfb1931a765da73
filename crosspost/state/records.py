"""What the ledger holds and answers, whichever database keeps it: a mirror's entry, a claim on
it, and what `crosspost status` shows per rule and target."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from crosspost.model import Platform, PostRef

BACKOFF_WHY = "backoff after a failure"


class MirrorStatus(StrEnum):
    PENDING = "pending"  # intent written; with attempts > 0 the publish may have happened
    PUBLISHED = "published"
    FAILED = "failed"  # retried after next_retry


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    source_key: str
    target: str
    chunk: int
    chunks: int
    rule: str
    status: MirrorStatus
    target_ref: PostRef | None
    attempts: int
    last_error: str | None
    next_retry: float | None
    first_intent: float
    updated: float

    @property
    def identity(self) -> tuple[str, str, int]:
        return self.source_key, self.target, self.chunk


@dataclass(frozen=True, slots=True)
class Claim:
    """What `Ledger.claim` got: the entry, now this worker's to publish (or already published,
    then nobody's), or None while another worker's lease on it lasts, until `until`."""

    entry: LedgerEntry | None
    until: float | None = None


@dataclass(frozen=True, slots=True)
class TargetSummary:
    rule: str
    target: str
    published: int
    pending: int
    failed: int
    due: int  # pending or failed entries the next run will try
    errors: tuple[tuple[str, str], ...]  # (source key, last error) of failed entries


@dataclass(frozen=True, slots=True)
class Waiting:
    """Posts that wait until a time, and why (a cap, or the backoff after a failure)."""

    until: float
    why: str
    posts: int


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """Per rule and target, counted in source posts (a thread is one post): every chunk on the
    target; tried by the next run; waiting until a time; and, of those two, the ones whose last
    attempt failed, with the reason and when the next try is."""

    rule: str
    target: str
    published: int
    due: int
    waiting: tuple[Waiting, ...]
    failed: tuple[tuple[str, str, float | None], ...]  # (source key, last error, next try)

    @property
    def waiting_posts(self) -> int:
        return sum(w.posts for w in self.waiting)


def ref_to_json(ref: PostRef) -> str:
    data = {"platform": ref.platform.value, "account": ref.account, "id": ref.id}
    data.update({k: v for k, v in (("url", ref.url), ("cid", ref.cid)) if v})
    return json.dumps(data, sort_keys=True)


def ref_from_json(text: str) -> PostRef:
    data = json.loads(text)
    return PostRef(
        Platform(data["platform"]), data["account"], data["id"], data.get("url"), data.get("cid")
    )


# The columns of a LedgerEntry, in its order.
ENTRY_COLUMNS = (
    "source_key, target, chunk, chunks, rule, status, target_ref, attempts, last_error, "
    "next_retry, first_intent, updated"
)


def entry_of(row: tuple[Any, ...]) -> LedgerEntry:
    ref = ref_from_json(row[6]) if row[6] else None
    return LedgerEntry(row[0], row[1], row[2], row[3], row[4], MirrorStatus(row[5]), ref, *row[7:])
