"""The extended mastodon-mock counts, links and renders a new status as Mastodon does
(tests/mastodon_text.py), held to the statuses a real Mastodon server wrote in the Mastodon.py
cassettes (/work/shared/fixtures/mastodon-py/tests/cassettes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from mastodon import Mastodon, MastodonAPIError

from tests import mastodon_text
from tests.backup_mastodon import TOKEN, Mock
from tests.fixtures import fixture_path
from tests.mastodon_account_server import serving

CASSETTES = "mastodon-py/tests/cassettes"
RECORDED_BASE = "http://localhost:3000"


def recorded_statuses(cassette: str) -> list[dict[str, Any]]:
    """Every status a cassette's answers hold (timelines: each status of the list)."""
    import json

    path = fixture_path(f"{CASSETTES}/{cassette}")
    out: list[dict[str, Any]] = []
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        body = interaction["response"]["body"]["string"]
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and "content" in item:
                out.append(item)
    return out


def recorded_with(cassette: str, needle: str) -> dict[str, Any]:
    return next(s for s in recorded_statuses(cassette) if needle in s["content"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Mock]:
    with serving(tmp_path / "media") as mock:
        yield mock


def api(server: Mock, token: str = TOKEN) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=server.base_url, version_check_mode="none")


def test_a_mention_is_written_as_the_recorded_one(server: Mock) -> None:
    real = recorded_with("test_public_tl.yaml", "u-url mention")
    ours = api(server).status_post("@bob beep beep I'm a jeep")
    expected = real["content"].replace(RECORDED_BASE, server.base_url)
    assert ours["content"] == expected.replace("mastodonpy_test", "bob")
    assert [set(m) for m in ours["mentions"]] == [set(m) for m in real["mentions"]]
    assert [m["acct"] for m in ours["mentions"]] == ["bob"]


def test_a_hashtag_and_a_link_are_written_as_the_recorded_ones(server: Mock) -> None:
    alice = api(server)
    real_tag = recorded_with("test_hashtag_tl.yaml", "mention hashtag")
    ours = alice.status_post("#hoot (hashtag toot)")
    assert ours["content"] == real_tag["content"].replace(RECORDED_BASE, server.base_url)
    assert ours["tags"] == [
        {k: v.replace(RECORDED_BASE, server.base_url) for k, v in tag.items()}
        for tag in real_tag["tags"]
    ]
    real_link = recorded_with("test_status_card.yaml", "example.org")
    assert alice.status_post("http://example.org/")["content"] == real_link["content"]


def test_a_remote_mention_notifies_the_remote_account_and_strangers_stay_text(
    server: Mock,
) -> None:
    status = api(server).status_post("@dave@remote.example and @nobody and mail@example.com")
    assert [m["acct"] for m in status["mentions"]] == ["dave@remote.example"]
    assert "@nobody" in re.sub("<[^>]+>", "", status["content"])
    assert status["content"].count("u-url mention") == 1


def test_a_mention_notifies_the_person_mentioned(server: Mock) -> None:
    api(server).status_post("hello @bob")
    bob = api(server, "bob_token")
    assert [n["type"] for n in bob.notifications(types=["mention"])] == ["mention"]


def test_length_is_counted_as_mastodon_counts_it(server: Mock) -> None:
    alice = api(server)
    url = "https://example.com/" + "a" * 200
    text = "x" * (500 - 23 - 1) + " " + url  # 500 counted, over 700 code points
    assert alice.status_post(text)["id"]
    family = "👨\u200d👩\u200d👧"  # one grapheme cluster, five code points
    assert alice.status_post(family * 500)["id"]
    remote = "@dave@remote.example "  # counted as "@dave "
    assert alice.status_post(remote + "y" * (500 - 6))["id"]
    with pytest.raises(MastodonAPIError) as refused:
        alice.status_post("z" * 501)
    assert mastodon_text.TOO_LONG in str(refused.value)


def test_over_the_limit_answers_mastodons_422_body(server: Mock) -> None:
    response = requests.post(
        f"{server.base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {TOKEN}"},
        data={"status": "w" * 490, "spoiler_text": "c" * 11},
        timeout=5,
    )
    assert response.status_code == 422
    assert response.json() == {"error": mastodon_text.TOO_LONG}


def test_an_invisible_word_joiner_after_the_sign_is_no_mention(server: Mock) -> None:
    status = api(server).status_post("hi @\u2060bob and #\u2060tag")
    assert status["mentions"] == []
    assert status["tags"] == []
