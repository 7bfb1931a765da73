"""Benchmark: Mastodon statuses fitted to Bluesky per second (one core), on the real fixtures.

Reads every status in the recorded Mastodon.py cassettes and the Mastodon docs' examples
(../shared/fixtures, or the folder CROSSPOST_FIXTURES names), converts their HTML with
`richtext_from_html` (https://docs.joinmastodon.org/entities/Status/#content), and times
`plan_fit` to Bluesky's limits. Run: `python bench/bench_fit.py [--rounds N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from crosspost.model import Media, MediaKind, Platform, Post, PostRef
from crosspost.platforms.registry import spec
from crosspost.text.fit import FitOptions, plan_fit
from crosspost.text.html_read import richtext_from_html

BLUESKY_LIMITS = spec(Platform.BLUESKY).limits


def fixtures_root() -> Path:
    configured = os.environ.get("CROSSPOST_FIXTURES")
    return (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / "shared" / "fixtures"
    )


def _statuses(data: Any) -> Iterator[dict[str, Any]]:
    """Every object that looks like a status, nested ones (reblogs, quotes) included."""
    if isinstance(data, dict):
        if isinstance(data.get("content"), str) and "visibility" in data:
            yield data
        for value in data.values():
            yield from _statuses(value)
    elif isinstance(data, list):
        for item in data:
            yield from _statuses(item)


def _cassette_bodies(path: Path) -> Iterator[Any]:
    for interaction in (yaml.safe_load(path.read_text()) or {}).get("interactions", []):
        body = interaction.get("response", {}).get("body", {}).get("string", "")
        try:
            yield json.loads(body)
        except (TypeError, ValueError):
            continue


def load_statuses(root: Path) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((root / "mastodon-py" / "tests" / "cassettes").glob("*.yaml")):
        for body in _cassette_bodies(path):
            for status in _statuses(body):
                found.setdefault(f"{path.name}:{status.get('id')}:{len(found)}", status)
    for path in sorted((root / "mastodon-docs" / "extracted").glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        for status in _statuses(data):
            found.setdefault(f"{path.name}:{status.get('id')}:{len(found)}", status)
    return list(found.values())


def to_post(status: dict[str, Any]) -> Post:
    text = richtext_from_html(
        status.get("content") or "",
        mentions=status.get("mentions") or (),
        tags=status.get("tags") or (),
        emojis=status.get("emojis") or (),
    )
    media = tuple(
        Media(MediaKind.VIDEO if m.get("type") == "video" else MediaKind.IMAGE, m.get("url"))
        for m in status.get("media_attachments") or ()
    )
    ref = PostRef(Platform.MASTODON, "bench", str(status.get("id")), status.get("url"))
    tags = tuple(str(t.get("name")) for t in status.get("tags") or () if isinstance(t, dict))
    when = datetime(2024, 1, 1, tzinfo=UTC)
    return Post(
        ref, when, text, media=media, tags=tags, content_warning=status.get("spoiler_text") or ""
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="passes over the fixture set")
    args = parser.parse_args()
    root = fixtures_root()
    if not root.is_dir():
        print(f"no fixtures at {root} (set CROSSPOST_FIXTURES)", file=sys.stderr)
        return 1
    posts = [to_post(status) for status in load_statuses(root)]
    options = FitOptions()
    chunks = sum(len(plan_fit(post, BLUESKY_LIMITS, options).chunks) for post in posts)
    started = time.perf_counter()
    for _ in range(args.rounds):
        for post in posts:
            plan_fit(post, BLUESKY_LIMITS, options)
    elapsed = time.perf_counter() - started
    fitted = len(posts) * args.rounds
    print(f"{len(posts)} Mastodon posts -> Bluesky ({chunks} chunks), {args.rounds} rounds")
    print(f"{fitted / elapsed:,.0f} posts fitted per second on one core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
