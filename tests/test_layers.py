"""The import rules of DESIGN.md, read from the source with `ast`: imports point downwards only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from crosspost.model import Platform
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
    "progress": set(),
    "model_codec": {"errors"},
    "model": {"errors", "model_codec"},
    # A profile and collections: the model's sibling for what an account is besides its posts.
    "account_data": {"errors", "model", "model_codec"},
    "text": {"errors", "model", "text", "identifiers"},
    "accounts": {"errors", "model"},
    # The platform folders and their registry: below everything that asks `spec(platform)`.
    "platforms": {
        "errors",
        "model",
        "account_data",
        "identifiers",
        "accounts",
        "text",
        "platforms",
    },
    "credentials": {"errors", "model", "account_data", "accounts", "platforms"},
    "config": {"errors", "model", "account_data", "accounts", "platforms"},
    "exports": {"errors", "model", "account_data", "platforms", "exports"},
    "state": {"errors", "model"},
    "clients": {"errors", "model", "account_data", "accounts", "credentials", "platforms"},
    # A community user's credentials: an encrypted file, as a keyring backend for credentials.
    "secrets_store": {"errors"},
    "backup": {
        "errors",
        "model",
        "account_data",
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
        "account_data",
        "accounts",
        "config",
        "platforms",
        "state",
        "text",
        "backup",
        "progress",
        "clients",
        "credentials",
    },
    "view": {"errors", "model", "account_data", "backup", "text", "progress", "platforms"},
    "preview": {"errors", "model", "account_data", "platforms", "sync", "text"},
    # Queued sync jobs (Huey): the engine per rule and target, under job locks and budgets.
    "worker": {
        "errors",
        "model",
        "accounts",
        "config",
        "platforms",
        "state",
        "sync",
        "clients",
        "credentials",
    },
    # Many users' configs, ledgers and secrets: what a worker for a community is set up from.
    "community": {"errors", "config", "credentials", "secrets_store", "worker", "accounts"},
    "cli": {
        "errors",
        "model",
        "account_data",
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
        "preview",
        "progress",
        "clients",
        "worker",
        "community",
        "secrets_store",
    },
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
    names = {p.value for p in Platform}
    for path in folder.rglob("*.py"):
        if path.name == "registry.py":
            continue  # the one place that names every platform
        own = next((n for n in names if n in path.relative_to(folder).parts[0]), None)
        for module, line in project_imports(path):
            for other in names - {own}:
                assert f"platforms.{other}" not in module, f"{path}:{line} imports {module}"


def test_click_is_never_imported_directly() -> None:
    for path in PACKAGE.rglob("*.py"):
        for module, line in project_imports(path):
            assert module.split(".")[0] != "click", f"{path}:{line}: use typer, not click"


def module_name(path: Path, root: Path) -> str:
    """`crosspost/sync/engine.py` -> `crosspost.sync.engine`; a package's `__init__.py` is the
    package."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path, known: set[str]) -> set[str]:
    """The modules of `known` a file imports, wherever the import sits (in a function too).
    `from a import b` names `a.b` when that is a module, else `a`; relative imports resolved."""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names = {f"{module}.{alias.name}" for alias in node.names}
            found |= names & known
            if names - known:  # a name defined in `module` itself
                found.add(module)
    return found & known


def import_graph(root: Path, package: str = "crosspost") -> dict[str, set[str]]:
    """module -> the project modules it imports, over every .py file of the package."""
    files = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    return {name: imported_modules(path, root, set(files)) - {name} for name, path in files.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles (a -> b -> ... -> a) among modules that import each other: Tarjan's strongly
    connected components, then the shortest way round through each module of a component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for child in sorted(graph[node]):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            group: set[str] = set()
            while node not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    cycles: list[list[str]] = []
    for group in groups:
        for start in sorted(group):
            cycle = _shortest_cycle(graph, group, start)
            first = cycle.index(min(cycle))
            rotated = [*cycle[first:-1], *cycle[:first], cycle[first]]
            if rotated not in cycles:
                cycles.append(rotated)
    return cycles


def _shortest_cycle(graph: dict[str, set[str]], group: set[str], start: str) -> list[str]:
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & group):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError(f"no cycle through {sorted(group)}")


def test_no_import_cycles() -> None:
    cycles = import_cycles(import_graph(PROJECT_ROOT))
    assert not cycles, "import cycles (imports inside functions count):\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles
    )


def test_the_cycle_checker_sees_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    package = tmp_path / "crosspost"
    (package / "sync").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sync" / "__init__.py").write_text("")
    (package / "sync" / "engine.py").write_text("from . import helper\n")
    (package / "sync" / "helper.py").write_text(
        "def go():\n    from crosspost.sync.engine import Engine\n"
    )
    (package / "top.py").write_text("from crosspost.sync.helper import go\n")
    cycles = import_cycles(import_graph(tmp_path))
    assert cycles == [["crosspost.sync.engine", "crosspost.sync.helper", "crosspost.sync.engine"]]


def test_the_checker_sees_a_bad_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from crosspost.cli import app\nimport typer\n")
    assert project_imports(bad) == [("crosspost.cli", 1), ("typer", 2)]


def _platform_names(path: Path) -> list[tuple[int, str]]:
    """(line, what) for each place a module names a specific platform: a `Platform.MEMBER`, or
    an import of a platform's folder."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    members = {p.name for p in Platform}
    found = [
        (node.lineno, f"Platform.{node.attr}")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in members
        and isinstance(node.value, ast.Name)
        and node.value.id == "Platform"
    ]
    folders = {f"crosspost.platforms.{p.value}" for p in Platform}
    found += [
        (line, module)
        for module, line in project_imports(path)
        if any(module == f or module.startswith(f + ".") for f in folders)
    ]
    return found


def test_only_the_platform_folders_and_the_registry_name_a_platform() -> None:
    """Outside `platforms/`, the house asks `spec(platform)` and never branches on a platform:
    a fourth platform is then one folder, one registry line and the enum."""
    outside = [p for p in PACKAGE.rglob("*.py") if "platforms" not in p.relative_to(PACKAGE).parts]
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: {what}"
        for path in outside
        for line, what in _platform_names(path)
    ]
    assert offenders == []


def test_text_has_no_platform_named_module() -> None:
    names = {p.value for p in Platform}
    modules = [p.stem for p in (PACKAGE / "text").glob("*.py")]
    assert [m for m in modules if any(name in m for name in names)] == []


def test_the_platform_checker_sees_a_branch(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from crosspost.platforms.bluesky.read import to_post\n"
        "if p is Platform.MASTODON:\n    pass\n"
    )
    assert _platform_names(bad) == [
        (2, "Platform.MASTODON"),
        (1, "crosspost.platforms.bluesky.read"),
    ]
