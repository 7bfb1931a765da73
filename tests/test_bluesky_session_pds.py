"""Bluesky sessions are kept between runs, even with the app password in the environment: a run
refreshes the kept session (refreshSession) instead of logging in (createSession, which
bsky.social limits tightly), and logs in only when the session is refused. On the real local PDS
(tests/bluesky_pds.py)."""

from __future__ import annotations

import base64
import json
import stat
import time
from pathlib import Path

from atproto_client.client.session import Session
from keyring.backends import fail

from crosspost.accounts import Account
from crosspost.credentials import KEYRING_SERVICE, SESSION_SERVICE, Secrets, keyring_user
from crosspost.model import Platform, RichText
from crosspost.platforms.base import Draft
from crosspost.platforms.bluesky.client import BlueskyClient
from tests.bluesky_pds import PdsAccount, local_pds, pds_account
from tests.memory_keyring import MemoryKeyring

__all__ = ["local_pds", "pds_account"]
LOGIN = "com.atproto.server.createSession"
REFRESH = "com.atproto.server.refreshSession"


def account_of(pds_account: PdsAccount) -> Account:
    return Account("alice", Platform.BLUESKY, pds_account.handle, service=pds_account.url)


def headless(pds_account: PdsAccount, state: Path) -> Secrets:
    """A machine without a keyring: the app password in the environment, as on a server."""
    env = {account_of(pds_account).secret_env: pds_account.password}
    no_keyring = fail.Keyring()  # type: ignore[no-untyped-call]
    return Secrets(backend=no_keyring, environ=env, session_dir=state)


def run(store: Secrets, pds_account: PdsAccount, text: str) -> BlueskyClient:
    """One scheduled run: a fresh client that publishes one post."""
    client = BlueskyClient(account_of(pds_account), credentials=store)
    client.publish(Draft(RichText(text), f"run:{text}"))
    return client


def test_a_second_run_with_the_password_in_the_environment_does_not_log_in(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    first = run(headless(pds_account, tmp_path), pds_account, "one")
    assert first.xrpc.calls[LOGIN] == 1
    (kept,) = tmp_path.iterdir()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert pds_account.password not in kept.read_text()
    second = run(headless(pds_account, tmp_path), pds_account, "two")
    assert second.xrpc.calls[LOGIN] == 0
    assert second.logins == 0


def test_with_a_keyring_the_session_is_kept_apart_from_the_password(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    backend = MemoryKeyring()
    account = account_of(pds_account)
    env = {account.secret_env: pds_account.password}
    run(Secrets(backend=backend, environ=env, session_dir=tmp_path), pds_account, "one")
    user = keyring_user(account)
    assert backend.get_password(SESSION_SERVICE, user)
    assert backend.get_password(KEYRING_SERVICE, user) is None  # the password stays in the env
    assert not list(tmp_path.iterdir())
    second = run(Secrets(backend=backend, environ=env, session_dir=tmp_path), pds_account, "two")
    assert second.xrpc.calls[LOGIN] == 0


def _expired_jwt(did: str) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"scope": "com.atproto.appPass", "sub": did, "exp": int(time.time()) - 60}
    return f"{part({'typ': 'at+jwt', 'alg': 'HS256'})}.{part(claims)}.c2ln"


def _kept_with(store: Secrets, account: Account, **changes: str) -> None:
    kept = store.load_session(account)
    assert kept is not None
    session = Session.decode(kept)
    for name, value in changes.items():
        setattr(session, name, value)
    store.save_session(account, session.encode())


def test_an_expired_access_token_is_refreshed_not_logged_in_again(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    store = headless(pds_account, tmp_path)
    first = run(store, pds_account, "one")
    _kept_with(store, first.account, access_jwt=_expired_jwt(first.did))
    second = run(headless(pds_account, tmp_path), pds_account, "two")
    assert (second.xrpc.calls[REFRESH], second.xrpc.calls[LOGIN]) == (1, 0)
    third = run(headless(pds_account, tmp_path), pds_account, "three")  # the refreshed one
    assert (third.xrpc.calls[REFRESH], third.xrpc.calls[LOGIN]) == (0, 0)


def test_a_refused_session_falls_back_to_logging_in(
    pds_account: PdsAccount, tmp_path: Path
) -> None:
    store = headless(pds_account, tmp_path)
    first = run(store, pds_account, "one")
    _kept_with(
        store,
        first.account,
        access_jwt=_expired_jwt(first.did),
        refresh_jwt=_expired_jwt(first.did).replace("at+jwt", "refresh+jwt"),
    )
    second = run(headless(pds_account, tmp_path), pds_account, "two")
    assert (second.xrpc.calls[REFRESH], second.xrpc.calls[LOGIN]) == (1, 1)
    assert [post.text.text for post in second.fetch_page().posts].count("two") == 1
    third = run(headless(pds_account, tmp_path), pds_account, "three")
    assert third.xrpc.calls[LOGIN] == 0
