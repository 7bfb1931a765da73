"""Plain HTTP/1.1 GETs on http.client, for reading Tumblr: the API's pages and the media files.

API docs: https://github.com/tumblr/docs/blob/master/api.md

A backup is hundreds of GETs. On one kept-open connection to the bench server, a GET through
requests costs ~1.0 ms of CPU, through http.client ~0.37 ms; importing requests (urllib3, idna,
charset_normalizer) is ~90 ms of a ~0.2 s start. So reads come through here and posting
(multipart, JSON bodies) keeps requests, imported only then (http.py). What requests does that
a read relies on is kept: the CA bundle (REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's,
else the system's), gzip answers, connections kept open and checked before reuse (one the
server closed while idle is dropped before sending, never a request sent twice), redirects
followed where asked (media). A proxy set in the environment leaves every call to requests,
which applies it with its NO_PROXY rules (`proxied`).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import ssl
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

IDLE = 24  # connections kept open per host: the listing's 4 pages at once and 16 media downloads
REDIRECTS = 5
_REDIRECT_STATUSES = (301, 302, 303, 307, 308)
_PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy")
Host = tuple[str, str, int]


class TransportError(Exception):
    """The connection failed, timed out or was cut: no whole answer came back."""


@dataclass(frozen=True, slots=True)
class PlainResponse:
    status_code: int
    headers: Mapping[str, str]  # names in lower case
    content: bytes
    url: str

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.content)


def proxied() -> bool:
    """Whether the environment names a proxy (then requests carries the calls, as before)."""
    names = {name.lower() for name, value in os.environ.items() if value}
    return any(variable in names for variable in _PROXY_VARIABLES)


class PlainHttp:
    """Kept-open connections by host, safe to share between threads (each connection serves one
    request at a time; a thread finding none idle opens one)."""

    def __init__(self, *, user_agent: str, timeout: float, idle: int = IDLE) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self._most_idle = idle
        self._idle: dict[Host, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None

    def get(
        self, url: str, headers: Mapping[str, str] | None = None, *, redirects: int = 0
    ) -> PlainResponse:
        """GET `url`, following up to `redirects` redirects; TransportError when no whole answer
        came back, ValueError for a URL that is not http(s)."""
        for _ in range(redirects + 1):
            response = self._get_once(url, headers or {})
            location = response.headers.get("location")
            if response.status_code not in _REDIRECT_STATUSES or not location or not redirects:
                return response
            url = urljoin(url, location)
        return response

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _get_once(self, url: str, headers: Mapping[str, str]) -> PlainResponse:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) address: {url[:200]}")
        host: Host = (parts.scheme, parts.hostname, parts.port or _default_port(parts.scheme))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip", **headers}
        connection = self._connection(host)
        try:
            connection.request("GET", target, headers=sent)
            answer = connection.getresponse()
            body = answer.read()
            names = [(name.lower(), value) for name, value in answer.getheaders()]
            body = _decoded(body, dict(names).get("content-encoding", ""))
        except (OSError, http.client.HTTPException, zlib.error) as error:
            connection.close()
            raise TransportError(f"{type(error).__name__}: {error}"[:300]) from error
        if getattr(answer, "will_close", True):  # (vcrpy's replayed answers have none)
            connection.close()
        else:
            self._keep(host, connection)
        return PlainResponse(answer.status, _joined(names), body, url)

    def _connection(self, host: Host) -> http.client.HTTPConnection:
        with self._lock:
            idle = self._idle.get(host, [])
            while idle:
                connection = idle.pop()
                if not _dropped(connection):
                    return connection
                connection.close()
        scheme, name, port = host
        if scheme == "https":
            return http.client.HTTPSConnection(
                name, port, timeout=self.timeout, context=self._tls()
            )
        return http.client.HTTPConnection(name, port, timeout=self.timeout)

    def _keep(self, host: Host, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(host, [])
            if len(idle) < self._most_idle:
                idle.append(connection)
                return
        connection.close()

    def _tls(self) -> ssl.SSLContext:
        if self._context is None:
            bundle = _ca_bundle()
            if bundle is not None and os.path.isdir(bundle):  # a folder of certificates
                self._context = ssl.create_default_context(capath=bundle)
            else:
                self._context = ssl.create_default_context(cafile=bundle)
        return self._context


def _ca_bundle() -> str | None:
    """The CA file requests would use: its environment variables, else certifi's bundle."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        return bundle
    try:
        import certifi
    except ImportError:  # pragma: no cover - requests depends on certifi
        return None
    where: str = certifi.where()
    return where


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-open connection the server has closed (or sent something on unasked)."""
    sock = getattr(connection, "sock", None)
    if sock is None:
        return False  # never connected, or closed: the request connects afresh
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no poll on this system: select
        with contextlib.suppress(OSError, ValueError):
            return bool(select.select([sock], [], [], 0)[0])
        return True


def _decoded(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


def _joined(names: list[tuple[str, str]]) -> dict[str, str]:
    """Headers by lower-case name; one sent twice is joined with commas, as requests does."""
    headers: dict[str, str] = {}
    for name, value in names:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers
