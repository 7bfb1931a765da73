"""A lost or emptied state file must not re-post everything on Bluesky: a mirror's record key
comes from its source post, so the second run's creates find their records already there.

`crosspost sync` end to end (tests/test_sync_pds.py's Tumblr server and config) on the real
local PDS, the state file deleted or truncated to 0 bytes between two runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bluesky_pds import PdsAccount, local_pds, pds_account
from tests.cli_helpers import run_cli
from tests.test_sync_pds import check_mirrors, configure, records, seed, tumblr
from tests.tumblr_server import TumblrServer

__all__ = ["local_pds", "pds_account", "tumblr"]


@pytest.mark.parametrize("loss", ["deleted", "empty"])
def test_a_lost_state_file_posts_no_duplicate(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tumblr: TumblrServer,
    pds_account: PdsAccount,
    loss: str,
) -> None:
    config = configure(tmp_path, monkeypatch, tumblr, pds_account)
    seed(tumblr)
    first = run_cli("sync", "--config", str(config))
    assert first.code == 0, first.err
    check_mirrors(pds_account)
    made = sorted(record["uri"] for record in records(pds_account))
    state = tmp_path / "state.sqlite3"
    if loss == "deleted":
        state.unlink()
    else:
        state.write_bytes(b"")
    again = run_cli("sync", "--config", str(config))
    assert again.code == 0, again.err
    check_mirrors(pds_account)
    assert sorted(record["uri"] for record in records(pds_account)) == made
