"""mastodon-mock (a local Mastodon-API server) on a free loopback port, for backup tests and
benchmarks that replay no cassette (so they need not hold tests/mastodon_server.py's pinned port),
with its fault-injection control plane: error statuses, 429s, malformed JSON, added latency."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

HOST = "127.0.0.1"
TOKEN = "alice_token"  # mastodon-mock's seeded test account, not a real credential


@dataclass(frozen=True)
class Mock:
    base_url: str

    @property
    def identity(self) -> str:
        return f"alice@{HOST}"

    def fault(
        self, effect: dict[str, Any], *, path_regex: str = ".*", count: int | None = 1
    ) -> None:
        """Add a rule: `effect` as mastodon-mock takes it ({"type": "status", "status": 503},
        {"type": "malformed"}, {"type": "latency", "delay_ms": 20} ...); count None: forever."""
        rule: dict[str, Any] = {"match": {"path_regex": path_regex}, "effect": effect}
        if count is not None:
            rule["count"] = count
        response = requests.post(f"{self.base_url}/api/v1/_mock/faults", json=rule, timeout=5)
        response.raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(f"{self.base_url}/api/v1/_mock/faults", timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(media_dir: Path, port: int | None = None) -> Iterator[Mock]:
    """mastodon-mock with the routes that make it answer as Mastodon does (ordering and paging
    of favourites, bookmarks and follows, missing.png placeholders, ...): see
    tests/mastodon_account_server.py."""
    from tests.mastodon_account_server import serving as extended

    with extended(media_dir, port) as mock:
        yield mock


@pytest.fixture
def mastodon_mock(tmp_path: Path) -> Iterator[Mock]:
    with serving(tmp_path / "mastodon-media") as mock:
        yield mock
