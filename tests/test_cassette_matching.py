"""The body matcher of every cassette test (tests/scrub.py): what may differ between runs is
let through, anything else a request says differently is refused, so a replay cannot pass while
the code sends something other than what was recorded."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import vcr
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request

from tests.fixtures import PROJECT_ROOT
from tests.scrub import match_body, register_matchers, vcr_options

JSON = {"Content-Type": "application/json"}
RECORD = '{"record": {"text": "hi", "createdAt": "%s"}, "password": "********"}'


def request(body: str | bytes, headers: dict[str, str] | None = None) -> Request:
    return Request("POST", "http://127.0.0.1:1/x", body, headers or JSON)


def multipart(boundary: str, picture: bytes) -> Request:
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="description"\r\n\r\n'
            "a red square\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="upload.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + picture
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return request(body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.mark.parametrize(
    ("live", "recorded"),
    [
        pytest.param(
            request(RECORD % "2026-12-03T11:52:18.147Z"),
            request(RECORD % "2026-02-03T04:05:06.000Z"),
            id="wall-clock createdAt",
        ),
        pytest.param(
            request('{"identifier": "a.test", "password": "the-real-one"}'),
            request('{"password": "********", "identifier": "a.test"}'),
            id="password scrubbed as at record time, key order",
        ),
        pytest.param(
            request(
                "b=2&password=hunter2&a=1", {"Content-Type": "application/x-www-form-urlencoded"}
            ),
            request(
                "a=1&b=2&password=********", {"Content-Type": "application/x-www-form-urlencoded"}
            ),
            id="form fields in another order, password scrubbed",
        ),
        pytest.param(
            multipart("0ae75a1248c9469c22881e07612f9dff", b"\x89PNG one"),
            multipart("f15bf04fc95f1e3e91401b39ac5ea0b0", b"\x89PNG one"),
            id="multipart boundary",
        ),
        pytest.param(request(b""), request(b"", {}), id="no body"),
    ],
)
def test_what_legitimately_varies_still_matches(live: Request, recorded: Request) -> None:
    match_body(live, recorded)


@pytest.mark.parametrize(
    ("live", "recorded"),
    [
        pytest.param(
            request(RECORD % "2026-02-03T04:05:06.000Z"),
            request(RECORD.replace("hi", "hello") % "2026-02-03T04:05:06.000Z"),
            id="the text",
        ),
        pytest.param(
            request(RECORD % "not a time"),
            request(RECORD % "2026-02-03T04:05:06.000Z"),
            id="a malformed createdAt",
        ),
        pytest.param(
            request(
                "media_ids[]=2&media_ids[]=1", {"Content-Type": "application/x-www-form-urlencoded"}
            ),
            request(
                "media_ids[]=1&media_ids[]=2", {"Content-Type": "application/x-www-form-urlencoded"}
            ),
            id="the order of attachments",
        ),
        pytest.param(
            multipart("0ae75a1248c9469c22881e07612f9dff", b"\x89PNG one"),
            multipart("0ae75a1248c9469c22881e07612f9dff", b"\x89PNG two"),
            id="the uploaded picture",
        ),
        pytest.param(request(b"\x89PNG one", {}), request(b"\x89PNG two", {}), id="binary"),
        pytest.param(request(b""), request('{"a": 1}'), id="a missing body"),
    ],
)
def test_a_different_body_is_refused(live: Request, recorded: Request) -> None:
    with pytest.raises(AssertionError, match="the bodies differ"):
        match_body(live, recorded)


CAP_CASSETTE = (
    PROJECT_ROOT
    / "cassettes"
    / "test_tumblr_replay"
    / "test_daily_post_cap_8023_stops_with_a_resume_time.yaml"
)
RECORDED_POST: dict[str, Any] = {
    "content": [{"type": "text", "text": "Hello from crosspost"}],
    "state": "published",
    "source_url": "https://bsky.app/profile/alice.test/post/3k#crosspost-6ab9f1eb8f7d3388",
}


def replaying() -> vcr.VCR:
    """A VCR set up as pytest-recording sets up every cassette test (tests/conftest.py)."""
    configured = vcr.VCR(**vcr_options())
    register_matchers(configured)
    return configured


def test_a_replay_with_another_body_is_refused() -> None:
    """End to end, on a real cassette: the recorded body replays; one changed word does not."""
    url = "http://127.0.0.1:38472/v2/blog/art/posts"
    with replaying().use_cassette(str(CAP_CASSETTE), record_mode="none"):
        answer = requests.post(url, json=RECORDED_POST, timeout=5)
        assert answer.json()["errors"][0]["code"] == 8023
    changed = {**RECORDED_POST, "content": [{"type": "text", "text": "Hello from elsewhere"}]}
    with (
        replaying().use_cassette(str(CAP_CASSETTE), record_mode="none"),
        pytest.raises(CannotOverwriteExistingCassetteException, match="bodies differ"),
    ):
        requests.post(url, json=changed, timeout=5)
