"""TumblrClient: the PlatformClient for one Tumblr blog (read NPF, publish NPF, delete, media),
with its profile and collections (likes, following, followers, blocks; account.py).

API docs: https://github.com/tumblr/docs/blob/master/api.md#blog-methods
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from crosspost.account_data import Collection, CollectionPage, Profile
from crosspost.accounts import Account
from crosspost.errors import DataError, PlatformError
from crosspost.model import Limits, Media, Platform, Post, PostRef, Visibility
from crosspost.platforms.base import Draft, LazyPosts, Page, RateScope, Reading, RetryPolicy
from crosspost.platforms.spec import SecretFields, WriteContext
from crosspost.platforms.tumblr.account import BlogAccount
from crosspost.platforms.tumblr.http import (
    OAuthKeys,
    OutcomeUnknownError,
    TumblrHttp,
    TumblrNotFoundError,
)
from crosspost.platforms.tumblr.limits import LIMITS as TUMBLR_LIMITS
from crosspost.platforms.tumblr.marker import marker_url
from crosspost.platforms.tumblr.paging import Cursor, next_page
from crosspost.platforms.tumblr.prefetch import DEPTH, PagePrefetcher
from crosspost.platforms.tumblr.read import to_post
from crosspost.platforms.tumblr.write import from_draft, media_identifier, media_mime

MediaLoader = Callable[[Media], bytes]
PAGE_SIZE = 50  # the docs say 1-20; the API serves 50 (DESIGN.md), which means fewer calls
SEARCH_WINDOW = 50  # newest posts searched for an earlier attempt's marker


class TumblrClient:
    """One blog. Signs with OAuth1 when the user's token pair is known (own drafts, queue and
    private posts), else reads public posts with the API key."""

    def __init__(
        self,
        account: Account,
        keys: OAuthKeys,
        *,
        http: TumblrHttp | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = PAGE_SIZE,
        pages_ahead: int = DEPTH,
        state: str | None = None,
        media_loader: MediaLoader | None = None,
    ) -> None:
        self.account = account
        self.blog = account.identity
        self.http = http or TumblrHttp(
            keys, base_url=account.service or "https://api.tumblr.com", retry=retry
        )
        self.signed = keys.has_user
        self.page_size = page_size
        self.state = state
        self._load_media = media_loader or self._default_loader
        self._issued: str | None = None  # the cursor fetch_page last returned
        # The blog's own count of its published (and, signed, private) posts, from the last
        # /posts answer that counted them all (a query without `before`): what a kept backup
        # can be compared with. None until such an answer came.
        self.total_posts: int | None = None
        self._account = BlogAccount(self.http, self.blog, signed=self.signed)
        self._pages = PagePrefetcher(self._read_posts, pages_ahead)
        self._offset_pages = 0  # offset pages served in a row by this listing

    @classmethod
    def from_credentials(cls, account: Account, credentials: SecretFields, **options: Any) -> Any:
        keys = OAuthKeys(  # the consumer key alone (an API key) reads public blogs
            credentials["consumer_key"],
            credentials.get("consumer_secret") or "",
            credentials.get("oauth_token") or "",
            credentials.get("oauth_token_secret") or "",
        )
        return cls(account, keys, **options)

    def rate_keys(self) -> tuple[RateScope, ...]:
        """The consumer key's hourly and daily windows (SharesRateBudgets), and the blog's own,
        which the server's headers never tell of: its daily posting and upload caps."""
        return (*self.http.rate_keys(), RateScope("account", self.blog, told=False))

    def rate_readings(self) -> list[Reading]:
        return self.http.rate_readings()

    def limits(self) -> Limits:
        return TUMBLR_LIMITS

    def sees(self, visibility: Visibility) -> bool:
        """Signed as the blog's owner: everything; with the API key alone: published posts."""
        return self.signed or visibility == Visibility.PUBLIC

    # --- reading -------------------------------------------------------------------------------

    def blog_info(self) -> Mapping[str, Any]:
        """The blog object of /info, read once per client."""
        return self._account.info()

    # --- the account besides its posts (HasProfile, HasCollections) ---------------------------

    def fetch_profile(self) -> Profile:
        return self._account.profile()

    def collections(self) -> tuple[Collection, ...]:
        return self._account.readable()

    def collections_unavailable(self) -> Mapping[Collection, str]:
        return self._account.unavailable()

    def fetch_collection(self, kind: Collection, cursor: str | None = None) -> CollectionPage:
        return self._account.fetch(kind, cursor)

    def fetch_page(self, cursor: str | None = None) -> Page:
        """Published (and, signed, private) posts, by offset while the blog holds still, else by
        `before` (paging.py); then, signed, drafts and the queue."""
        where = Cursor.parse(cursor)
        if where.phase == "offset" and cursor != self._issued:
            where = where.by_time()  # a listing resumed later: the blog may have changed since
        self._offset_pages = self._offset_pages + 1 if where.phase == "offset" and cursor else 1
        published = where.phase in ("offset", "posts")
        if not published and not self.signed:
            return Page(())
        params = {**where.params(self.page_size), "_phase": where.phase}
        response = self._pages.take(params)
        raw_posts = [p for p in response.get("posts", []) if isinstance(p, Mapping)]
        total = response.get("total_posts")
        if where.phase == "offset" and isinstance(total, int) and not isinstance(total, bool):
            self.total_posts = total
        kept, after = next_page(where, raw_posts, total, self.signed)
        self._issued = after.dump() if after is not None else None
        self._send_ahead(after)
        posts = LazyPosts(kept, partial(to_post, account=self.blog))
        # The blog's own count, for a progress bar: only while paging by offset is it the whole.
        shown = self.total_posts if where.phase == "offset" else None
        return Page(posts, self._issued, total=shown)

    def _read_posts(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """One /posts answer (published, or the phase's own listing) as a mapping."""
        query = dict(params)
        phase = query.pop("_phase")
        published = phase in ("offset", "posts")
        path = f"/v2/blog/{self.blog}/posts" + ("" if published else f"/{phase}")
        result = self.http.request("GET", path, params=query, signed=self.signed, what="posts")
        return result.response if isinstance(result.response, Mapping) else {}

    def _send_ahead(self, after: Cursor | None) -> None:
        """While paging by offset with the blog's total known, the next pages up to the first
        at or past the total are sent at once (prefetch.py); otherwise nothing is ahead.

        The number sent ahead grows with the pages asked for in a row (none after the first,
        one after the second, ...), so an incremental run, which stops at the first saved post
        (usually on the first page), costs no call more than it reads. With few calls left in
        the hourly or daily budget (X-Ratelimit headers) none is sent ahead: calls in flight
        are not counted in the remaining the last answer gave, and the budget's own wait
        (retry.RateBudget) needs the calls one at a time to hold."""
        total = self.total_posts
        if after is None or after.phase != "offset" or total is None:
            self._pages.drop()
            return
        count = min(self._pages.depth, self._offset_pages - 1)
        left = self.http.calls_left()
        if left is not None and left <= 2 * self._pages.depth:
            count = 0  # near the end of an hourly or daily budget: one call at a time, paced
        offsets = range(after.count, total + self.page_size, self.page_size)[:count]
        self._pages.ahead(
            [
                {**replace(after, count=offset).params(self.page_size), "_phase": "offset"}
                for offset in offsets
            ]
        )

    def post_count_caveat(self) -> str | None:
        """Why `total_posts` (the pages' total) may not be the number of posts listed."""
        return (
            "Tumblr's total_posts is a count it keeps, which can include posts its API does not "
            "list to this reader (community-labelled ones, for one)"
        )

    def fetch_post(self, ref: PostRef) -> Post | None:
        try:
            if self.signed:
                result = self.http.request(
                    "GET", f"/v2/blog/{self.blog}/posts/{ref.id}", what="post"
                )
                post = result.response
            else:
                result = self.http.request(
                    "GET",
                    f"/v2/blog/{self.blog}/posts",
                    params={"id": ref.id, "npf": "true"},
                    signed=False,
                    what="post",
                )
                posts = result.response.get("posts") if isinstance(result.response, Mapping) else []
                post = posts[0] if posts else None
        except TumblrNotFoundError:
            return None
        return to_post(post, account=self.blog) if isinstance(post, Mapping) else None

    def fetch_media(self, media: Media) -> bytes:
        if not media.url:
            raise DataError("this media item has no URL to fetch")
        return self.http.download(media.url)

    # --- writing -------------------------------------------------------------------------------

    def publish(self, draft: Draft) -> PostRef:
        """Post a draft as NPF; when an attempt's outcome is unknown, look for its marker first."""
        body = from_draft(
            draft,
            WriteContext(
                now=datetime.fromtimestamp(self.http.retry.clock(), UTC), state=self.state
            ),
        )
        files = self._files(draft, body)
        attempt = 0
        while True:
            try:
                result = self.http.request(
                    "POST",
                    f"/v2/blog/{self.blog}/posts",
                    json_body=None if files else body,
                    files=files,
                    what="publish",
                )
                break
            except OutcomeUnknownError:
                found = self.find_published(draft)
                if found is not None:
                    return found
                self.http.retry.wait_or_raise("publish", None, attempt)
                attempt += 1
        response = result.response if isinstance(result.response, Mapping) else {}
        post_id = response.get("id") or response.get("id_string")
        if post_id is None:
            raise PlatformError("Tumblr accepted the post but returned no id")
        return self._ref(str(post_id))

    def find_published(self, draft: Draft) -> PostRef | None:
        marker = marker_url(draft.origin, draft.idempotency_key)
        if marker is None or draft.origin is None:
            return None
        state = self.state or ""
        phase = {"draft": "draft", "queue": "queue"}.get(state, "posts")
        result = self.http.request(
            "GET",
            f"/v2/blog/{self.blog}/posts" + ("" if phase == "posts" else f"/{phase}"),
            params={"npf": "true", "limit": SEARCH_WINDOW},
            what="find published",
        )
        response = result.response if isinstance(result.response, Mapping) else {}
        for post in response.get("posts", []):
            # A server that dropped the fragment still keeps the source post's URL.
            if isinstance(post, Mapping) and post.get("source_url") in (marker, draft.origin.url):
                return self._ref(str(post.get("id_string") or post.get("id")))
        return None

    def delete(self, ref: PostRef) -> None:
        try:
            self.http.request(
                "POST", f"/v2/blog/{self.blog}/post/delete", json_body={"id": ref.id}, what="delete"
            )
        except TumblrNotFoundError:
            return

    def _files(self, draft: Draft, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """Multipart parts: the JSON first, then one part per medium named by its identifier."""
        if not draft.media:
            return None
        files: dict[str, Any] = {"json": (None, json.dumps(body), "application/json")}
        for index, media in enumerate(draft.media):
            name = media_identifier(index)
            extension = media_mime(media).rpartition("/")[2]
            files[name] = (f"{name}.{extension}", self._load_media(media), media_mime(media))
        return files

    def _default_loader(self, media: Media) -> bytes:
        if media.local_path and Path(media.local_path).is_file():
            return Path(media.local_path).read_bytes()
        return self.fetch_media(media)

    def _ref(self, post_id: str) -> PostRef:
        host = self.blog if "." in self.blog else f"{self.blog}.tumblr.com"
        return PostRef(Platform.TUMBLR, self.blog, post_id, f"https://{host}/post/{post_id}")
