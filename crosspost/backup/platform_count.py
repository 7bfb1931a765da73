"""The platform's own count of an account's posts, kept in the manifest and compared by verify.

A listing never ends because a count says so (a count shrinks when posts are deleted, and some
count posts their listing does not give); but a backup that keeps fewer posts than the platform
counted may have stopped short, and `crosspost verify` says so. The count is the pages' `total`
(Page.total) at the end of a complete run. A client says why its count may differ from what it
lists (`DescribesPostCount`); a platform that says nothing has its count taken as approximate,
so a shortfall is a note then, and a problem only where the count is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crosspost.errors import DataError
from crosspost.platforms.base import DescribesPostCount

UNDESCRIBED = "the platform has not said what its count of posts counts"


@dataclass(frozen=True, slots=True)
class PlatformCount:
    """How many posts the platform counted at the end of the last complete run, and when."""

    posts: int
    counted_at: str  # ISO 8601
    exact: bool = False
    caveat: str | None = None  # why it is approximate
    since: str | None = None  # the backup holds posts from this date on only (--since)

    def to_json(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "counted_at": self.counted_at,
            "exact": self.exact,
            "caveat": self.caveat,
            "since": self.since,
        }

    @classmethod
    def from_json(cls, data: Any) -> PlatformCount | None:
        """The count a manifest holds (None for a manifest written before counts were kept);
        DataError naming the field when it is not one this version writes."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise DataError("platform_count is not an object")
        posts, exact = data.get("posts"), data.get("exact", False)
        if not isinstance(posts, int) or isinstance(posts, bool) or posts < 0:
            raise DataError("platform_count.posts is not a count")
        if not isinstance(exact, bool):
            raise DataError("platform_count.exact is not true or false")
        texts = {k: data.get(k) for k in ("counted_at", "caveat", "since")}
        for key, value in texts.items():
            if value is not None and not isinstance(value, str):
                raise DataError(f"platform_count.{key} is not text")
        if not isinstance(texts["counted_at"], str):
            raise DataError("platform_count.counted_at is missing")
        return cls(posts, texts["counted_at"], exact, texts["caveat"], texts["since"])


def describe_count(client: object, total: int, counted_at: str, since: str | None) -> PlatformCount:
    """The count to keep: `total` as the client describes it."""
    if isinstance(client, DescribesPostCount):
        caveat = client.post_count_caveat()
        return PlatformCount(total, counted_at, caveat is None, caveat, since)
    return PlatformCount(total, counted_at, False, UNDESCRIBED, since)


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What verify says of a backup that keeps fewer posts than the platform counted."""

    message: str
    problem: bool  # the count is exact: the backup is missing posts


def compare(count: PlatformCount, kept: int, where: str, command: str) -> Shortfall | None:
    """None when the backup keeps at least as many posts as were counted."""
    if kept >= count.posts:
        return None
    short = count.posts - kept
    said = f"{where}: kept {kept} of the {count.posts} posts the platform counted"
    if count.since is not None:
        return Shortfall(
            f"{said}; the backup keeps the posts made since {count.since[:10]} only "
            f"(`{command}` keeps the older ones as well)",
            problem=False,
        )
    fill = f"`{command}` lists every post again and fills a gap"
    if count.exact:
        return Shortfall(
            f"{said}: {short} missing though the last backup said it was complete; {fill}",
            problem=True,
        )
    return Shortfall(
        f"{said}, {short} fewer; the count is approximate ({count.caveat}), but if posts are "
        f"missing, {fill}",
        problem=False,
    )
