"""A Mastodon-shaped API server for the backup benchmark: stdlib only, canned statuses, latency.

https://docs.joinmastodon.org/methods/accounts/#statuses and #lookup. mastodon-mock (FastAPI and
SQLAlchemy) needs ~130 ms to answer one page of 40, which hides the client's own speed; this one
answers in well under a millisecond besides its added latency, like tests/tumblr_server.py does
for Tumblr. Every status is the documented Status example (mastodon-docs, entities/Status.md)
with its own id, date and text; every (statuses // images)-th carries the documented
MediaAttachment example pointing at a small PNG served here. Pages go by `max_id`, newest first,
with the Link header and X-RateLimit-* headers a Mastodon server sends; like Mastodon, a full page
links to a next one (so the last page is followed by an empty one).

For tools that sign in (bench/bench_peers.py runs mastodon-archive through Mastodon.py) it also
answers verify_credentials (the documented CredentialAccount) and /api/v1/instance and
/api/v2/instance (the documented examples; Mastodon.py reads the version from them). The
account's avatar and header are PNGs served here, like the media, so that nothing a tool
downloads leaves the machine. Requests are counted per endpoint (bench/request_counts.py). The
handler sets `disable_nagle_algorithm` (TCP_NODELAY): it writes headers and body in two writes,
which on a kept-open connection would otherwise wait for the client's delayed ACK (~40 ms each).
"""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.request_counts import COUNTS_PATH, RequestCounts
from tests.backup_world import png
from tests.fixtures import fixtures_root

EXTRACTED = "mastodon-docs/extracted"
STATUS = f"{EXTRACTED}/entities_Status.md_L0021_example.json"
ATTACHMENT = f"{EXTRACTED}/entities_MediaAttachment.md_L0023_example.json"
CREDENTIALS = f"{EXTRACTED}/methods_accounts.md_L0183_verify-account-credentials_200.json"
INSTANCE_V1 = (
    f"{EXTRACTED}/methods_instance.md_L0912_view-server-information-v1-deprecated_200.json"
)
INSTANCE_V2 = f"{EXTRACTED}/methods_instance.md_L0041_view-server-information_200.json"
AVATAR = "/system/accounts/avatars/bench.png"
HEADER = "/system/accounts/headers/bench.png"
ACCOUNT_ID = "109302"
USERNAME = "bench"
PAGE_LIMIT = 40  # the most /api/v1/accounts/:id/statuses returns
FIRST_ID = 113_000_000_000_000_000
START = datetime(2024, 11, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)  # Mastodon's rate-limit window


def _fixture(relative: str) -> dict[str, Any]:
    root = fixtures_root()
    if root is None:
        raise SystemExit("the Mastodon benchmark server needs the shared fixtures (mastodon-docs)")
    data: dict[str, Any] = json.loads((root / relative).read_text(encoding="utf-8"))
    return data


def local_account(template: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The account `bench` in the shape of `template`, its pictures served here."""
    account = {**template, "id": ACCOUNT_ID, "username": USERNAME, "acct": USERNAME}
    account["url"] = f"{base_url}/@{USERNAME}"
    for picture, path in (("avatar", AVATAR), ("header", HEADER)):
        account[picture] = account[f"{picture}_static"] = base_url + path
    return account


def canned_statuses(
    base_url: str, statuses: int, images: int
) -> tuple[list[bytes], dict[str, bytes]]:
    """Each status as JSON bytes (newest first), and the media files by path."""
    template, attachment = _fixture(STATUS), _fixture(ATTACHMENT)
    account = local_account(template["account"], base_url)
    every = statuses // images if images else 0
    encoded: list[bytes] = []
    media: dict[str, bytes] = {AVATAR: png(70_000), HEADER: png(70_001)}
    for number in range(statuses):
        status_id = str(FIRST_ID - number * 1000)
        status = copy.deepcopy(template)
        status.update(
            id=status_id,
            created_at=(START - timedelta(minutes=number)).isoformat().replace("+00:00", "Z"),
            uri=f"{base_url}/users/{USERNAME}/statuses/{status_id}",
            url=f"{base_url}/@{USERNAME}/{status_id}",
            account=account,
            content=f"<p>status {number}: {template['content'][3:]}",
            media_attachments=[],
        )
        if every and number % every == 0:
            path = f"/system/media_attachments/{number}.png"
            media[path] = png(number)
            item = {**copy.deepcopy(attachment), "id": str(number), "url": base_url + path}
            item["preview_url"] = item["url"]
            status["media_attachments"] = [item]
        encoded.append(json.dumps(status).encode())
    return encoded, media


class Handler(BaseHTTPRequestHandler):
    server: MastodonShapedServer
    protocol_version = "HTTP/1.1"  # connections kept open, as behind Mastodon's nginx
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    endpoint = ""  # what this request is counted as ("": not counted)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        if path == COUNTS_PATH:
            self.endpoint = ""
            self._send(200, self.server.counts.take(), api=False)
            return
        self.endpoint = endpoint_of(path, self.server.media)
        if self.server.latency:
            time.sleep(self.server.latency)
        query = dict(parse_qsl(parts.query))
        if path in self.server.media:
            self._send(200, self.server.media[path], "image/png", api=False)
        elif path == "/api/v1/accounts/lookup" and query.get("acct") == USERNAME:
            self._send(200, json.dumps(self.server.account).encode())
        elif path == "/api/v1/accounts/verify_credentials":
            self._send(200, self.server.credentials)
        elif path == "/api/v1/instance":
            self._send(200, self.server.instance_v1)
        elif path == "/api/v2/instance":
            self._send(200, self.server.instance_v2)
        elif path == f"/api/v1/accounts/{ACCOUNT_ID}/statuses":
            self._statuses(query)
        else:
            self._send(404, b'{"error":"Record not found"}')

    def send_response(self, code: int, message: str | None = None) -> None:
        if self.endpoint:
            self.server.counts.add(self.endpoint, code)
        super().send_response(code, message)

    def _statuses(self, query: dict[str, str]) -> None:
        limit = min(int(query.get("limit", 20)), PAGE_LIMIT)
        start = 0
        if "max_id" in query:  # ids run down by 1000 from FIRST_ID: the first one below max_id
            start = max(0, (FIRST_ID - int(query["max_id"])) // 1000 + 1)
        page = self.server.statuses[start : start + limit]
        headers = {}
        if len(page) == limit:  # Mastodon's records_continue?
            last = FIRST_ID - (start + limit - 1) * 1000
            url = f"{self.server.url}/api/v1/accounts/{ACCOUNT_ID}/statuses"
            headers["Link"] = f'<{url}?limit={limit}&max_id={last}>; rel="next"'
        self._send(200, b"[" + b",".join(page) + b"]", headers=headers)

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "application/json; charset=utf-8",
        *,
        api: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if api:  # media come from the files host, which sends no rate-limit headers
            remaining, reset = self.server.count_call()
            self.send_header("X-RateLimit-Limit", str(self.server.budget))
            self.send_header("X-RateLimit-Remaining", str(remaining))
            self.send_header("X-RateLimit-Reset", reset.isoformat(timespec="milliseconds"))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


def endpoint_of(path: str, media: dict[str, bytes]) -> str:
    """The endpoint a path asks for, media files and the account's id left out."""
    if path.startswith("/system/media_attachments/") and path in media:
        return "/system/media_attachments/*"
    return path.replace(f"/accounts/{ACCOUNT_ID}/", "/accounts/{id}/")


class MastodonShapedServer(ThreadingHTTPServer):
    """Account `bench` (id ACCOUNT_ID) with `statuses` statuses; `latency` delays every answer;
    `budget` API calls per 5-minute window (Mastodon's 300; more for repeated benchmark runs)."""

    daemon_threads = True

    def __init__(
        self, statuses: int, images: int, latency: float = 0.0, *, budget: int = 300, port: int = 0
    ) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.latency = latency
        self.budget = budget
        self._window: tuple[datetime, int] = (datetime.now(UTC) + WINDOW, budget)
        self.counts = RequestCounts()
        self.statuses, self.media = canned_statuses(self.url, statuses, images)
        self.account = local_account(_fixture(STATUS)["account"], self.url)
        credentials = local_account(_fixture(CREDENTIALS), self.url)
        self.credentials = json.dumps({**credentials, "statuses_count": statuses}).encode()
        host = self.url.removeprefix("http://")
        v1, v2 = _fixture(INSTANCE_V1), _fixture(INSTANCE_V2)
        self.instance_v1 = json.dumps({**v1, "uri": host}).encode()
        self.instance_v2 = json.dumps({**v2, "domain": host}).encode()

    def count_call(self) -> tuple[int, datetime]:
        """One API call against the window: (calls left, when the window resets)."""
        reset, remaining = self._window
        now = datetime.now(UTC)
        if now >= reset:
            reset, remaining = now + WINDOW, self.budget
        self._window = (reset, max(remaining - 1, 0))
        return self._window[1], reset

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"
