"""A requests Session that reads the proxy environment once per host instead of on every call.

requests looks up `*_PROXY`/`NO_PROXY` (scanning all of os.environ, twice) and the CA-bundle
variables for every request it sends: ~0.3 ms each, on the paging thread whose requests follow
one another (a backup's critical path), and on every media download. The answer depends only on
the environment and the URL's host, so it is kept per (scheme, host). The behaviour is requests'
own: same proxies, same NO_PROXY bypass, same REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.sessions import merge_setting
from requests.utils import get_environ_proxies


class HttpSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self._environment_proxies: dict[tuple[str, str], dict[str, str]] = {}
        self._ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")

    def merge_environment_settings(
        self,
        url: str,
        proxies: dict[str, str] | None,
        stream: bool | None,
        verify: Any,
        cert: Any,
    ) -> dict[str, Any]:
        if not self.trust_env or (proxies and "no_proxy" in proxies):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        host = (parts.scheme, parts.netloc)
        found = self._environment_proxies.get(host)
        if found is None:
            found = self._environment_proxies[host] = dict(get_environ_proxies(url))
        merged = dict(proxies or {})
        for scheme, proxy in found.items():
            merged.setdefault(scheme, proxy)
        if verify is True or verify is None:
            verify = self._ca_bundle or verify
        return {
            "proxies": merge_setting(merged, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }
