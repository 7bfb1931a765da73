"""Run another backup tool's own command line against the benchmark's local servers.

Run by the peers' Python (bench/bench_peers.py), never imported by the project:

    python -I bench/peer_shim.py REWRITES MODULE:FUNCTION [ARG ...]

REWRITES is a JSON object of URL prefixes and their replacements ("https://api.tumblr.com/" ->
"http://127.0.0.1:PORT/"). Every request the tool makes through requests, urllib3's pool
managers or urllib.request has its URL rewritten by the first prefix it starts with; a request
that would still leave the machine stops the tool instead. Then MODULE:FUNCTION (the tool's
console entry point) runs with the ARGs as its command line. Stdlib and the tool's own
dependencies only: the project's packages are not installed in the peers' Python.
"""

from __future__ import annotations

import importlib
import json
import sys
import urllib.request
from typing import Any

LOCAL = ("http://127.0.0.1:", "http://localhost:")


def _rewriter(rewrites: dict[str, str]) -> Any:
    def rewrite(url: str) -> str:
        for prefix, target in rewrites.items():
            if url.startswith(prefix):
                url = target + url[len(prefix) :]
                break
        if not url.startswith(LOCAL):
            raise RuntimeError(f"bench shim: refusing a request off this machine: {url}")
        return url

    return rewrite


def install(rewrites: dict[str, str]) -> None:
    """Send the tool's requests to the local servers."""
    rewrite = _rewriter(rewrites)
    try:
        import requests
    except ImportError:
        pass
    else:
        session_request = requests.Session.request

        def request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            return session_request(self, method, rewrite(url), *args, **kwargs)

        requests.Session.request = request  # type: ignore[assignment, method-assign]
    try:
        import urllib3
    except ImportError:
        pass
    else:
        pool_urlopen = urllib3.PoolManager.urlopen

        def urlopen(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            return pool_urlopen(self, method, rewrite(url), *args, **kwargs)

        urllib3.PoolManager.urlopen = urlopen  # type: ignore[method-assign]
    plain_urlopen = urllib.request.urlopen

    def plain(url: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, urllib.request.Request):
            url.full_url = rewrite(url.full_url)
        else:
            url = rewrite(url)
        return plain_urlopen(url, *args, **kwargs)

    urllib.request.urlopen = plain


def main() -> int:
    rewrites, entry, *arguments = sys.argv[1:]
    install(json.loads(rewrites))
    module, _, function = entry.partition(":")
    sys.argv = [module.partition(".")[0].replace("_", "-"), *arguments]
    result = getattr(importlib.import_module(module), function)()
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
