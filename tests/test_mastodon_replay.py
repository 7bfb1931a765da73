"""The mastodon-mock flows replayed offline from cassettes (recorded with
`pytest tests/test_mastodon_replay.py --record-mode=rewrite`, which starts the server)."""

from __future__ import annotations

import pytest

from tests.mastodon_server import MockMastodon, recording_server
from tests.test_mastodon_flow import (
    scenario_pagination,
    scenario_publish_with_media,
    scenario_rate_limit_and_unavailable,
    scenario_thread_edit_delete,
)

__all__ = ["recording_server"]


@pytest.mark.vcr
def test_publish_with_media_and_idempotency_key(recording_server: MockMastodon) -> None:
    scenario_publish_with_media(recording_server)


@pytest.mark.vcr
def test_thread_edit_delete(recording_server: MockMastodon) -> None:
    scenario_thread_edit_delete(recording_server)


@pytest.mark.vcr
def test_pagination_follows_the_link_header(recording_server: MockMastodon) -> None:
    scenario_pagination(recording_server)


@pytest.mark.vcr
def test_429_and_503_are_waited_out_or_reported(recording_server: MockMastodon) -> None:
    scenario_rate_limit_and_unavailable(recording_server)


def test_cassettes_hold_no_token() -> None:
    from tests.fixtures import PROJECT_ROOT
    from tests.mastodon_server import TOKEN

    folder = PROJECT_ROOT / "cassettes" / "test_mastodon_replay"
    files = list(folder.glob("*.yaml"))
    assert files, "record the cassettes first"
    for path in files:
        assert TOKEN not in path.read_text(encoding="utf-8", errors="replace"), path.name
