"""A sync whose Mastodon source answers a body that is not JSON (a proxy's error page, a cut
answer) on every try: one line naming what failed, exit 5, nothing posted, and the next run,
once the source answers again, mirrors the post once (against mastodon-mock and the Tumblr-shaped
loopback server as the target)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crosspost import clients
from crosspost.platforms.base import RetryPolicy
from tests.backup_mastodon import TOKEN, Mock, mastodon_mock
from tests.cli_helpers import run_cli
from tests.tumblr_server import CONSUMER, USER, TumblrServer, running

__all__ = ["mastodon_mock"]
STATUSES = r"/api/v1/accounts/[^/]+/statuses"


@pytest.fixture
def tumblr() -> Iterator[TumblrServer]:
    with running() as live:
        yield live


def test_a_source_answering_no_json_is_one_line_and_posts_nothing(
    mastodon_mock: Mock, tumblr: TumblrServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.masto]\nplatform = "mastodon"\nhandle = "alice@127.0.0.1"\n'
        f'service = "{mastodon_mock.base_url}"\n\n'
        f'[accounts.art]\nplatform = "tumblr"\nblog = "art"\nservice = "{tumblr.url}"\n\n'
        '[[sync]]\nname = "masto-to-art"\nfrom = "masto"\nto = "art"\n'
        'include_tags = ["crosspost"]\n'
    )
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    monkeypatch.setenv("CROSSPOST_SECRET_ART", ":".join((*CONSUMER, *USER)))
    monkeypatch.setenv("CROSSPOST_STATE", str(tmp_path / "state.sqlite3"))
    slept: list[float] = []
    monkeypatch.setattr(clients, "RetryPolicy", lambda: RetryPolicy(sleep=slept.append))
    requests.post(
        f"{mastodon_mock.base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {TOKEN}"},
        data={"status": "to mirror #crosspost"},
        timeout=10,
    ).raise_for_status()
    mastodon_mock.fault({"type": "malformed"}, path_regex=STATUSES, count=None)
    broken = run_cli("sync", "--config", str(config))
    assert broken.code == 5, broken.out + broken.err
    assert "Traceback" not in broken.out + broken.err
    lines = [line for line in broken.err.splitlines() if line.strip()]
    assert len(lines) == 1, broken.err
    assert "not JSON" in lines[0]
    assert "art" not in tumblr.state.posts or not tumblr.state.posts["art"]
    mastodon_mock.clear_faults()
    mended = run_cli("sync", "--config", str(config))
    assert mended.code == 0, mended.out + mended.err
    assert "1 published" in mended.out
    assert len(tumblr.state.posts["art"]) == 1
