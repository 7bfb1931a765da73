"""The import rules of DESIGN.md, read from the source with `ast`: imports point downwards only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.fixtures import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "crosspost"
SDKS = {"atproto", "atproto_client", "atproto_core", "mastodon", "pytumblr", "requests_oauthlib"}
UI = {"typer", "rich", "click"}

# Layer of each top-level module or package, lowest first. A module may import only from its
# own layer's allowed list. `errors` sits below the model so the project has one exception tree;
# `model_codec` (the model's generic JSON codec) sits below the model, importing only `errors`.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "identifiers": set(),
    "model_codec": {"errors"},
    "model": {"errors", "model_codec"},
    "accounts": {"errors", "model", "identifiers"},
    "config": {"errors", "model", "accounts"},
    "credentials": {"errors", "model", "accounts"},
    "text": {"errors", "model", "text", "identifiers"},
    "platforms": {"errors", "model", "accounts", "credentials", "text", "platforms"},
    "exports": {"errors", "model", "text", "platforms", "exports"},
    "state": {"errors", "model"},
    "convert": {"errors", "model", "text", "platforms"},
    "progress": set(),
    "clients": {"errors", "model", "accounts", "credentials", "platforms"},
    "backup": {
        "errors",
        "model",
        "accounts",
        "platforms",
        "exports",
        "state",
        "text",
        "progress",
        "clients",
        "credentials",
    },
    "sync": {
        "errors",
        "model",
        "accounts",
        "config",
        "platforms",
        "state",
        "text",
        "backup",
        "progress",
        "clients",
        "credentials",
        "convert",
    },
    "cli": {
        "errors",
        "model",
        "accounts",
        "config",
        "credentials",
        "text",
        "platforms",
        "exports",
        "state",
        "backup",
        "sync",
        "view",
        "convert",
        "progress",
        "clients",
    },
    "view": {"errors", "model", "backup", "text", "progress"},
}


def project_imports(path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import in a file, absolute or relative."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts[: -node.level])
                found.append((f"{base}.{node.module}" if node.module else base, node.lineno))
            elif node.module:
                found.append((node.module, node.lineno))
    return found


def layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name not in {"__init__.py", "__main__.py"})


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_downwards(path: Path) -> None:
    layer = layer_of(path)
    assert layer in ALLOWED, f"{layer} has no place in the layer table of tests/test_layers.py"
    for module, line in project_imports(path):
        top = module.split(".")[0]
        if top == "crosspost":
            target = module.split(".")[1] if "." in module else ""
            assert target in ALLOWED[layer] | {layer, ""}, (
                f"{path.relative_to(PROJECT_ROOT)}:{line} imports crosspost.{target}; "
                f"{layer} may import only {sorted(ALLOWED[layer])}"
            )
        assert layer == "cli" or top not in UI, f"{path}:{line}: only cli.py may import {top}"
        assert layer == "platforms" or top not in SDKS, (
            f"{path}:{line}: only platform adapters may import the SDK {top}"
        )


def test_platforms_never_import_each_other() -> None:
    folder = PACKAGE / "platforms"
    if not folder.exists():
        pytest.skip("no platform adapters yet")
    names = {"bluesky", "mastodon", "tumblr"}
    for path in folder.rglob("*.py"):
        own = next((n for n in names if n in path.relative_to(folder).parts[0]), None)
        for module, line in project_imports(path):
            for other in names - {own}:
                assert f"platforms.{other}" not in module, f"{path}:{line} imports {module}"


def test_click_is_never_imported_directly() -> None:
    for path in PACKAGE.rglob("*.py"):
        for module, line in project_imports(path):
            assert module.split(".")[0] != "click", f"{path}:{line}: use typer, not click"


def test_the_checker_sees_a_bad_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from crosspost.cli import app\nimport typer\n")
    assert project_imports(bad) == [("crosspost.cli", 1), ("typer", 2)]
