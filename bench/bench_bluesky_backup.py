"""Requests per endpoint and wall time of real `crosspost backup` processes of a Bluesky account
on the local PDS: a full backup of POSTS posts with IMAGES images, an incremental one with
nothing new, one with 10 new posts, and `--full` again. Each run is a fresh process (its start-up
and imports included: that is what a cron job pays); the requests are counted by a loopback
proxy between the process and the PDS. `import` is what importing the read path costs alone.

Run: python bench/bench_bluesky_backup.py [POSTS] [IMAGES]   (needs tools/pds/pds.sh install)
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.backup_world import cli_env, crosspost
from tests.bluesky_pds import LAUNCHER, create_account, start_pds
from tests.bluesky_seed import fill

HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}


class CountingProxy(ThreadingHTTPServer):
    """Forwards every request to the PDS and counts it by its XRPC method's last name."""

    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.target = urlsplit(target).netloc
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://localhost:{self.server_address[1]}"


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingProxy

    def _forward(self) -> None:
        with self.server.lock:
            self.server.counts[urlsplit(self.path).path.rpartition(".")[2]] += 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(self.server.target, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in HOP | {"content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:
        return


def main(posts: int, images: int) -> None:
    pds = start_pds(Path(tempfile.mkdtemp(prefix="bench-pds-")))
    proxy = CountingProxy(pds.url)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        user = create_account(pds.url)
        fill(user, posts, images)
        home = Path(tempfile.mkdtemp(prefix="bench-bluesky-backup-"))
        config = home / "config.toml"
        config.write_text(
            f'[accounts.sky]\nplatform = "bluesky"\nhandle = "{user.handle}"\n'
            f'service = "{proxy.url}"\n'
        )
        env = cli_env(home, {})
        args = crosspost("backup", "sky", "-c", str(config), "-d", str(home / "out"), "-q")
        started = time.perf_counter()
        code = "import crosspost.cli, crosspost.platforms.bluesky.client"
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        print(f"{posts} posts, {images} images; importing the read path: "
              f"{time.perf_counter() - started:.2f} s")  # fmt: skip
        steps = [
            ("full (first) backup", None, ()),
            ("incremental, 0 new", None, ()),
            ("incremental, 10 new", lambda: fill(user, 10, 1, first=posts), ()),
            ("--full again", None, ("--full",)),
        ]
        for name, before, extra in steps:
            if before is not None:
                before()
            proxy.counts.clear()
            started = time.perf_counter()
            done = subprocess.run([*args, *extra], env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                print(f"{name}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
            calls = ", ".join(f"{n} {c}" for n, c in sorted(proxy.counts.items()))
            total = sum(proxy.counts.values())
            print(f"{name:<22} {total:>4} requests {seconds:>6.2f} s   {calls}")
    finally:
        proxy.shutdown()
        subprocess.run([str(LAUNCHER), "stop", str(pds.pid)], capture_output=True, check=False)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 50,
    )
