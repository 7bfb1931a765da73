"""An account id known from an earlier backup (its saved profile): listing the statuses takes one
request, no lookup; an id that no longer names the account is looked up again, never trusted.
Against mastodon-mock on loopback (https://docs.joinmastodon.org/methods/accounts/#statuses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mastodon import Mastodon

from crosspost.accounts import Account
from crosspost.backup.result import BackupOptions
from crosspost.backup.runner import run_backup
from crosspost.backup.store import BackupStore
from crosspost.errors import PlatformError
from crosspost.model import Platform
from crosspost.platforms.base import RetryPolicy
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.platforms.mastodon.profile import profile_from_account, saved_account_id
from tests.backup_mastodon import TOKEN, Mock, mastodon_mock
from tests.fake_time import FakeTime
from tests.fixtures import fixture_path

__all__ = ["mastodon_mock"]

POSTS_ONLY = BackupOptions(parts=frozenset({"posts"}))


def api(mock: Mock, token: str) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=mock.base_url, version_check_mode="none")


def client(mock: Mock, *, account_id: str | None = None) -> MastodonClient:
    account = Account("masto", Platform.MASTODON, mock.identity, service=mock.base_url)
    retry = RetryPolicy(sleep=FakeTime().sleep)
    return MastodonClient(account, TOKEN, retry=retry, account_id=account_id)


def texts(reader: MastodonClient) -> list[str]:
    return [post.text.text for post in reader.fetch_page().posts]


def test_an_incremental_backup_given_the_saved_profile_makes_one_request(
    mastodon_mock: Mock, tmp_path: Path
) -> None:
    alice = api(mastodon_mock, TOKEN)
    for number in range(3):
        alice.status_post(f"status {number}")
    bare = BackupStore(tmp_path / "posts-only")
    run_backup(client(mastodon_mock), bare, POSTS_ONLY)  # no profile kept: the id is unknown
    store = BackupStore(tmp_path / "backups")
    run_backup(client(mastodon_mock), store, BackupOptions())  # the first backup saves the profile
    alice.status_post("a new one")

    before = client(mastodon_mock)
    run_backup(before, bare, POSTS_ONLY)
    # verify_credentials for the id, the statuses, and the empty page that ends the listing
    assert before.calls == 3

    backup = store.locate(Platform.MASTODON, mastodon_mock.identity)
    after = client(mastodon_mock)  # the runner hands it the saved profile (UsesSavedProfile)
    alice.status_post("and another")
    result = run_backup(after, store, POSTS_ONLY)
    # No lookup: the statuses, and (as all five were posted a moment ago, inside the window
    # re-read for edits) the empty page after them; on an account whose saved posts are older
    # than that window the first page is the only one (bench/bench_mastodon.py: 1 call).
    assert after.calls == before.calls - 1 == 2
    assert result.complete
    saved = {post.text.text for post in backup.iter_posts()}
    assert saved == {"status 0", "status 1", "status 2", "a new one", "and another"}


def test_a_known_id_lists_without_a_lookup_and_still_gives_the_count(mastodon_mock: Mock) -> None:
    alice = api(mastodon_mock, TOKEN)
    alice.status_post("hello")
    me = alice.me()
    reader = client(mastodon_mock, account_id=str(me["id"]))
    page = reader.fetch_page()
    assert [post.text.text for post in page.posts] == ["hello"]
    assert page.total == me["statuses_count"]
    assert reader.calls == 1
    assert reader.account_id() == str(me["id"])


def test_a_whole_listing_under_a_known_id_never_looks_the_account_up(mastodon_mock: Mock) -> None:
    alice = api(mastodon_mock, TOKEN)
    for number in range(45):
        alice.status_post(f"status {number}")
    reader = client(mastodon_mock, account_id=str(alice.me()["id"]))
    seen, pages, cursor = 0, 0, None
    while True:
        page = reader.fetch_page(cursor)
        pages, seen = pages + 1, seen + len(page.posts)
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == 45
    assert reader.calls == pages  # the last, empty page is not a reason to look it up


def test_an_id_naming_someone_else_is_looked_up_again_not_read(mastodon_mock: Mock) -> None:
    """An id kept from another server (or a mix-up) may name another account here: its
    statuses are not this account's, so the client looks the account up and lists its own."""
    api(mastodon_mock, TOKEN).status_post("alice's words")
    bob = api(mastodon_mock, "bob_token")
    bob.status_post("bob's words")
    reader = client(mastodon_mock, account_id=str(bob.me()["id"]))
    assert texts(reader) == ["alice's words"]
    assert reader.calls == 3  # bob's page, verify_credentials, alice's page
    assert reader.account_id() != str(bob.me()["id"])


def test_an_id_naming_no_account_is_looked_up_again(mastodon_mock: Mock) -> None:
    api(mastodon_mock, TOKEN).status_post("still here")
    reader = client(mastodon_mock, account_id="999999999")
    assert texts(reader) == ["still here"]


def test_an_account_gone_since_its_id_was_kept_is_one_clear_error(mastodon_mock: Mock) -> None:
    """As the public (no token), an id that names nothing and a handle the server no longer
    knows: the lookup's own error, naming the account and the server."""
    account = Account("x", Platform.MASTODON, "nobody@127.0.0.1", service=mastodon_mock.base_url)
    reader = MastodonClient(account, None, retry=RetryPolicy(sleep=FakeTime().sleep))
    reader.use_saved_profile(
        profile_from_account({"id": "999999999", "acct": "nobody", "url": "https://x.test/@n"})
    )
    with pytest.raises(PlatformError, match=r"^nobody@127\.0\.0\.1: no such account on "):
        reader.fetch_page()


def test_an_empty_listing_under_a_known_id_is_confirmed_by_a_lookup(mastodon_mock: Mock) -> None:
    """No status to tell the owner by: the lookup confirms the id, the page is not read twice."""
    me = api(mastodon_mock, TOKEN).me()
    reader = client(mastodon_mock, account_id=str(me["id"]))
    assert texts(reader) == []
    assert reader.calls == 2


def test_the_id_comes_from_the_saved_profiles_account() -> None:
    path = fixture_path(
        "mastodon-docs/extracted/methods_accounts.md_L0183_verify-account-credentials_200.json"
    )
    account = json.loads(path.read_text(encoding="utf-8"))
    assert saved_account_id(profile_from_account(account)) == str(account["id"])
    assert saved_account_id(None) is None
