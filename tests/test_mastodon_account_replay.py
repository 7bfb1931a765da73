"""The whole-account flows against mastodon-mock replayed offline from cassettes (recorded with
`pytest tests/test_mastodon_account_replay.py --record-mode=rewrite`, which starts the server)."""

from __future__ import annotations

import pytest

from tests.fixtures import PROJECT_ROOT
from tests.mastodon_server import TOKEN, MockMastodon, recording_server
from tests.test_mastodon_account import (
    scenario_collections,
    scenario_history,
    scenario_profile,
    scenario_public_reader,
    scenario_rate_limited,
)

__all__ = ["recording_server"]


@pytest.mark.vcr
def test_collections_page_by_their_link_headers(
    recording_server: MockMastodon, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario_collections(recording_server, monkeypatch)


@pytest.mark.vcr
def test_profile_signed_in_and_as_the_public(recording_server: MockMastodon) -> None:
    scenario_profile(recording_server)


@pytest.mark.vcr
def test_the_public_reader_is_told_what_it_cannot_read(recording_server: MockMastodon) -> None:
    scenario_public_reader(recording_server)


@pytest.mark.vcr
def test_collections_wait_out_rate_limits(recording_server: MockMastodon) -> None:
    scenario_rate_limited(recording_server)


@pytest.mark.vcr
def test_edit_history_oldest_first(recording_server: MockMastodon) -> None:
    scenario_history(recording_server)


def test_cassettes_hold_no_token() -> None:
    files = list((PROJECT_ROOT / "cassettes" / "test_mastodon_account_replay").glob("*.yaml"))
    assert len(files) == 5, "record the cassettes first"
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for token in (TOKEN, "bob_token", "carol_token"):
            assert token not in text, path.name
