"""A real local Bluesky PDS for integration tests (tools/pds/pds.sh), one per test session.

Skips, saying why, where the launcher is not installed, unless CROSSPOST_REQUIRE_PDS is set (CI),
in which case a missing PDS fails the run. Import the fixtures into a test module to use them.
`recording_pds` serves the cassette tests (tests/test_bluesky_replay.py) on a pinned port.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.fixtures import PROJECT_ROOT

LAUNCHER = PROJECT_ROOT / "tools" / "pds" / "pds.sh"
_handles = itertools.count(1)


@dataclass(frozen=True)
class LocalPds:
    url: str
    pid: int


@dataclass(frozen=True)
class PdsAccount:
    url: str
    handle: str
    did: str
    password: str  # an app password made for the account, as a user would use


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_pds(
    data_dir: Path, port: int | None = None, extra_env: dict[str, str] | None = None
) -> LocalPds:
    env = dict(os.environ) | (extra_env or {})
    env["CROSSPOST_PDS_PORT"] = str(port or _free_port())
    done = subprocess.run(
        [str(LAUNCHER), "start", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the local PDS did not start:\n{done.stderr[-2000:]}")
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return LocalPds(values["PDS_URL"], int(values["PDS_PID"]))


def pds_installed() -> bool:
    done = subprocess.run([str(LAUNCHER), "check"], capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture(scope="session")
def local_pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPds]:
    if not pds_installed():
        message = "local PDS not installed: run .ci/setup-pds.sh (tools/pds/pds.sh install)"
        if os.environ.get("CROSSPOST_REQUIRE_PDS"):
            pytest.fail(f"CROSSPOST_REQUIRE_PDS is set but the {message}")
        pytest.skip(message)
    port = os.environ.get("CROSSPOST_PDS_PORT")
    pds = start_pds(tmp_path_factory.mktemp("pds"), int(port) if port else None)
    yield pds
    subprocess.run([str(LAUNCHER), "stop", str(pds.pid)], capture_output=True, check=False)


REPLAY_PORT = 38473  # pinned for recording cassettes: vcrpy matches host and port
REPLAY_URL = f"http://localhost:{REPLAY_PORT}"


@pytest.fixture(scope="session")
def recording_pds(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The PDS URL for cassette tests: a fresh PDS on the pinned port while recording
    (`--record-mode=rewrite`), only the address when the cassettes replay (no PDS at all)."""
    if request.config.getoption("--record-mode", default="none") == "none":
        yield REPLAY_URL
        return
    if not pds_installed():
        pytest.fail("recording Bluesky cassettes needs the local PDS (tools/pds/pds.sh install)")
    pds = start_pds(tmp_path_factory.mktemp("pds-recording"), REPLAY_PORT)
    yield pds.url
    subprocess.run([str(LAUNCHER), "stop", str(pds.pid)], capture_output=True, check=False)


def create_account(
    url: str, handle: str | None = None, headers: dict[str, str] | None = None
) -> PdsAccount:
    """A fresh account on the PDS, and an app password for it (`headers` on every call: a
    rate-limit bypass key, say)."""
    handle = handle or f"user{next(_handles)}-{secrets.token_hex(3)}.test"
    password = secrets.token_urlsafe(16)
    with httpx.Client(base_url=f"{url}/xrpc", timeout=30, headers=headers) as http:
        made = http.post(
            "com.atproto.server.createAccount",
            json={"handle": handle, "email": f"{handle}@example.com", "password": password},
        )
        made.raise_for_status()
        body = made.json()
        auth = {"Authorization": f"Bearer {body['accessJwt']}"}
        app = http.post(
            "com.atproto.server.createAppPassword", json={"name": "crosspost"}, headers=auth
        )
        app.raise_for_status()
    return PdsAccount(url, handle, body["did"], app.json()["password"])


@pytest.fixture
def pds_account(local_pds: LocalPds) -> PdsAccount:
    return create_account(local_pds.url)
