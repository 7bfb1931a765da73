"""Shared test setup: no real keyring, no stray CROSSPOST_* settings, cassettes that replay only
(and only to requests with the recorded body), and the --update-golden option (tests/golden.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from tests import golden
from tests.fixtures import PROJECT_ROOT
from tests.memory_keyring import MemoryKeyring
from tests.scrub import register_matchers, vcr_options


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files under tests/golden/ instead of failing (tests/golden.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    golden.set_update(bool(config.getoption("--update-golden")))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test gets an empty in-memory keyring, no CROSSPOST_* variables and private dirs."""
    import os

    for name in list(os.environ):
        if name.startswith("CROSSPOST_") and name != "CROSSPOST_FIXTURES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    return backend


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Scrubbed at record time; replayed only when method, address and body all match."""
    return vcr_options()


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """The body matcher every cassette test uses (tests/scrub.py: `match_body`)."""
    register_matchers(vcr)


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """Cassettes live under cassettes/<test module>/ at the top of the project."""
    module = request.module.__name__.rpartition(".")[2]
    return str(PROJECT_ROOT / "cassettes" / module)
