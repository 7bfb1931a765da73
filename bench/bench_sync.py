"""Benchmark: a sync run with nothing new, and a dry run planning 10,000 posts for 2 targets.

Both on the in-memory fake platforms of the tests (tests/fake_platform.py) and SQLite in memory, so
the figures are the engine's own cost: selection, the ledger, planning (convert + fit) and the
dry run's payload rendering. Issue 8's targets: nothing new in 1 read call per source account and
under 1 s; 10,000 posts planned for 2 targets in under 5 s. Run: `python bench/bench_sync.py`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crosspost.config import SyncRule
from crosspost.sync import SyncEngine
from tests.fake_platform import World, make_config

RULE = SyncRule(name="xp", source="art", targets=("masto", "sky"), include_tags=("crosspost",))


def world_with(posts: int) -> World:
    world = World()
    for n in range(posts):
        text = f"Post number {n} with a link https://example.com/{n} and some words #crosspost"
        world.add("art", text, tags=("crosspost",), minutes=n)
    return world


def bench_nothing_new(posts: int) -> tuple[float, int]:
    world = world_with(posts)
    engine = SyncEngine(make_config(RULE), world.store, world.client, clock=world.network.clock)
    engine.run()
    before = dict(world.network.calls)
    start = time.perf_counter()
    SyncEngine(make_config(RULE), world.store, world.client, clock=world.network.clock).run()
    elapsed = time.perf_counter() - start
    reads = world.network.calls["art:fetch_page"] - before["art:fetch_page"]
    return elapsed, reads


def bench_dry_run(posts: int) -> float:
    world = world_with(posts)
    engine = SyncEngine(
        make_config(RULE), world.store, world.client, clock=world.network.clock, dry_run=True
    )
    start = time.perf_counter()
    report = engine.run()
    elapsed = time.perf_counter() - start
    assert len(report.rules[0].dry_run) == 2 * posts
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    args = parser.parse_args()
    elapsed, reads = bench_nothing_new(1_000)
    print(f"nothing new (1,000 mirrored): {elapsed * 1000:.1f} ms, {reads} read call(s)")
    planned = bench_dry_run(args.posts)
    print(f"dry run, {args.posts:,} posts x 2 targets: {planned:.2f} s")


if __name__ == "__main__":
    main()
