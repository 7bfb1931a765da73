"""A rate-limit wait is said, with who asked and for how long, and counted down: a long wait
never looks like a hang. One far off stops the run with exit 6 and the command that resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mastodon import Mastodon

from crosspost.errors import RateLimitedError
from crosspost.platforms.retry import (
    Ok,
    RateLimited,
    RetryPolicy,
    Verdict,
    WaitNotice,
    call_with_retry,
    waits_told_to,
)
from tests.backup_mastodon import TOKEN, Mock, mastodon_mock
from tests.cli_helpers import run_cli

__all__ = ["mastodon_mock"]


def test_a_wait_is_told_before_it_starts_and_a_far_one_is_not_waited() -> None:
    told: list[WaitNotice] = []
    slept: list[float] = []
    answers: list[Verdict[str]] = [RateLimited(30.0), Ok("done")]
    policy = RetryPolicy(sleep=slept.append)
    with waits_told_to(told.append):
        result = call_with_retry(
            lambda: None, lambda _: answers.pop(0), policy, what="list posts", repeatable=True,
            host="example.social",
        )  # fmt: skip
    assert result == "done"
    assert [n.message for n in told] == [
        "list posts: rate limited by example.social: waiting 30 s (attempt 2 of 4)"
    ]
    assert slept == [30.0]
    with waits_told_to(told.append), pytest.raises(RateLimitedError) as far:
        call_with_retry(
            lambda: None, lambda _: RateLimited(3600.0), policy, what="list posts",
            repeatable=True, host="example.social",
        )  # fmt: skip
    assert "rate limited by example.social; try again in 3600 s" in str(far.value)
    assert len(told) == 1  # a wait past max_wait is not waited: the run stops instead


def test_a_backup_says_what_it_waits_for_and_a_long_limit_stops_it_with_exit_6(
    mastodon_mock: Mock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Mastodon(
        access_token=TOKEN, api_base_url=mastodon_mock.base_url, version_check_mode="none"
    )
    api.status_post("hello")
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.masto]\nplatform = "mastodon"\nhandle = "alice@mock.test"\n'
        f'service = "{mastodon_mock.base_url}"\n'
    )
    monkeypatch.setenv("CROSSPOST_SECRET_MASTO", TOKEN)
    host = mastodon_mock.base_url.removeprefix("http://")
    limited = {"type": "ratelimit", "status": 429, "headers": {"Retry-After": "2"}}
    mastodon_mock.fault(limited, path_regex="/statuses", count=1)
    waited = run_cli("backup", "masto", "-c", str(config), "-d", str(tmp_path / "out"))
    assert waited.code == 0, waited.err
    assert f"rate limited by {host}: waiting 2 s (attempt 2 of 4)" in waited.err
    far = {"type": "ratelimit", "status": 429, "headers": {"Retry-After": "3600"}}
    mastodon_mock.fault(far, path_regex="/statuses", count=1)
    stopped = run_cli(
        "backup", "masto", "-c", str(config), "-d", str(tmp_path / "out"), "--full", "--json"
    )
    assert stopped.code == 6
    assert f"rate limited by {host}; try again in 3600 s" in stopped.err
    assert "`crosspost backup masto" in stopped.err  # the command that resumes
    assert json.loads(stopped.out)["retry_after"] == 3600
