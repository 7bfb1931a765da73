"""Benchmark: Mastodon statuses fitted to Bluesky per second (one core), on the real fixtures.

Reads every status in the recorded Mastodon.py cassettes and the Mastodon docs' examples
(../shared/fixtures, or the folder CROSSPOST_FIXTURES names) and times two things:

- fitting alone: their HTML converted once with `richtext_from_html`
  (https://docs.joinmastodon.org/entities/Status/#content), then `plan_fit` to Bluesky's limits;
- end to end: each status's JSON through Mastodon's `to_post`, the quote as `crosspost convert`
  resolves it offline, `plan_fit` to Bluesky's limits (less the origin marker) and one Draft per
  chunk, as `crosspost convert` does; every chunk is checked against Bluesky's limits.

Each figure is the best of `--repeats` timings of `--rounds` passes. `--profile` prints
cProfile's top entries for the end-to-end pass; `--dump FILE` writes every status's Post, plan
and drafts (one status a line), to compare two versions of the code with `diff`.
Run: `python bench/bench_fit.py [--rounds N] [--repeats N] [--profile] [--dump FILE]`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from mastodon.return_types import Status
from mastodon.types_base import try_cast_recurse

from crosspost.errors import DataError
from crosspost.model import Media, MediaKind, Platform, Post, PostRef
from crosspost.platforms.base import Draft
from crosspost.platforms.registry import spec
from crosspost.preview import read_post, target_limits
from crosspost.sync.drafts import drafts_from_plan
from crosspost.sync.quotes import offline_quote, with_quote
from crosspost.text.count import overflow
from crosspost.text.fit import FitOptions, FitPlan, plan_fit
from crosspost.text.html_read import richtext_from_html

BLUESKY_LIMITS = spec(Platform.BLUESKY).limits
CONVERT_LIMITS = target_limits(Platform.BLUESKY)  # what `crosspost convert` fits to
TARGET = "bluesky:bench"


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


def convert(status: dict[str, Any], options: FitOptions) -> tuple[Post, FitPlan, list[Draft]]:
    """One status as `crosspost convert --to bluesky` converts it, minus the JSON text."""
    post = read_post(Platform.MASTODON, status, "bench@example.social")
    post = with_quote(post, offline_quote(post, Platform.BLUESKY))
    plan = plan_fit(post, CONVERT_LIMITS, options)
    return post, plan, drafts_from_plan(post, plan, TARGET)


def convertible(statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statuses `to_post` takes (a docs example without an id or a date is left out)."""
    kept = []
    for status in statuses:
        try:
            read_post(Platform.MASTODON, status)
        except DataError:
            continue
        kept.append(status)
    return kept


def best_rate(work: Callable[[], int], repeats: int) -> float:
    """Items per second of this process's CPU time (others' load on a shared machine counts
    less than in wall-clock time) for `work`, which returns how many it did; best of `repeats`."""
    best = 0.0
    for _ in range(repeats):
        started = time.process_time()
        done = work()
        best = max(best, done / (time.process_time() - started))
    return best


def over_limits(statuses: list[dict[str, Any]], options: FitOptions) -> tuple[int, int]:
    """(chunks made, chunks over Bluesky's limits) for every status converted end to end."""
    chunks = over = 0
    for status in statuses:
        _, plan, _ = convert(status, options)
        chunks += len(plan.chunks)
        over += sum(overflow(chunk.measure, CONVERT_LIMITS) is not None for chunk in plan.chunks)
    return chunks, over


def as_mastodon_py(status: dict[str, Any]) -> Any:
    """The status as Mastodon.py returns it: its entity types, its dates as datetimes."""
    return try_cast_recurse(Status, json.loads(json.dumps(status)))  # type: ignore[no-untyped-call]


def dump(statuses: list[dict[str, Any]], options: FitOptions, path: Path) -> None:
    """Two lines a status: its conversion from JSON, then from Mastodon.py's entities."""
    with path.open("w", encoding="utf-8") as out:
        for status in statuses:
            for native in (status, as_mastodon_py(status)):
                post, plan, drafts = convert(native, options)
                line = f"{post!r}\t{plan!r}\t{drafts!r}"
                out.write(re.sub(r" at 0x[0-9a-f]+>", ">", line) + "\n")  # the limits' functions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="passes over the fixture set")
    parser.add_argument("--repeats", type=int, default=5, help="timings to take the best of")
    parser.add_argument("--profile", action="store_true", help="profile the end-to-end pass")
    parser.add_argument("--dump", type=Path, help="write every status's conversion here")
    args = parser.parse_args()
    rounds: int = args.rounds
    root = fixtures_root()
    if not root.is_dir():
        print(f"no fixtures at {root} (set CROSSPOST_FIXTURES)", file=sys.stderr)
        return 1
    statuses = load_statuses(root)
    posts = [to_post(status) for status in statuses]
    options = FitOptions()
    chunks = sum(len(plan_fit(post, BLUESKY_LIMITS, options).chunks) for post in posts)

    def fit_all() -> int:
        for _ in range(rounds):
            for post in posts:
                plan_fit(post, BLUESKY_LIMITS, options)
        return len(posts) * rounds

    converted = convertible(statuses)

    def convert_all() -> int:
        for _ in range(rounds):
            for status in converted:
                convert(status, options)
        return len(converted) * rounds

    if args.dump:
        dump(converted, options, args.dump)
    print(f"{len(posts)} Mastodon posts -> Bluesky ({chunks} chunks), {args.rounds} rounds")
    print(f"{best_rate(fit_all, args.repeats):,.0f} posts fitted per second on one core")
    made, over = over_limits(converted, options)
    print(f"end to end: {len(converted)} statuses -> {made} drafts, {over} over Bluesky's limits")
    print(f"{best_rate(convert_all, args.repeats):,.0f} statuses converted per second on one core")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(convert_all)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    sys.exit(main())
