"""Mirrors published through MastodonClient to mastodon-mock extended to count, link and render
statuses as Mastodon does (tests/mastodon_text.py), then read back through the server's API: what
a reader sees, who is mentioned, who is notified, which hashtags the status has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mastodon import Mastodon

from crosspost.accounts import Account
from crosspost.model import Limits, Platform, Post, PostRef, RichText, Span, SpanKind
from crosspost.platforms.base import RetryPolicy
from crosspost.platforms.mastodon.client import MastodonClient
from crosspost.platforms.registry import spec
from crosspost.sync.drafts import drafts_from_plan
from crosspost.text.fit import plan_fit
from tests.backup_mastodon import TOKEN, Mock
from tests.fake_time import FakeTime
from tests.mastodon_account_server import serving

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Mock]:
    with serving(tmp_path / "media") as mock:
        yield mock


def api(server: Mock, token: str = TOKEN) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=server.base_url, version_check_mode="none")


def publish(server: Mock, item: Post) -> dict[str, object]:
    """The post mirrored to alice's account, as the server answers it when read back."""
    account = Account("masto", Platform.MASTODON, server.identity, service=server.base_url)
    time = FakeTime()
    client = MastodonClient(account, TOKEN, retry=RetryPolicy(sleep=time.sleep, clock=time.clock))
    # The server's sizes with the registry's text rules (which mentions are this network's):
    # client.limits() alone leaves every mention to be rewritten as a link.
    limits = replace(client.limits(), text=spec(Platform.MASTODON).limits.text)
    plan = plan_fit(item, limits)
    refs = client.publish_thread(drafts_from_plan(item, plan, "masto"))
    return dict(api(server).status(refs[0].id))


def seen(status: dict[str, object]) -> str:
    """The status as a reader sees it: the HTML's text, without invisible characters."""
    text = re.sub(r"<[^>]+>", "", str(status["content"]))
    return text.replace("\u2060", "").replace("&#39;", "'")


def source(text: str | RichText, platform: Platform, **changes: object) -> Post:
    rich = text if isinstance(text, RichText) else RichText(text)
    ref = PostRef(platform, "src", "1", url=f"https://{platform.value}.example/post/1")
    return Post(ref=ref, created_at=NOW, text=rich, **changes)  # type: ignore[arg-type]


def notified(server: Mock, token: str) -> list[str]:
    return [n["type"] for n in api(server, token).notifications(types=["mention"])]


def test_plain_handles_from_bluesky_notify_nobody(server: Mock) -> None:
    status = publish(server, source("thanks @carol and @dave@remote.example!", Platform.BLUESKY))
    assert status["mentions"] == []
    assert seen(status).startswith("thanks @carol and @dave@remote.example!")
    assert notified(server, "carol_token") == []


def test_a_tumblr_mention_reads_as_one_and_notifies_nobody(server: Mock) -> None:
    rich = RichText("ask @bob about it", (Span(4, 8, SpanKind.MENTION, "https://bob.tumblr.com/"),))
    status = publish(server, source(rich, Platform.TUMBLR))
    assert status["mentions"] == []
    assert "ask @bob (https://bob.tumblr.com/) about it" in seen(status)
    assert notified(server, "bob_token") == []


def test_a_mention_of_someone_on_this_server_stays_a_mention(server: Mock) -> None:
    profile = f"{server.base_url}/@bob"
    rich = RichText("hi @bob and @carol", (Span(3, 7, SpanKind.MENTION, profile),))
    status = publish(server, source(rich, Platform.MASTODON))
    assert [m["acct"] for m in status["mentions"]] == ["bob"]  # type: ignore[attr-defined]
    assert notified(server, "bob_token") == ["mention"]
    assert notified(server, "carol_token") == []


def test_a_tag_in_the_text_is_not_written_twice(server: Mock) -> None:
    rich = RichText("I love #cats and dogs", (Span(7, 12, SpanKind.TAG, "cats"),))
    status = publish(server, source(rich, Platform.BLUESKY, tags=("Cats", "dogs")))
    assert [t["name"] for t in status["tags"]] == ["cats", "dogs"]  # type: ignore[attr-defined]
    assert seen(status).lower().count("#cats") == 1
    assert seen(status).count("#dogs") == 1


def test_an_inline_tumblr_tag_and_tags_no_hashtag_can_spell(server: Mock) -> None:
    item = source("I love #cats", Platform.TUMBLR, tags=("cats", "C++", "a,b"))
    status = publish(server, item)
    assert [t["name"] for t in status["tags"]] == ["cats"]  # type: ignore[attr-defined]
    assert "C++" in seen(status)
    assert "a,b" in seen(status)


def test_a_long_status_counted_as_mastodon_counts_it_is_accepted(server: Mock) -> None:
    url = "https://example.com/" + "p" * 300
    text = "x" * 400 + " " + url
    status = publish(server, source(text, Platform.BLUESKY))
    assert url in str(status["content"])


def test_a_syncs_limits_know_which_mentions_are_the_targets_own(tmp_path: Path) -> None:
    """The limits a client reads from its server carry no rule for which mentions are local;
    the sync context adds the registry's, so a mention of a neighbour stays a mention."""
    from crosspost.config import Config
    from crosspost.platforms.mastodon.limits import LIMITS
    from crosspost.state import Ledger
    from crosspost.sync.context import SyncContext

    class Reader:
        def limits(self) -> Limits:
            return LIMITS

    assert LIMITS.text.mention_is_local is None
    account = Account("masto", Platform.MASTODON, "alice@example.social")
    context = SyncContext(
        config=Config(None, accounts={"masto": account}),
        state=Ledger(tmp_path / "state.sqlite3"),
        factory=lambda account, writing: Reader(),  # type: ignore[arg-type,return-value]
    )
    rules = context.limits("masto").text
    assert rules.mention_is_local is not None
    assert rules.mention_is_local("https://example.social/@bob")  # a mention span's value
    assert not rules.mention_is_local("did:plc:ewvi7nxzyoun6zhxrhs64oiz")
    assert context.server_limits("masto").text.mention_is_local is not None
