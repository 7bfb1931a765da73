"""Faults the Tumblr-shaped loopback server can inject through its `intercept` hook: error
statuses, a stalled answer (the client times out), a dropped connection, a body cut short, and
malformed JSON. Each rule fires on the next requests whose path contains its fragment."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from tests.tumblr_server import Handler, envelope

KINDS = ("429", "500", "502", "503", "stall", "drop", "cut", "garbage")


@dataclass
class Rule:
    fragment: str  # e.g. "/posts" or "/media/"
    kind: str
    times: int = 1
    skip: int = 0  # let this many matching requests through first


@dataclass
class Faults:
    rules: list[Rule] = field(default_factory=list)
    fired: list[tuple[str, str]] = field(default_factory=list)  # (kind, path)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fragment: str, kind: str, times: int = 1, skip: int = 0) -> None:
        assert kind in KINDS, kind
        self.rules.append(Rule(fragment, kind, times, skip))

    def __call__(self, handler: Handler) -> bool:
        with self.lock:
            rule = next((r for r in self.rules if r.fragment in handler.path and r.times), None)
            if rule is None:
                return False
            if rule.skip:
                rule.skip -= 1
                return False
            rule.times -= 1
            self.fired.append((rule.kind, handler.path))
        _answer(handler, rule.kind, self.release)
        return True


def _answer(handler: Handler, kind: str, release: threading.Event) -> None:
    if kind == "stall":  # no answer until the client gives up (bounded: a test releases it)
        release.wait(10)
        handler.close_connection = True
        return
    if kind == "drop":
        handler.close_connection = True
        return
    if kind == "cut":  # Content-Length promises the whole file; half of it comes
        key = handler.path.rpartition("/")[2]
        data = handler.server.state.media.get(key, b"x" * 64)
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2])
        handler.close_connection = True
        return
    if kind == "garbage":
        body = b'{"meta": {"status": 200, "msg": "OK"}, "response": {"posts": [{"id'
        headers = {"Content-Type": "application/json"}
        handler._send(200, body, headers)
        return
    status = int(kind)
    headers = {"Retry-After": "7"} if status == 429 else {}
    handler._send(status, json.loads(json.dumps(envelope(status, "Fault"))), headers)
