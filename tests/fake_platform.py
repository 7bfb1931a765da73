"""An in-memory PlatformClient for backup tests: no HTTP, injected faults, counted calls."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from crosspost.accounts import Account
from crosspost.errors import PlatformError
from crosspost.model import Limits, Media, MediaKind, Platform, Post, PostRef, RichText, Visibility
from crosspost.platforms.base import Draft, Page
from crosspost.platforms.registry import spec

MASTODON_LIMITS = spec(Platform.MASTODON).limits


if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

START = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def png(seed: str) -> bytes:
    """Bytes that sniff as a PNG and differ per seed."""
    return b"\x89PNG\r\n\x1a\n" + hashlib.sha256(seed.encode()).digest() * 4


@dataclass
class FakePlatform:
    """Posts listed newest first (by `order`, default created_at) in pages of `page_size`.

    `fail_on` maps a call ("page", "media", "post") and its number to an exception to raise, so a
    test can interrupt a run at any point.
    """

    account: Account = field(
        default_factory=lambda: Account("fake", Platform.MASTODON, "alice@fake.example")
    )
    page_size: int = 40
    posts: dict[str, Post] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # media URL -> bytes
    calls: Counter[str] = field(default_factory=Counter)
    fail_on: dict[tuple[str, int], BaseException] = field(default_factory=dict)
    order: Callable[[Post], SupportsRichComparison] | None = None
    signed_in: bool = True  # False: reads as the public (followers-only posts are not listed)

    def add(
        self,
        number: int,
        *,
        text: str = "",
        media: int = 0,
        when: datetime | None = None,
        post_id: str | None = None,
    ) -> Post:
        post_id = post_id or f"{number:06d}"
        items = []
        for index in range(media):
            url = f"https://media.fake.example/{post_id}/{index}.png"
            self.files[url] = png(url)
            items.append(Media(MediaKind.IMAGE, url=url, mime="image/png", alt=f"img {index}"))
        post = Post(
            PostRef(self.account.platform, self.account.identity, post_id),
            when or START + timedelta(hours=number),
            RichText(text or f"post {number}"),
            media=tuple(items),
            raw={"id": post_id, "n": number},
        )
        self.posts[post_id] = post
        return post

    def add_many(self, count: int, *, media_every: int = 0) -> None:
        for number in range(count):
            self.add(number, media=1 if media_every and number % media_every == 0 else 0)

    def edit(self, post_id: str, text: str) -> None:
        post = self.posts[post_id]
        self.posts[post_id] = post.with_changes(
            text=RichText(text), edited_at=post.created_at + timedelta(minutes=5)
        )

    def _tick(self, call: str) -> None:
        self.calls[call] += 1
        error = self.fail_on.pop((call, self.calls[call]), None)
        if error is not None:
            raise error

    def _listing(self) -> list[Post]:
        key = self.order or (lambda p: (p.created_at, p.ref.id))
        visible = [p for p in self.posts.values() if self.sees(p.visibility)]
        return sorted(visible, key=key, reverse=True)

    # --- PlatformClient --------------------------------------------------------------------------

    def limits(self) -> Limits:
        return MASTODON_LIMITS

    def sees(self, visibility: Visibility) -> bool:
        return self.signed_in or visibility in (Visibility.PUBLIC, Visibility.UNLISTED)

    def fetch_page(self, cursor: str | None = None) -> Page:
        self._tick("page")
        listing = self._listing()
        start = int(cursor or 0)
        chunk = listing[start : start + self.page_size]
        more = start + self.page_size < len(listing)
        return Page(tuple(chunk), str(start + self.page_size) if more else None)

    def fetch_post(self, ref: PostRef) -> Post | None:
        self._tick("post")
        post = self.posts.get(ref.id)
        return post if post is not None and self.sees(post.visibility) else None

    def fetch_media(self, media: Media) -> bytes:
        self._tick("media")
        data = self.files.get(media.url or "")
        if data is None:
            raise PlatformError(f"media {media.url} is gone (404)")
        return data

    def publish(self, draft: Draft) -> PostRef:
        raise NotImplementedError

    def find_published(self, draft: Draft) -> PostRef | None:
        return None

    def delete(self, ref: PostRef) -> None:
        self.posts.pop(ref.id, None)
