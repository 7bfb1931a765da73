"""Requests per endpoint, counted where they arrive: at the benchmark's local servers.

A server keeps a `RequestCounts`; its handler adds one key per answer (the endpoint with ids left
out, and the status when it is not 200) and answers `GET /_bench/counts` with the counts so far,
resetting them, without latency and without counting that request.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter

COUNTS_PATH = "/_bench/counts"


class RequestCounts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, endpoint: str, status: int) -> None:
        key = endpoint if status == 200 else f"{endpoint} -> {status}"
        with self._lock:
            self._counts[key] += 1

    def take(self) -> bytes:
        """The counts as JSON, and start again from none."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return json.dumps(dict(sorted(counts.items()))).encode()


def take_counts(base_url: str) -> dict[str, int]:
    """The requests a server has answered since the last call, by endpoint."""
    with urllib.request.urlopen(base_url + COUNTS_PATH, timeout=10) as response:
        counts: dict[str, int] = json.loads(response.read())
    return counts
