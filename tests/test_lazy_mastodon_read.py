"""Reading a Mastodon account's latest statuses (what an idle `crosspost sync` does with a
Mastodon source) loads the reading half of the client only: no writing, collections, edit
history, profile or instance module, and no Mastodon.py object. Against mastodon-mock on
loopback, in a fresh process (this one has everything loaded)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mastodon import Mastodon

from tests.backup_mastodon import TOKEN, Mock, mastodon_mock
from tests.fixtures import PROJECT_ROOT

__all__ = ["mastodon_mock"]

NOT_FOR_READING = tuple(
    f"crosspost.platforms.mastodon.{name}"
    for name in ("write", "collections", "history", "profile", "instance", "software")
)
READ = """
import json, sys
from crosspost.accounts import Account
from crosspost.model import Platform
from crosspost.platforms.base import RetryPolicy
from crosspost.platforms.registry import spec
from crosspost.platforms.spec import NO_SECRETS, ClientRequest

base, identity, token = sys.argv[1:]
account = Account("masto", Platform.MASTODON, identity, service=base)
credentials = {"access_token": token}
request = ClientRequest(account, credentials, NO_SECRETS, RetryPolicy())
client = spec(Platform.MASTODON).open_client(request)
texts = [post.text.text for post in client.fetch_page().posts]
print(json.dumps({"texts": texts, "modules": sorted(sys.modules)}))
"""


def read_in_fresh_process(mock: Mock) -> tuple[list[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", READ, mock.base_url, mock.identity, TOKEN],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    return answer["texts"], set(answer["modules"])


@pytest.fixture
def read(mastodon_mock: Mock, tmp_path: Path) -> tuple[list[str], set[str]]:
    api = Mastodon(
        access_token=TOKEN, api_base_url=mastodon_mock.base_url, version_check_mode="none"
    )
    api.status_post("read me #crosspost")
    return read_in_fresh_process(mastodon_mock)


def test_reading_statuses_loads_the_reading_half_only(read: tuple[list[str], set[str]]) -> None:
    texts, modules = read
    assert texts == ["read me #crosspost"]
    assert sorted(modules & set(NOT_FOR_READING)) == []


def test_reading_statuses_imports_no_mastodon_py(read: tuple[list[str], set[str]]) -> None:
    _, modules = read
    assert "mastodon" not in modules
