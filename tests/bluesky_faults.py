"""A fault-injecting HTTP proxy in front of the real local PDS (tests/bluesky_pds.py): requests
whose path contains a rule's fragment are answered with an error status (or a dropped line, or
no answer at all) instead of being forwarded; everything else reaches the PDS unchanged."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

KINDS = ("429", "500", "502", "503", "504", "drop", "stall", "lost")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Rule:
    fragment: str  # e.g. "com.atproto.repo.listRecords"
    kind: str
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FaultProxy:
    upstream: str
    url: str = ""
    rules: list[Rule] = field(default_factory=list)
    fired: list[tuple[str, str]] = field(default_factory=list)  # (kind, path)
    forwarded: list[str] = field(default_factory=list)  # paths that reached the PDS
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self, fragment: str, kind: str, times: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        assert kind in KINDS, kind
        with self.lock:
            self.rules.append(Rule(fragment, kind, times, dict(headers or {})))

    def take(self, path: str) -> Rule | None:
        with self.lock:
            rule = next((r for r in self.rules if r.fragment in path and r.times), None)
            if rule is None:
                self.forwarded.append(path)
                return None
            rule.times -= 1
            self.fired.append((rule.kind, path))
            return rule


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rule = proxy.take(self.path)
        if rule is None:
            self._forward(proxy.upstream, body)
        elif rule.kind == "lost":  # the PDS does the work; its answer never comes back
            httpx.request(
                self.command, proxy.upstream + self.path, headers=self._headers(), content=body
            )
            self.close_connection = True
        elif rule.kind == "drop":
            self.close_connection = True
        elif rule.kind == "stall":
            proxy.release.wait(10)
            self.close_connection = True
        else:
            status = int(rule.kind)
            name = {429: "RateLimitExceeded"}.get(status, "InternalServerError")
            data = f'{{"error":"{name}","message":"fault"}}'.encode()
            self.send_response(status)
            for key, value in rule.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def _headers(self) -> dict[str, str]:
        return {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}

    def _forward(self, upstream: str, body: bytes) -> None:
        answer = httpx.request(
            self.command, upstream + self.path, headers=self._headers(), content=body, timeout=60
        )
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in HOP_BY_HOP | {"content-encoding"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    server = _Server(("127.0.0.1", 0), _Handler)
    proxy = FaultProxy(upstream, f"http://127.0.0.1:{server.server_address[1]}")
    server.proxy = proxy
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.release.set()
        server.shutdown()
        server.server_close()
