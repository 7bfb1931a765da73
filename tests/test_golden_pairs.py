"""Golden pairs: every `tests/golden/<platform>/<case>.native.json` is read into a Post and
converted for every platform, and each result is compared with the file beside it (granary's
testdata pairs: one test per file, so a change shows as a diff of what a post becomes).

For a case `c` of platform `p`:

- `c.native.json`: one post as `p`'s API returns it (hand-written in the documented shapes);
- `c.post.json`: `spec(p).to_post(native, "golden")` as `Post.to_json()`;
- `c.<target>.json`: what `crosspost convert --to <target>` would send, one payload per chunk,
  with the fitting notes and the parts not carried, as it prints them; where the conversion
  raises a CrosspostError, its type and message instead.

`pytest tests/test_golden_pairs.py --update-golden` writes the expected files; review the diff.
A golden file no native case accounts for fails `test_no_golden_file_is_stale`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crosspost.errors import CrosspostError
from crosspost.model import Platform
from crosspost.platforms.registry import spec
from crosspost.preview import convert_native, load_native
from crosspost.text.fit import FitOptions
from tests.golden import GOLDEN_ROOT, check_golden

NATIVE = ".native.json"
POST = ".post.json"
ACCOUNT = "golden"
NOW = datetime(2030, 1, 1, tzinfo=UTC)  # the date a payload without a kept date gets


@dataclass(frozen=True, slots=True)
class Case:
    platform: Platform
    name: str
    native: Path

    @property
    def id(self) -> str:
        return f"{self.platform.value}/{self.name}"

    def golden(self, suffix: str) -> Path:
        return self.native.with_name(self.name + suffix)


def discover(root: Path) -> list[Case]:
    """Every native case under `root`, sorted by platform and name so ids never depend on the
    order the file system lists them in. A folder that names no platform is skipped here and
    reported by `stale_files`."""
    cases = []
    for platform in sorted(Platform, key=lambda p: p.value):
        for native in sorted((root / platform.value).glob("*" + NATIVE)):
            cases.append(Case(platform, native.name.removesuffix(NATIVE), native))
    return cases


def expected_files(case: Case) -> set[Path]:
    """The files a native case is compared with: its post and one file per target."""
    return {case.golden(POST)} | {case.golden(f".{t.value}.json") for t in Platform}


# Golden folders that are not conversion pairs: the on-disk post format (tests/test_model_codec.py).
OTHER_GOLDEN = frozenset({"model"})


def stale_files(root: Path) -> list[Path]:
    """Files under `root` that no native case accounts for: a renamed or deleted case's
    leftovers, a target that is no longer a platform, a folder that names no platform."""
    wanted = {case.native for case in discover(root)}
    for case in discover(root):
        wanted |= expected_files(case)
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path not in wanted
        and path.relative_to(root).parts[0] not in OTHER_GOLDEN
    )


def _error(error: CrosspostError) -> dict[str, Any]:
    return {"error": {"type": type(error).__name__, "message": str(error)}}


def post_json(case: Case) -> dict[str, Any]:
    native = load_native(case.native.read_text(encoding="utf-8"), case.platform)
    try:
        return spec(case.platform).to_post(native, ACCOUNT).to_json()
    except CrosspostError as error:
        return _error(error)


def conversion_json(case: Case, target: Platform) -> dict[str, Any]:
    text = case.native.read_text(encoding="utf-8")
    try:
        result = convert_native(text, case.platform, target, FitOptions(), NOW)
    except CrosspostError as error:
        return _error(error)
    return {
        "payloads": list(result.payloads),
        "notes": list(result.plan.notes),
        # What `crosspost convert` reports beside the notes: the parts no target can take.
        "not_carried": [f"{part.kind}: {part.reason}" for part in result.post.unsupported],
    }


CASES = discover(GOLDEN_ROOT)
TARGETS = sorted(Platform, key=lambda p: p.value)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_native_reads_as_its_golden_post(case: Case) -> None:
    check_golden(case.golden(POST), post_json(case))


@pytest.mark.parametrize(
    ("case", "target"),
    [pytest.param(c, t, id=f"{c.id}.{t.value}") for c in CASES for t in TARGETS],
)
def test_native_converts_to_its_golden_payloads(case: Case, target: Platform) -> None:
    check_golden(case.golden(f".{target.value}.json"), conversion_json(case, target))


def test_every_platform_has_golden_cases() -> None:
    assert {case.platform for case in CASES} == set(Platform)


def test_no_golden_file_is_stale() -> None:
    stale = [str(path.relative_to(GOLDEN_ROOT)) for path in stale_files(GOLDEN_ROOT)]
    assert stale == [], f"golden files without a native case (delete or rename them): {stale}"


def test_a_golden_file_without_its_native_case_is_stale(tmp_path: Path) -> None:
    folder = tmp_path / "mastodon"
    folder.mkdir()
    kept = [folder / "hello.native.json", folder / "hello.post.json"]
    kept += [folder / f"hello.{p.value}.json" for p in Platform]
    orphans = [
        folder / "gone.post.json",  # its native case was deleted
        folder / "gone.bluesky.json",
        folder / "hello.friendica.json",  # a target that is no platform
        tmp_path / "friendica" / "hi.native.json",  # a folder that is no platform
    ]
    for path in kept + orphans:
        path.parent.mkdir(exist_ok=True)
        path.write_text("{}\n", encoding="utf-8")
    assert stale_files(tmp_path) == sorted(orphans)


def test_case_ids_are_stable_unique_and_follow_the_file_names(tmp_path: Path) -> None:
    for name in ("zeta", "alpha", "mid"):  # created out of order
        (tmp_path / "tumblr").mkdir(exist_ok=True)
        (tmp_path / "tumblr" / f"{name}.native.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "bluesky").mkdir()
    (tmp_path / "bluesky" / "one.native.json").write_text("{}\n", encoding="utf-8")
    ids = [case.id for case in discover(tmp_path)]
    assert ids == ["bluesky/one", "tumblr/alpha", "tumblr/mid", "tumblr/zeta"]
    real = [case.id for case in CASES]
    assert real == sorted(real)
    assert len(set(real)) == len(real)
    assert all(case.golden(NATIVE) == case.native for case in CASES)


def test_a_conversion_error_is_recorded_as_its_type_and_message(tmp_path: Path) -> None:
    # A link whose text is longer than a whole Bluesky post cannot be cut anywhere.
    native = tmp_path / "mastodon" / "link.native.json"
    native.parent.mkdir()
    anchor = "read this " * 40
    status = {
        "id": "1",
        "created_at": "2024-01-01T00:00:00Z",
        "content": f'<p><a href="https://example.com/">{anchor}</a></p>',
    }
    native.write_text(json.dumps(status), encoding="utf-8")
    (case,) = discover(tmp_path)
    recorded = conversion_json(case, Platform.BLUESKY)
    assert list(recorded) == ["error"]
    assert recorded["error"]["type"] == "UnfittableError"
    assert recorded["error"]["message"].startswith("cannot fit 'read this read this")
