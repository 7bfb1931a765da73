"""Locate the shared real-world fixtures (read in place, never copied into the project).

The folder is `../shared/fixtures` beside the checkout, or wherever `CROSSPOST_FIXTURES` points.
On a fresh clone without it, tests that need it skip and say why.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def fixtures_root() -> Path | None:
    configured = os.environ.get("CROSSPOST_FIXTURES")
    root = Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "fixtures"
    return root if root.is_dir() else None


SKIP_REASON = (
    "shared fixtures not found (expected ../shared/fixtures beside the checkout, "
    "or a folder named by CROSSPOST_FIXTURES)"
)


def fixture_path(relative: str) -> Path:
    """The path of one fixture file; skips the calling test when it is absent."""
    root = fixtures_root()
    if root is None:
        pytest.skip(SKIP_REASON)
    path = root / relative
    if not path.exists():
        pytest.skip(f"fixture {relative} is missing under {root}")
    return path


def fixture_params(pattern: str) -> list[Any]:
    """pytest parameters, one per fixture file matching a glob (relative to the fixtures root).

    With no fixtures folder, a single skipped parameter says why instead of an empty set.
    """
    root = fixtures_root()
    if root is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=SKIP_REASON), id="no-fixtures")]
    files = sorted(root.glob(pattern))
    if not files:
        reason = f"no fixture matches {pattern} under {root}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="none-matched")]
    return [pytest.param(path, id=str(path.relative_to(root))) for path in files]
