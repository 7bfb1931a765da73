"""A counting HTTP proxy in front of a real server: every request is forwarded unchanged, and
recorded with when it came, whose it was (the account a bearer token names, else the caller's
address) and what the server answered, so a test counts the requests per rate-limit key as the
server saw them, and every 429 it had to send."""

from __future__ import annotations

import base64
import binascii
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.bluesky_faults import HOP_BY_HOP


@dataclass(frozen=True, slots=True)
class Seen:
    at: float  # time.time() when the request came
    key: str  # the account its token names, or "ip:ADDRESS"
    method: str
    path: str
    status: int


def token_subject(authorization: str | None) -> str | None:
    """The `sub` of a bearer JWT (an atproto access token names the account's DID there), read
    without checking the signature: the server checks it; this only counts."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    parts = authorization.split(" ", 1)[1].split(".")
    if len(parts) != 3:
        return authorization.split(" ", 1)[1]  # an opaque token names itself
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    subject = payload.get("sub") if isinstance(payload, dict) else None
    return subject if isinstance(subject, str) else None


@dataclass
class CountingProxy:
    upstream: str
    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    keyed: Callable[[str | None, str], str] = lambda token, address: token or f"ip:{address}"

    def record(self, entry: Seen) -> None:
        with self.lock:
            self.seen.append(entry)

    def statuses(self) -> Counter[int]:
        with self.lock:
            return Counter(entry.status for entry in self.seen)

    def most_in_window(self, window: float, key: str | None = None) -> int:
        """The most requests (of `key`, or all) the server saw in any `window` seconds."""
        with self.lock:
            times = sorted(e.at for e in self.seen if key is None or e.key == key)
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] > window:
                start += 1
            most = max(most, end - start + 1)
        return most

    def most_in_fixed_windows(self, period: int, prefix: str = "/") -> tuple[int, str]:
        """The most requests (to paths under `prefix`) of one key in one fixed window of
        `period` seconds, as servers count them (Mastodon's windows start at multiples of the
        period), and whose they were."""
        with self.lock:
            counts = Counter(
                (e.key, int(e.at) // period) for e in self.seen if e.path.startswith(prefix)
            )
        if not counts:
            return 0, ""
        (key, _), most = counts.most_common(1)[0]
        return most, key

    def by_key(self) -> Counter[str]:
        with self.lock:
            return Counter(entry.key for entry in self.seen)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_PUT(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def do_PATCH(self) -> None:
        self._forward()

    def _forward(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        came = time.time()
        answer = self.server.http.request(
            self.command, proxy.upstream + self.path, headers=headers, content=body
        )
        key = proxy.keyed(token_subject(self.headers.get("Authorization")), self.client_address[0])
        proxy.record(Seen(came, key, self.command, self.path, answer.status_code))
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            # send_response wrote its own Date and Server: a second Date would be joined to the
            # first ("..., ...") and break a client reading it (Mastodon.py times the reset).
            if name.lower() not in HOP_BY_HOP | {"content-encoding", "date", "server"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: CountingProxy
    http: httpx.Client

    def handle_error(self, request: object, client_address: object) -> None:
        """A caller killed mid-request (the tests SIGKILL workers) is no error of the proxy's."""
        kind = sys.exc_info()[0]
        if kind is not None and issubclass(kind, (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def counting_proxy(upstream: str) -> Iterator[CountingProxy]:
    server = _Server(("127.0.0.1", 0), _Handler)
    proxy = CountingProxy(upstream, f"http://127.0.0.1:{server.server_address[1]}")
    server.proxy = proxy
    server.http = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=64))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        server.http.close()
