"""Render the same backups into OUT, to compare what two versions of the viewer write.

Renders bench_view's backup of 10,000 posts (and again after 10 new posts), the test sample
with every kind of post, and the hostile post of the escaping test; the backups are made once
in OUT/backups and reused. A change that must not change the pages is checked with
`python -m bench.view_sites /tmp/a` on one version and `python -m bench.view_sites /tmp/b
--backups /tmp/a/backups` on the other, then `diff -r /tmp/a/sites /tmp/b/sites`.
Run: `python -m bench.view_sites OUT [--backups DIR] [--posts N]`.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from bench.bench_view import build_backup
from crosspost.view import render_site
from tests.test_view_escape import hostile_post
from tests.test_view_sample import build_sample

NAMES = ("bench", "bench10", "sample", "hostile")


def build_backups(folder: Path, posts: int) -> None:
    build_backup(folder / "bench", posts)
    shutil.copytree(folder / "bench", folder / "bench10")
    build_backup(folder / "bench10", 10, first=posts)
    build_sample(folder / "sample")
    hostile_post(folder / "hostile")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--backups", type=Path, help="reuse these (default: OUT/backups)")
    parser.add_argument("--posts", type=int, default=10_000)
    args = parser.parse_args()
    backups = args.backups or args.out / "backups"
    if not backups.exists():
        build_backups(backups, args.posts)
    for name in NAMES:
        site = args.out / "sites" / name
        shutil.rmtree(site, ignore_errors=True)
        report = render_site(backups / name, site)
        print(f"{name}: {report.pages:,} files in {site}")


if __name__ == "__main__":
    main()
