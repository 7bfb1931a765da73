"""Golden files: the expected JSON of a conversion kept under tests/golden/<platform>/, compared
exactly, and rewritten on request (granary's testdata pairs, with a diff on failure).

A file holds the JSON pretty-printed with sorted keys, non-ASCII kept as it is and a final
newline, so a change reads as a short diff in review. `pytest --update-golden` (tests/conftest.py)
rewrites every file a test compares with instead of failing: check the result with `git diff`.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

GOLDEN_ROOT = Path(__file__).resolve().parent / "golden"

_update = False


def set_update(on: bool) -> None:
    """Called once by tests/conftest.py with the --update-golden option."""
    global _update
    _update = on


def golden_text(actual_json: Any) -> str:
    """How a golden file spells a value."""
    return json.dumps(actual_json, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check_golden(path: Path, actual_json: Any, *, update: bool | None = None) -> None:
    """Fail with a unified diff unless `path` holds `actual_json`; with --update-golden (or
    `update=True`), write it there instead. A relative path is taken under tests/golden/."""
    path = path if path.is_absolute() else GOLDEN_ROOT / path
    actual = golden_text(actual_json)
    expected = path.read_text(encoding="utf-8") if path.exists() else None
    if actual == expected:
        return
    if _update if update is None else update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    diff = difflib.unified_diff(
        (expected or "").splitlines(keepends=True),
        actual.splitlines(keepends=True),
        f"{path} (expected)",
        "actual",
    )
    missing = "is missing" if expected is None else "differs"
    pytest.fail(
        f"golden file {path} {missing} (rerun with --update-golden to write it):\n" + "".join(diff),
        pytrace=False,
    )
