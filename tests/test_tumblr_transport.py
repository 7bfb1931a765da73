"""Tumblr reads over plain http.client (crosspost/platforms/tumblr/transport.py): one kept-open
connection, an idle connection the server closed is not reused, gzip, redirects only where asked,
a cut answer is an error; reading a blog loads neither requests nor requests_oauthlib, and a proxy
in the environment is still honoured (requests carries the calls)."""

from __future__ import annotations

import gzip
import json
import select
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crosspost.accounts import Account
from crosspost.model import Platform
from crosspost.platforms.tumblr import transport
from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.http import OAuthKeys, TumblrHttp
from crosspost.platforms.tumblr.transport import PlainHttp, TransportError
from tests.backup_world import fill_tumblr
from tests.fixtures import PROJECT_ROOT
from tests.test_tumblr_prefetch import InFlight, read_all
from tests.tumblr_server import CONSUMER, USER, Handler, envelope, running


class Plain(BaseHTTPRequestHandler):
    """Answers by path: /json, /gzip, /redirect (to /json), /close (then closes the connection
    without saying so), /cut (a body shorter than its Content-Length)."""

    protocol_version = "HTTP/1.1"
    server: Recording

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.server.peers.add(self.client_address)
        body = json.dumps(envelope(200, "OK", {"path": self.path})).encode()
        if self.path.startswith("/redirect"):
            self._answer(302, b"", {"Location": "/json"})
        elif self.path.startswith("/gzip"):
            self._answer(200, gzip.compress(body), {"Content-Encoding": "gzip"})
        elif self.path.startswith("/cut"):
            self._answer(200, body[:5], {"Content-Length": str(len(body))})
            self.close_connection = True
        else:
            self._answer(200, body, {})
            self.close_connection = self.path.startswith("/close")

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


class Recording(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Plain)
        self.paths: list[str] = []
        self.peers: set[tuple[str, int]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serving() -> Iterator[Recording]:
    server = Recording()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def plain() -> Iterator[PlainHttp]:
    client = PlainHttp(user_agent="test", timeout=5)
    yield client
    client.close()


def test_reads_share_one_kept_open_connection(plain: PlainHttp) -> None:
    with serving() as server:
        answers = [plain.get(f"{server.url}/json?n={n}") for n in range(5)]
    assert [a.json()["response"]["path"] for a in answers] == [f"/json?n={n}" for n in range(5)]
    assert len(server.peers) == 1


def test_a_connection_the_server_closed_while_idle_is_not_reused(plain: PlainHttp) -> None:
    with serving() as server:
        plain.get(f"{server.url}/close")  # kept (no Connection: close), then closed by the server
        ((kept,),) = plain._idle.values()
        assert kept.sock is not None
        select.select([kept.sock], [], [], 5)  # until the server's close has arrived (a bound)
        assert plain.get(f"{server.url}/json").status_code == 200
    assert server.paths == ["/close", "/json"]  # nothing sent twice
    assert len(server.peers) == 2


def test_gzip_answers_are_decoded(plain: PlainHttp) -> None:
    with serving() as server:
        answer = plain.get(f"{server.url}/gzip")
    assert answer.json()["response"]["path"] == "/gzip"
    assert answer.headers["content-encoding"] == "gzip"


def test_redirects_are_followed_only_where_asked(plain: PlainHttp) -> None:
    with serving() as server:
        assert plain.get(f"{server.url}/redirect").status_code == 302
        followed = plain.get(f"{server.url}/redirect", redirects=5)
    assert followed.status_code == 200
    assert followed.url == f"{server.url}/json"


def test_an_answer_cut_short_is_a_transport_error(plain: PlainHttp) -> None:
    with serving() as server, pytest.raises(TransportError, match="IncompleteRead"):
        plain.get(f"{server.url}/cut")


def test_a_proxy_in_the_environment_carries_the_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    with serving() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        http = TumblrHttp(OAuthKeys(CONSUMER[0]), base_url="http://api.tumblr.invalid")
        http.request("GET", "/v2/blog/art/info", signed=False)
    (asked,) = proxy.paths
    assert asked.startswith("http://api.tumblr.invalid/v2/blog/art/info?api_key=")


READ_A_BLOG = """
import json, sys
from crosspost.accounts import Account
from crosspost.model import Platform
from crosspost.platforms.tumblr.client import TumblrClient
from crosspost.platforms.tumblr.http import OAuthKeys
keys = OAuthKeys(*sys.argv[2:6])
client = TumblrClient(Account("art", Platform.TUMBLR, "art", service=sys.argv[1]), keys)
cursor, posts, media = None, 0, 0
while True:
    page = client.fetch_page(cursor)
    for post in page.posts:
        posts += 1
        for item in post.media:
            media += len(client.fetch_media(item)) > 0
    if page.cursor is None:
        break
    cursor = page.cursor
reading = sorted(m for m in ("requests", "requests_oauthlib") if m in sys.modules)
if keys.has_user:
    from tests.test_tumblr_flow import draft  # (the test helpers load requests themselves)
    client.publish(draft())
posting = sorted(m for m in ("requests", "requests_oauthlib") if m in sys.modules)
print(json.dumps({"posts": posts, "media": media, "reading": reading, "posting": posting}))
"""


@pytest.mark.parametrize("signed", [False, True])
def test_reading_a_blog_loads_no_requests_and_posting_does(signed: bool) -> None:
    with running() as server:
        server.state.hour_remaining = 10**6
        fill_tumblr(server, 120, 12, blog="art")
        keys = [*CONSUMER, *USER] if signed else [CONSUMER[0], "", "", ""]
        done = subprocess.run(
            [sys.executable, "-c", READ_A_BLOG, server.url, *keys],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            check=False,
            timeout=60,
        )
        signed_reads = [
            signed_read for method, _, signed_read in server.state.log if method == "GET"
        ]
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["posts"], result["media"]) == (120, 12)
    assert result["reading"] == []  # pages and their media: plain http.client
    assert result["posting"] == (["requests", "requests_oauthlib"] if signed else [])
    if signed:  # the server checks each OAuth1 signature (HMAC-SHA1): the list calls passed
        assert sum(signed_reads) >= 3


def test_the_listing_sends_nothing_ahead_near_the_end_of_the_hourly_budget() -> None:
    with running() as server:
        server.state.add_posts("art", 400)
        seen = InFlight(server, hold=0.02)
        account = Account("art", Platform.TUMBLR, "art", service=server.url)
        client = TumblrClient(account, OAuthKeys(CONSUMER[0]), page_size=20)
        server.state.hour_remaining = 10**6
        assert len(read_all(client)) == 400
        assert seen.most > 1  # with the budget wide open, pages go several at once
        seen.most = 0
        see = seen.see

        def near_the_end(handler: Handler) -> bool:
            server.state.hour_remaining = 8  # each answer says 7 calls are left this hour
            return see(handler)

        server.intercept = near_the_end
        assert len(read_all(client)) == 400
    assert seen.most == 1


def test_sixteen_downloads_at_once_keep_their_connections(plain: PlainHttp) -> None:
    with serving() as server:
        url = f"{server.url}/json"
        for _ in range(3):  # three rounds of 16 at once, as the media pool downloads
            threads = [threading.Thread(target=plain.get, args=(url,)) for _ in range(16)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert len(server.paths) == 48
    assert len(server.peers) <= 16  # later rounds reuse the first round's connections


def test_https_checks_the_certificate_against_requests_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import certifi

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert transport._ca_bundle() == certifi.where()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path))  # a folder, as requests allows
    context = PlainHttp(user_agent="test", timeout=5)._tls()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
