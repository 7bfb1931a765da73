"""The `--json` summaries of sync, migrate, status and view: one object each, one line on
stdout, with the fields README ("Machine-readable output") documents. Times are ISO 8601 UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crosspost.state import Ledger
    from crosspost.sync import RuleReport
    from crosspost.view.site import SiteReport


def dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def when(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()


def rule_json(report: RuleReport) -> dict[str, Any]:
    """One rule's (or migration's) run."""
    return {
        "rule": report.rule,
        "dry_run": report.dry,
        "read": report.seen,
        "selected": report.selected,
        "published": report.published,
        "found_published": report.reconciled,
        "adopted": report.adopted,
        "edited": report.edited,
        "deleted": report.deleted,
        "skipped": dict(report.skipped),
        "failed": [
            {"source": source, "target": target, "reason": why}
            for source, target, why in report.failed
        ],
        "stopped": list(report.stopped),
        "left": report.left,
        "resume_at": when(report.resume_at),
        "notes": list(report.notes),
        "plans": list(report.dry_run),
    }


def target_status_json(store: Ledger, rule: str, target: str, now: float) -> dict[str, Any]:
    row = store.status(rule, target, now)
    return {
        "target": target,
        "published": row.published,
        "to_publish": row.due,
        "waiting": row.waiting_posts,
        "waits": [
            {"posts": wait.posts, "until": when(wait.until), "reason": wait.why}
            for wait in row.waiting
        ],
        "failed": [
            {"source": source, "reason": why, "retry_after": when(retry)}
            for source, why, retry in row.failed
        ],
    }


def site_json(report: SiteReport) -> dict[str, Any]:
    return {
        "out": str(report.out),
        "index": report.index.resolve().as_uri(),
        "posts": report.posts,
        "accounts": report.accounts,
        "files": report.pages,
        "written": len(report.written),
        "unchanged": report.unchanged,
        "removed": len(report.removed),
        "media": report.media,
        "bytes": report.size,
    }
