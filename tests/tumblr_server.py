"""A Tumblr-shaped API server on loopback for flow tests, answering in the shapes of api.md.

https://github.com/tumblr/docs/blob/master/api.md — /v2/blog/{blog}/info, /posts (npf, before,
limit), NPF create (JSON or multipart with media identifiers), /post/delete, the 8023 and 8004
daily caps, X-Ratelimit headers on every answer (and, with `State.key_limits`, calls counted
per consumer key in windows of their own, 429 past them), and the OAuth1 three-legged dance; the
account besides its posts (tumblr_account_endpoints.py): /info with avatar sizes and theme,
/avatar, /likes, /following, /followers and /blocks. OAuth1 signatures are really checked
(HMAC-SHA1 through oauthlib), so a wrongly signed request gets 401.
`recording_server` runs it on a pinned port for recording cassettes (tests/test_tumblr_replay.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature

from tests import tumblr_account_endpoints

AVATAR_PNG = b"\x89PNG\r\n\x1a\n" + b"avatar" * 8
CONSUMER = ("test-consumer-key", "test-consumer-secret")
REPLAY_PORT = 38472  # pinned for recording cassettes: vcrpy matches host and port
USER = ("test-user-token", "test-user-secret")


@dataclass
class KeyLimits:
    """Calls counted per consumer key, as api.tumblr.com counts them (api.md "Rate Limits": 1,000
    an hour and 5,000 a day per consumer key), in fixed windows whose length a test may shorten
    (`hour` seconds for the hourly one). Every answer to a call made with a key says where its
    windows stand (X-Ratelimit-Perhour-Limit, -Remaining, -Reset in seconds from now; Perday the
    same); a call past a window's limit is answered 429 Limit Exceeded with those headers, not
    served. Calls without a key (media, avatars) are not counted."""

    per_hour: int = 1000
    per_day: int = 5000
    hour: float = 3600.0
    day: float = 86_400.0
    counts: dict[tuple[str, str, int], int] = field(default_factory=dict)  # key, window, index
    refused: int = 0  # calls answered 429
    calls: list[tuple[float, str, int, bool]] = field(default_factory=list)  # time, path, n, served
    lock: threading.Lock = field(default_factory=threading.Lock)

    def windows(self) -> tuple[tuple[str, int, float], ...]:
        return (("perhour", self.per_hour, self.hour), ("perday", self.per_day, self.day))

    def count(self, key: str, now: float, path: str = "") -> tuple[bool, dict[str, str]]:
        """Count one call of `key`: whether it may be served, and the headers its answer
        carries."""
        with self.lock:
            headers: dict[str, str] = {}
            served = True
            for name, limit, length in self.windows():
                index = int(now // length)
                used = self.counts.get((key, name, index), 0) + 1
                self.counts[(key, name, index)] = used
                served = served and used <= limit
                reset = (index + 1) * length - now
                title = name.capitalize()
                headers[f"X-Ratelimit-{title}-Limit"] = str(limit)
                headers[f"X-Ratelimit-{title}-Remaining"] = str(max(limit - used, 0))
                headers[f"X-Ratelimit-{title}-Reset"] = str(max(int(reset + 0.999), 1))
            if not served:
                self.refused += 1
            hourly = self.counts[(key, "perhour", int(now // self.hour))]
            self.calls.append((now, path, hourly, served))
            return served, headers

    def most(self, window: str = "perhour") -> int:
        """The most calls one key made in one window, those refused included."""
        with self.lock:
            return max((n for (_, name, _), n in self.counts.items() if name == window), default=0)


@dataclass
class State:
    posts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    media: dict[str, bytes] = field(default_factory=dict)
    next_id: int = 700000000000000000
    post_cap: int = 250
    image_cap: int = 250
    posted_today: int = 0
    images_today: int = 0
    hour_remaining: int = 1000
    faults: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    log: list[tuple[str, str, bool]] = field(default_factory=list)  # method, path+query, signed
    temp_tokens: dict[str, str] = field(default_factory=dict)  # token -> verifier
    ignore_offset: bool = False  # answer /posts as if `offset` were not a parameter
    max_limit: int = 50  # the most posts a /posts page holds, whatever `limit` asks
    total_counts_before: bool = False  # total_posts of a `before` query counts only older posts
    hold_list: int | None = None  # the n-th /posts list call waits until `release` is set
    release: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)  # set while one is held
    blogs: dict[str, dict[str, Any]] = field(default_factory=dict)  # /info fields beyond posts
    likes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # liked posts
    following: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    followers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blocks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    owned: set[str] | None = None  # blogs the signed-in user owns; None: every blog
    unlisted: set[str] = field(default_factory=set)  # blogs left out of pages after slicing
    key_limits: KeyLimits | None = None  # count calls per consumer key (else `hour_remaining`)

    def add_posts(self, blog: str, count: int, start: int = 1600000000, step: int = 60) -> None:
        for n in range(count):
            self.add(blog, {"timestamp": start - n * step, "content": [_text(f"post {n}")]})

    def add(self, blog: str, fields: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        post = {
            "object_type": "post",
            "type": "blocks",
            "blog_name": blog,
            "id": self.next_id,
            "id_string": str(self.next_id),
            "post_url": f"https://{blog}.tumblr.com/post/{self.next_id}",
            "state": "published",
            "tags": [],
            "layout": [],
            "trail": [],
            "is_blocks_post_format": True,
            **fields,
        }
        self.posts.setdefault(blog, []).append(post)
        return post


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def envelope(status: int, msg: str, response: Any = None, errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"meta": {"status": status, "msg": msg}, "response": response or {}}
    if errors:
        body["errors"] = errors
    return body


class Handler(BaseHTTPRequestHandler):
    server: TumblrServer
    signed_request = False  # whether this request's OAuth1 signature checked out
    limit_headers: dict[str, str] | None = None  # this call's windows, under `key_limits`

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def setup(self) -> None:
        if self.server.keep_alive:  # as api.tumblr.com: HTTP/1.1, connections kept open
            self.protocol_version = "HTTP/1.1"
            # typeshed calls it a ClassVar, but StreamRequestHandler.setup reads it per instance.
            self.disable_nagle_algorithm = True  # type: ignore[misc]
        super().setup()

    # --- plumbing --------------------------------------------------------------------------------

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        state = self.server.state
        limits = self.limit_headers or {
            "X-Ratelimit-Perhour-Limit": "1000",
            "X-Ratelimit-Perhour-Remaining": str(max(state.hour_remaining, 0)),
            "X-Ratelimit-Perhour-Reset": "1800",
            "X-Ratelimit-Perday-Limit": "5000",
            "X-Ratelimit-Perday-Remaining": "4000",
            "X-Ratelimit-Perday-Reset": "40000",
        }
        ctype = "application/json" if not isinstance(body, bytes) else "application/octet-stream"
        for key, value in {"Content-Type": ctype, **limits, **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def reply(
        self, status: int, response: Any = None, *, errors: Any = None, msg: str = "OK"
    ) -> None:
        """An API answer in Tumblr's envelope."""
        self._send(status, envelope(status, msg, response, errors))

    def send_raw(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self._send(status, body, headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _signed(self, body: bytes, token_secret: str | None) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("OAuth "):
            return False
        uri = f"http://{self.headers['Host']}{self.path}"
        ctype = self.headers.get("Content-Type", "")
        form = body.decode() if ctype.startswith("application/x-www-form-urlencoded") else ""
        # oauthlib's stubs take the method as a Literal; only do_GET and do_POST come here.
        method: Literal["GET", "POST"] = "POST" if self.command == "POST" else "GET"
        request = OAuthRequest(uri, method, form, {"Authorization": header})
        params = signature.collect_parameters(
            uri_query=urlsplit(uri).query, body=form, headers={"Authorization": header}
        )
        # verify_hmac_sha1 reads these two, which oauthlib's endpoints set and its stubs leave out.
        request.params = params  # type: ignore[attr-defined]
        sent = signature.collect_parameters(
            headers={"Authorization": header}, exclude_oauth_signature=False
        )
        request.signature = dict(sent).get("oauth_signature", "")  # type: ignore[attr-defined]
        return bool(signature.verify_hmac_sha1(request, CONSUMER[1], token_secret))

    def _route(self, body: bytes) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        oauth = dict(signature.collect_parameters(headers=dict(self.headers)))
        token = oauth.get("oauth_token")
        secret = USER[1] if token == USER[0] else self.server.temp_secrets.get(token or "")
        signed = self._signed(body, secret)
        self.signed_request = signed
        self.limit_headers = None
        state.log.append((self.command, self.path, signed))
        if self.server.latency:
            time.sleep(self.server.latency)  # a server further away (benchmarks; off by default)
        if self.server.intercept is not None and self.server.intercept(self):
            return  # a test's fault answered (a cut body, a stall, a dropped connection ...)
        if state.faults:
            status, headers, payload = state.faults.pop(0)
            self._send(status, payload, headers)
            return
        state.hour_remaining -= 1
        consumer = oauth.get("oauth_consumer_key") or query.get("api_key")
        if state.key_limits is not None and consumer:
            served, self.limit_headers = state.key_limits.count(
                consumer, time.time(), f"{self.command} {parts.path}"
            )
            if not served:
                self._send(429, envelope(429, "Limit Exceeded", []))
                return
        if parts.path.startswith("/oauth/"):
            self._oauth(parts.path, signed, token)
            return
        if parts.path.startswith("/media/"):
            key = parts.path.rpartition("/")[2]
            self._send(200, AVATAR_PNG if key.startswith("avatar-") else state.media.get(key, b""))
            return
        segments = parts.path.strip("/").split("/")
        if segments[:2] == ["v2", "blog"] and segments[3:4] == ["avatar"]:
            tumblr_account_endpoints.answer(self, segments[2], segments[3:], query)
            return  # /avatar takes no authentication at all (api.md)
        if not signed and query.get("api_key") != CONSUMER[0]:
            self._send(401, envelope(401, "Unauthorized"))
            return
        if len(segments) < 4 or segments[:2] != ["v2", "blog"]:
            self._send(404, envelope(404, "Not Found"))
            return
        blog = segments[2].removesuffix(".tumblr.com")
        self._blog(blog, segments[3:], query, body, signed)

    def do_GET(self) -> None:
        self._route(b"")

    def do_POST(self) -> None:
        self._route(self._body())

    # --- endpoints -------------------------------------------------------------------------------

    def _blog(
        self, blog: str, rest: list[str], query: dict[str, str], body: bytes, signed: bool
    ) -> None:
        posts = self.server.state.posts.get(blog, [])
        if self.command == "GET" and tumblr_account_endpoints.answer(self, blog, rest, query):
            return
        if rest == ["posts"] and self.command == "GET":
            self._list(blog, posts, query, signed, ("published", "private"))
        elif rest in (["posts", "draft"], ["posts", "queue"]) and signed:
            state = "draft" if rest[1] == "draft" else "queued"
            self._list(blog, posts, query, signed, (state,))
        elif len(rest) == 2 and rest[0] == "posts" and self.command == "GET" and signed:
            found = [p for p in posts if p["id_string"] == rest[1]]
            if found:
                self._send(200, envelope(200, "OK", found[0]))
            else:
                self._send(404, envelope(404, "Not Found"))
        elif rest == ["posts"] and self.command == "POST" and signed:
            self._create(blog, body)
        elif rest == ["post", "delete"] and signed:
            wanted = str(json.loads(body or b"{}").get("id"))
            kept = [p for p in posts if p["id_string"] != wanted]
            if len(kept) == len(posts):
                self._send(404, envelope(404, "Not Found"))
                return
            self.server.state.posts[blog] = kept
            self._send(200, envelope(200, "OK", {"id": wanted}))
        else:
            self._send(401 if not signed else 404, envelope(401 if not signed else 404, "No"))

    def _list(
        self,
        blog: str,
        posts: list[dict[str, Any]],
        query: dict[str, str],
        signed: bool,
        states: tuple[str, ...],
    ) -> None:
        visible = [
            p for p in posts if p["state"] in states and (signed or p["state"] == "published")
        ]
        visible.sort(key=lambda p: (p["timestamp"], p["id"]), reverse=True)
        total = len(visible)
        if "id" in query:
            visible = [p for p in visible if p["id_string"] == query["id"]]
        if "before" in query:
            visible = [p for p in visible if p["timestamp"] < int(query["before"])]
            if self.server.state.total_counts_before:
                total = len(visible)
        if "before_id" in query:
            visible = [p for p in visible if p["id"] < int(query["before_id"])]
        offset = 0 if self.server.state.ignore_offset else int(query.get("offset", 0))
        limit = min(int(query.get("limit", 20)), self.server.state.max_limit)
        page = visible[offset : offset + limit]
        state = self.server.state
        lists = sum(1 for method, path, _ in state.log if method == "GET" and "/posts" in path)
        if state.hold_list is not None and lists == state.hold_list:
            state.held.set()  # the test kills its client now; the answer goes nowhere
            state.release.wait(30)
        response = {"blog": {"name": blog}, "posts": page, "total_posts": total}
        self._send(200, envelope(200, "OK", response))

    def _create(self, blog: str, body: bytes) -> None:
        state = self.server.state
        ctype = self.headers.get("Content-Type", "")
        files: dict[str, bytes] = {}
        if ctype.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                files[str(name)] = payload if isinstance(payload, bytes) else b""
            data = json.loads(files.pop("json", b"{}"))
        else:
            data = json.loads(body or b"{}")
        if not isinstance(data.get("content"), list):
            error = [{"title": "'content' must be an array'", "code": 8001}]
            self._send(400, envelope(400, "Bad Request", errors=error))
            return
        if state.posted_today >= state.post_cap:
            error = [{"title": "Daily post limit reached", "code": 8023}]
            self._send(403, envelope(403, "Forbidden", errors=error))
            return
        if state.images_today + len(files) > state.image_cap:
            error = [{"title": "Daily upload limit reached", "code": 8004}]
            self._send(403, envelope(403, "Forbidden", errors=error))
            return
        for block in data["content"]:
            media = block.get("media")
            for item in media if isinstance(media, list) else [media] if media else []:
                ident = item.pop("identifier", None)
                if ident is not None:
                    if ident not in files:
                        self._send(400, envelope(400, "Bad Request", errors=[{"code": 8005}]))
                        return
                    key = f"{len(state.media)}-{ident}"
                    state.media[key] = files[ident]
                    item["url"] = f"http://{self.headers['Host']}/media/{key}"
        state.posted_today += 1
        state.images_today += len(files)
        fields = {
            "content": data["content"],
            "layout": data.get("layout", []),
            "state": {"queue": "queued"}.get(data.get("state", ""), data.get("state", "published")),
            "tags": [t for t in str(data.get("tags", "")).split(",") if t],
            "timestamp": self.server.clock_now(),
        }
        if "source_url" in data:
            fields["source_url"] = data["source_url"]
        post = state.add(blog, fields)
        self._send(201, envelope(201, "Created", {"id": post["id_string"]}))

    def _oauth(self, path: str, signed: bool, token: str | None) -> None:
        if not signed:
            self._send(401, b"oauth_problem=signature_invalid")
            return
        if path == "/oauth/request_token":
            temp = f"temp-{len(self.server.temp_secrets)}"
            self.server.temp_secrets[temp] = "temp-secret"
            self.server.state.temp_tokens[temp] = "the-verifier"
            answer = {"oauth_token": temp, "oauth_token_secret": "temp-secret"}
            self._send(200, urlencode({**answer, "oauth_callback_confirmed": "true"}).encode())
        elif path == "/oauth/access_token" and token in self.server.state.temp_tokens:
            answer = {"oauth_token": USER[0], "oauth_token_secret": USER[1]}
            self._send(200, urlencode(answer).encode())
        else:
            self._send(401, b"oauth_problem=token_rejected")


class TumblrServer(ThreadingHTTPServer):
    """`latency` delays every answer (seconds); `intercept`, when set, sees each request first
    and answers it itself by returning True (fault injection beyond `State.faults`).
    `keep_alive` answers HTTP/1.1 on connections kept open, with TCP_NODELAY, as the real API
    does (benchmarks); off, every request has a connection of its own (HTTP/1.0)."""

    # socketserver's default backlog of 5 drops the SYNs of a burst of new connections (media
    # downloads starting while a page is read) when the accept loop waits for the interpreter
    # lock, and the client sees a connect timeout no real server would cause.
    request_queue_size = 64

    def __init__(
        self, port: int = 0, now: int = 1700000000, latency: float = 0.0, keep_alive: bool = False
    ) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = State()
        self.temp_secrets: dict[str, str] = {}
        self.now = now
        self.latency = latency
        self.keep_alive = keep_alive
        self.intercept: Callable[[Handler], bool] | None = None

    def clock_now(self) -> int:
        return self.now

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@dataclass
class Replaying:
    """What a scenario sees of the server while its cassette replays: the pinned address, and a
    state that no server reads (setting it up changes nothing; the cassette has the answers)."""

    url: str = f"http://127.0.0.1:{REPLAY_PORT}"
    state: State = field(default_factory=State)


@pytest.fixture
def recording_server(request: pytest.FixtureRequest) -> Iterator[TumblrServer | Replaying]:
    """The server on the pinned port while recording cassettes (`--record-mode=rewrite`); only
    its address when they replay, so replaying needs no server at all."""
    if request.config.getoption("--record-mode", default="none") == "none":
        yield Replaying()
        return
    with running(REPLAY_PORT) as live:
        yield live


@contextmanager
def running(port: int = 0, latency: float = 0.0) -> Iterator[TumblrServer]:
    server = TumblrServer(port, latency=latency)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
