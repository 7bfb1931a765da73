"""HttpSession settles proxies and CA bundles exactly as requests does, looking once per host."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from requests.utils import get_environ_proxies

import crosspost.platforms.http_session as http_session
from crosspost.platforms.http_session import HttpSession

URLS = [
    "https://api.tumblr.com/v2/blog/x/posts",
    "https://64.media.tumblr.com/a/b.jpg",
    "http://127.0.0.1:8080/v2/blog/x/info",
    "https://mastodon.example/api/v1/statuses",
]
ENVIRONMENTS: list[dict[str, str]] = [
    {},
    {"HTTPS_PROXY": "http://proxy.example:3128", "HTTP_PROXY": "http://proxy.example:3128"},
    {
        "https_proxy": "http://proxy.example:3128",
        "no_proxy": "media.tumblr.com,127.0.0.1",
        "REQUESTS_CA_BUNDLE": "/etc/ssl/corporate.pem",
    },
    {"ALL_PROXY": "socks5://proxy.example:1080", "CURL_CA_BUNDLE": "/etc/ssl/curl.pem"},
]
CALLS: list[dict[str, Any]] = [
    {"proxies": {}, "stream": None, "verify": None, "cert": None},
    {"proxies": {}, "stream": True, "verify": False, "cert": None},
    {"proxies": {"https": "http://mine:1"}, "stream": None, "verify": "/x.pem", "cert": None},
    {"proxies": {"no_proxy": "api.tumblr.com"}, "stream": None, "verify": True, "cert": None},
]


def _clear_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_settings_match_requests_own(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    _clear_proxy_environment(monkeypatch)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    ours, theirs = HttpSession(), requests.Session()
    for url in URLS:
        for call in CALLS:
            for _ in range(2):  # the second time from what was kept
                mine = ours.merge_environment_settings(url, dict(call["proxies"]), *_rest(call))
                expected = theirs.merge_environment_settings(
                    url, dict(call["proxies"]), *_rest(call)
                )
                assert mine == expected, (url, call, environment)


def _rest(call: dict[str, Any]) -> tuple[Any, Any, Any]:
    return call["stream"], call["verify"], call["cert"]


def test_the_environment_is_read_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    looked: list[str] = []

    def counting(url: str, no_proxy: str | None = None) -> dict[str, str]:
        looked.append(url)
        return get_environ_proxies(url, no_proxy=no_proxy)

    monkeypatch.setattr(http_session, "get_environ_proxies", counting)
    session = HttpSession()
    for _ in range(3):
        for url in URLS[:2]:
            session.merge_environment_settings(url, {}, None, None, None)
    assert looked == URLS[:2]


def test_a_session_that_does_not_trust_the_environment_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    session = HttpSession()
    session.trust_env = False
    settings = session.merge_environment_settings(URLS[0], {}, None, None, None)
    assert settings["proxies"] == {}
