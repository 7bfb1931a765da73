"""tests/tumblr_server.py as the benchmarks run it, for crosspost and for the tools compared with
it (bench/bench_peers.py), on a blog that holds still while it is read:

- /posts of a frozen blog answers each page in constant time (a pre-sorted listing, bisected);
- without `npf=true` it answers the legacy format, as api.tumblr.com does: text posts as `text`
  with an HTML `body`, posts with an image as `photo` with `photos[].original_size` and
  `alt_sizes` (the documented examples in tumblr-docs/extracted, with each post's own fields);
- every page but the last carries `_links.next` with `before`, `tumblelog` and an opaque
  `page_number`, as real answers do (tumblr/docs#76, tumblr/pytumblr#174); a `page_number` asked
  for continues from where its page ended;
- `GET /` answers the blog's home page (a tool reading the theme's CSS from it, as tumblr-backup
  does, finds one `<style>` block);
- requests are counted per endpoint (bench/request_counts.py).

Connections are kept open with TCP_NODELAY (tests/tumblr_server.py sets `disable_nagle_algorithm`
when `keep_alive`): its handler writes the headers and the body in two writes, and without it
each answer on a kept-open connection would wait for the client's delayed ACK (~40 ms).
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.request_counts import COUNTS_PATH, RequestCounts
from tests import tumblr_account_endpoints
from tests.fixtures import fixtures_root
from tests.tumblr_server import Handler, TumblrServer, envelope

EXTRACTED = "tumblr-docs/extracted"
LEGACY_TEXT = f"{EXTRACTED}/api.md_L1246_posts-retrieve-published-posts_legacy-text-posts.json"
LEGACY_PHOTO = f"{EXTRACTED}/api.md_L1318_posts-retrieve-published-posts_legacy-photo-posts.json"
PUBLISHED = ("published", "private")
HOME_PAGE = b"""<!DOCTYPE html>
<html><head><title>bench</title>
<style type="text/css">
    body { font-family: Helvetica, sans-serif; }
    .post { margin: 1em 0; }
</style></head>
<body><h1>bench</h1></body></html>
"""


def _legacy_template(relative: str) -> dict[str, Any]:
    root = fixtures_root()
    if root is None:
        raise SystemExit("the Tumblr benchmark server needs the shared fixtures (tumblr-docs)")
    answer = json.loads((root / relative).read_text(encoding="utf-8"))
    post: dict[str, Any] = answer["response"]["posts"][0]
    return post


def legacy_post(post: dict[str, Any], blog: str, templates: tuple[dict[str, Any], ...]) -> Any:
    """An NPF post of the test server as the API answers it without `npf=true`."""
    text_template, photo_template = templates
    words = " ".join(b["text"] for b in post["content"] if b["type"] == "text")
    images = [b["media"][0] for b in post["content"] if b["type"] == "image" and b["media"]]
    legacy = copy.deepcopy(photo_template if images else text_template)
    stamp = datetime.fromtimestamp(post["timestamp"], UTC)
    legacy.update(
        blog_name=blog,
        id=post["id"],
        id_string=post["id_string"],
        post_url=post["post_url"],
        short_url=f"https://tmblr.co/Z{post['id_string'][-10:]}",
        timestamp=post["timestamp"],
        date=stamp.strftime("%Y-%m-%d %H:%M:%S GMT"),
        state=post["state"],
        tags=list(post["tags"]),
        note_count=0,
        reblog_key=f"r{post['id_string'][-8:]}",
    )
    legacy.pop("title", None)
    if images:
        legacy["caption"] = f"<p>{escape(words)}</p>"
        sizes = [{"width": 8, "height": 8, "url": image["url"]} for image in images]
        legacy["photos"] = [
            {"caption": "", "original_size": size, "alt_sizes": [size]} for size in sizes
        ]
    else:
        legacy["body"] = f"<p>{escape(words)}</p>"
    return legacy


@dataclass(frozen=True)
class Listing:
    ordered: list[dict[str, Any]]  # newest first
    keys: list[int]  # -timestamp of each, ascending, for bisection
    legacy: list[Any]
    blog: dict[str, Any]


def _page_number(start: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{start}".encode()).decode().rstrip("=")


def _start_of(page_number: str) -> int:
    padded = page_number + "=" * (-len(page_number) % 4)
    return int(base64.urlsafe_b64decode(padded).decode().partition(":")[2])


def endpoint_of(path: str) -> str:
    """The endpoint a path asks for, blog names and media keys left out."""
    segments = path.strip("/").split("/")
    if segments[:2] == ["v2", "blog"] and len(segments) > 2:
        return "/".join(["/v2/blog/{blog}", *segments[3:]])
    if segments[0] == "media":
        return "/media/*"
    return path


class BenchHandler(Handler):
    server: TumblrBenchServer
    endpoint = ""  # what this request is counted as ("": not counted)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.endpoint = "" if path == COUNTS_PATH else endpoint_of(path)
        if path == COUNTS_PATH:
            self._write(200, self.server.counts.take(), "application/json")
        elif path == "/":
            time.sleep(self.server.latency)
            self._write(200, HOME_PAGE, "text/html; charset=utf-8")
        else:
            super().do_GET()

    def do_POST(self) -> None:
        self.endpoint = endpoint_of(urlsplit(self.path).path)
        super().do_POST()

    def send_response(self, code: int, message: str | None = None) -> None:
        if self.endpoint:
            self.server.counts.add(self.endpoint, code)
        super().send_response(code, message)

    def _write(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _list(
        self,
        blog: str,
        posts: list[dict[str, Any]],
        query: dict[str, str],
        signed: bool,
        states: tuple[str, ...],
    ) -> None:
        listing = self.server.listings.get(blog)
        if listing is None or states != PUBLISHED:
            super()._list(blog, posts, query, signed, states)
            return
        if "page_number" in query:
            start = _start_of(query["page_number"])
        else:
            start = 0
            if "before" in query:
                start = bisect.bisect_right(listing.keys, -int(query["before"]))
            start += int(query.get("offset", 0))
        limit = min(int(query.get("limit", 20)), self.server.state.max_limit)
        end = min(start + limit, len(listing.ordered))
        legacy = query.get("npf") != "true"
        page = (listing.legacy if legacy else listing.ordered)[start:end]
        response: dict[str, Any] = {
            "blog": listing.blog,
            "posts": page,
            "total_posts": len(listing.ordered),
        }
        if page and end < len(listing.ordered):
            params = {
                "before": str(listing.ordered[end - 1]["timestamp"]),
                "tumblelog": blog,
                "page_number": _page_number(end),
            }
            href = f"/v2/blog/{blog}/posts?{urlencode(params)}"
            response["_links"] = {"next": {"href": href, "method": "GET", "query_params": params}}
        self._send(200, envelope(200, "OK", response))


class TumblrBenchServer(TumblrServer):
    def __init__(self, latency: float = 0.0, keep_alive: bool = True) -> None:
        super().__init__(latency=latency, keep_alive=keep_alive)
        self.RequestHandlerClass = BenchHandler
        self.counts = RequestCounts()
        self.listings: dict[str, Listing] = {}

    def freeze(self, blog: str) -> None:
        """Serve `blog`'s published posts from a listing made now (the blog must not change)."""
        ordered = sorted(
            (p for p in self.state.posts.get(blog, []) if p["state"] == "published"),
            key=lambda p: (-p["timestamp"], -p["id"]),
        )
        templates = (_legacy_template(LEGACY_TEXT), _legacy_template(LEGACY_PHOTO))
        host = self.url.removeprefix("http://")
        self.listings[blog] = Listing(
            ordered,
            [-p["timestamp"] for p in ordered],
            [legacy_post(p, blog, templates) for p in ordered],
            tumblr_account_endpoints.info(self.state, blog, False, host),
        )
