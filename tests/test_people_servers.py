"""`crosspost people --check`: bridged addresses looked up on a server of the target network,
found or not found. Mastodon: the Mastodon-shaped server (tests/mastodon_account_server.py),
its /api/v2/search answering `resolve=true` as Mastodon's Api::V2::SearchController does (401
without a signed-in account; an exact `user@domain` address gives that account once the server
knows it, which WebFinger resolution does on a real server: here the test seeds it). Bluesky:
the real local PDS's com.atproto.identity.resolveHandle."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from mastodon_mock.db.models import Account
from mastodon_mock.deps import Config, CurrentAccount, DbSession
from mastodon_mock.serializers.accounts import serialize_account
from sqlalchemy import func, select

import tests.mastodon_account_server as mastodon_server
from crosspost.account_data import Collection, Entry, Person
from crosspost.backup.account_files import save_collection
from crosspost.backup.people import Status, people
from crosspost.backup.store import AccountBackup
from crosspost.model import Platform
from crosspost.platforms.bridging import Server
from tests.backup_mastodon import TOKEN, Mock
from tests.bluesky_pds import LocalPds, create_account, local_pds
from tests.cli_helpers import run_cli

__all__ = ["local_pds"]
NOW = datetime(2026, 8, 1, tzinfo=UTC)
RESOLVE_401 = (
    "Search queries that resolve remote resources are not supported without authentication"
)

resolving = APIRouter()


@resolving.post("/_test/remote_account")
async def add_remote(request: Request, db: DbSession) -> dict[str, str]:
    """What a WebFinger resolution leaves on a real server: the remote account, known."""
    body = await request.json()
    db.add(Account(username=body["username"], domain=body["domain"], display_name="", fields=[]))
    db.commit()
    return {"ok": "yes"}


@resolving.get("/api/v2/search")
def search(
    db: DbSession, config: Config, viewer: CurrentAccount, q: str, resolve: bool = False
) -> Any:
    if resolve and viewer is None:
        return JSONResponse({"error": RESOLVE_401}, status_code=401)
    user, _, domain = q.strip().lstrip("@").partition("@")
    found = db.scalars(
        select(Account).where(
            func.lower(Account.username) == user.lower(),
            func.lower(Account.domain) == domain.lower(),
        )
    ).all()
    accounts = [serialize_account(db, a, config) for a in found]
    return {"accounts": accounts, "statuses": [], "hashtags": []}


@pytest.fixture
def mastodon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mock]:
    original = mastodon_server.extend

    def extend(app: FastAPI) -> None:
        original(app)
        before = len(app.router.routes)
        app.include_router(resolving)
        added = app.router.routes[before:]
        del app.router.routes[before:]
        app.router.routes[0:0] = added

    monkeypatch.setattr(mastodon_server, "extend", extend)
    with mastodon_server.serving(tmp_path / "media") as mock:
        yield mock


def backup_with(tmp_path: Path, platform: Platform, followed: list[Person]) -> AccountBackup:
    folder = tmp_path / "backup" / platform.value / "me"
    (folder / "posts").mkdir(parents=True)
    backup = AccountBackup(folder, platform, "me")
    entries = [Entry(p.id, person=p) for p in followed]
    save_collection(backup, Collection.FOLLOWING, entries, NOW, complete=True)
    return backup


def bluesky_follows() -> list[Person]:
    return [Person("did:plc:alice", "alice.bsky.social"), Person("did:plc:bob", "bob.bsky.social")]


def test_mastodon_finds_the_bridged_account_it_knows(tmp_path: Path, mastodon: Mock) -> None:
    import httpx

    seeded = {"username": "alice.bsky.social", "domain": "bsky.brid.gy"}
    httpx.post(f"{mastodon.base_url}/_test/remote_account", json=seeded).raise_for_status()
    backup = backup_with(tmp_path, Platform.BLUESKY, bluesky_follows())
    out = tmp_path / "out"
    report = people(backup, Platform.MASTODON, out, server=Server(mastodon.base_url, TOKEN))
    assert [(r.person.handle, r.status, r.address) for r in report.rows] == [
        ("alice.bsky.social", Status.FOUND, "alice.bsky.social@bsky.brid.gy"),
        ("bob.bsky.social", Status.NOT_FOUND, "bob.bsky.social@bsky.brid.gy"),
    ]
    listed = list(csv.reader(io.StringIO((out / "following_accounts.csv").read_text())))
    assert listed[1:] == [["alice.bsky.social@bsky.brid.gy", "true", "false", ""]]
    assert report.summary() == "2 followed accounts: 1 found, 1 not found; 1 listed for Mastodon"


def test_mastodon_without_a_token_says_lookups_need_one(tmp_path: Path, mastodon: Mock) -> None:
    backup = backup_with(tmp_path, Platform.BLUESKY, bluesky_follows())
    report = people(backup, Platform.MASTODON, tmp_path / "out", server=Server(mastodon.base_url))
    assert report.counts() == {Status.MAY_BE: 2}  # not checked, and not guessed either way
    assert report.check_error is not None
    assert "signed-in account" in report.check_error


def test_the_command_checks_with_a_configured_account(
    tmp_path: Path, mastodon: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = backup_with(tmp_path, Platform.BLUESKY, bluesky_follows())
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.masto]\nplatform = "mastodon"\nhandle = "alice@mock.test"\n'
        f'service = "{mastodon.base_url}"\n'
    )
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    done = run_cli(
        "people", str(backup.folder), "--to", "mastodon", "--check", "masto", "-c", str(config)
    )
    assert done.code == 0, done.err
    assert done.out.splitlines()[0] == ("2 followed accounts: 2 not found; 0 listed for Mastodon")
    wrong = run_cli(
        "people", str(backup.folder), "--to", "bluesky", "--check", "masto", "-c", str(config)
    )
    assert wrong.code != 0
    assert "--check needs one on Bluesky" in wrong.err


def test_bluesky_resolves_the_original_of_a_bridge_copy(
    tmp_path: Path, local_pds: LocalPds
) -> None:
    account = create_account(local_pds.url)
    followed = [
        Person("https://bsky.brid.gy/ap/" + account.did, f"{account.handle}@bsky.brid.gy"),
        Person("https://bsky.brid.gy/ap/did:plc:gone", "gone.test@bsky.brid.gy"),
    ]
    backup = backup_with(tmp_path, Platform.MASTODON, followed)
    offline = people(backup, Platform.BLUESKY, tmp_path / "offline")
    assert offline.counts() == {Status.ORIGINAL: 2}
    out = tmp_path / "out"
    report = people(backup, Platform.BLUESKY, out, server=Server(local_pds.url))
    assert [(r.status, r.address) for r in report.rows] == [
        (Status.FOUND, account.did),
        (Status.NOT_FOUND, "gone.test"),
    ]
    assert (out / "following_dids.txt").read_text() == f"{account.did}\n"
    assert not (out / "following_handles.txt").exists()
