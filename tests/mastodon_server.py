"""pytest fixtures running mastodon-mock (a local Mastodon-API server) on a pinned loopback port,
extended by tests/mastodon_account_server.py where it answers otherwise than Mastodon.

https://pypi.org/project/mastodon-mock/ . The port is pinned so cassettes recorded from it
replay (vcrpy matches host and port). Import the fixtures into a test module to use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

if TYPE_CHECKING:
    from tests.mastodon_account_server import ApiLimits

HOST = "127.0.0.1"
PORT = 38471  # pinned: cassettes name it
BASE_URL = f"http://{HOST}:{PORT}"
TOKEN = "alice_token"  # mastodon-mock's seeded test account, not a real credential
IDENTITY = f"alice@{HOST}"


@dataclass
class MockMastodon:
    """A running mastodon-mock; `fault` adds a fault-injection rule; `limits` counts its API
    requests as Mastodon does (generous unless a test narrows them)."""

    base_url: str
    limits: ApiLimits | None = None

    def fault(self, path: str, *, status: int, count: int = 1, **effect: Any) -> None:
        kind = "ratelimit" if status == 429 else "status"
        rule: dict[str, Any] = {
            "match": {"path": path},
            "effect": {"type": kind, "status": status, **effect},
            "count": count,
        }
        response = requests.post(f"{self.base_url}/api/v1/_mock/faults", json=rule, timeout=5)
        response.raise_for_status()


def _serve(media_dir: Path) -> Iterator[MockMastodon]:
    # Extended to answer an account's collections as Mastodon does (mastodon_account_server.py).
    from tests.mastodon_account_server import ApiLimits, serving

    limits = ApiLimits()
    with ExitStack() as stack:
        try:
            stack.enter_context(serving(media_dir, PORT, limits=limits))
        except RuntimeError as error:
            pytest.fail(f"{error} (is the pinned port taken?)")
        yield MockMastodon(BASE_URL, limits)


@pytest.fixture
def mastodon_server(tmp_path: Path) -> Iterator[MockMastodon]:
    """A fresh mastodon-mock per test (in-memory database, ~1 s to start)."""
    yield from _serve(tmp_path / "media")


@pytest.fixture
def recording_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MockMastodon]:
    """The server while recording cassettes; only its address when they replay (no server)."""
    if request.config.getoption("--record-mode", default="none") == "none":
        yield MockMastodon(BASE_URL)
    else:
        yield from _serve(tmp_path / "media")
