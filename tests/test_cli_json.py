"""`--json` of sync and migrate, end to end against the loopback Tumblr server and
mastodon-mock (the setup of tests/test_sync_cli.py): one object a line, the README's fields."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import run_cli
from tests.test_sync_cli import mastodon_server, setup, text_block, tumblr
from tests.tumblr_server import TumblrServer

__all__ = ["mastodon_server", "setup", "tumblr"]

RULE_KEYS = {
    "rule", "dry_run", "read", "selected", "published", "found_published", "adopted", "edited",
    "deleted", "skipped", "failed", "stopped", "left", "resume_at", "notes", "plans",
}  # fmt: skip


def test_sync_json(setup: Path, tumblr: TumblrServer) -> None:
    tumblr.state.add(
        "art",
        {"timestamp": 1700000000, "content": [text_block("Hello")], "tags": ["crosspost"]},
    )
    result = run_cli("sync", "--config", str(setup), "--json")
    assert result.code == 0, result.err
    (line,) = result.out.splitlines()
    summary = json.loads(line)
    assert summary["stopped_early"] is False
    (rule,) = summary["rules"]
    assert set(rule) == RULE_KEYS
    assert (rule["rule"], rule["read"], rule["selected"], rule["published"]) == (
        "art-to-masto",
        1,
        1,
        1,
    )
    assert rule["failed"] == []
    assert rule["resume_at"] is None


def test_migrate_json(setup: Path, tumblr: TumblrServer) -> None:
    for n in range(2):
        tumblr.state.add("art", {"timestamp": 1600000000 + n, "content": [text_block(f"{n}")]})
    result = run_cli("migrate", "art", "masto", "--config", str(setup), "--json", "--dry-run")
    assert result.code == 0, result.err
    (line,) = result.out.splitlines()
    rule = json.loads(line)
    assert set(rule) == RULE_KEYS
    assert rule["rule"] == "migrate:art->masto"
    assert (rule["dry_run"], rule["selected"], rule["published"]) == (True, 2, 2)
    assert len(rule["plans"]) == 2
