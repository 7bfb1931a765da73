"""mastodon-mock (a local Mastodon-API server) on a free loopback port, for backup tests and
benchmarks that replay no cassette (so they need not hold tests/mastodon_server.py's pinned port),
with its fault-injection control plane: error statuses, 429s, malformed JSON, added latency."""

from __future__ import annotations

import socket
import threading
import time
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
    import uvicorn
    from mastodon_mock.app import create_app
    from mastodon_mock.config import DatabaseConfig, MastodonMockConfig
    from mastodon_mock.testing.seed import DEFAULT_TEST_SEED

    port = port or free_port()
    config = MastodonMockConfig(
        domain=f"{HOST}:{port}",
        url_scheme="http",
        media_storage_path=str(media_dir),
        database=DatabaseConfig(path=":memory:"),
        seed=DEFAULT_TEST_SEED,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host=HOST, port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"mastodon-mock did not start on port {port}")
        time.sleep(0.02)  # waiting for a real server thread, not test time
    try:
        yield Mock(f"http://{HOST}:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture
def mastodon_mock(tmp_path: Path) -> Iterator[Mock]:
    with serving(tmp_path / "mastodon-media") as mock:
        yield mock
