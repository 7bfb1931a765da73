"""A fitting preview for plain text typed by a user (`crosspost fit`): nothing is sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from crosspost.model import DEFAULT_LIMITS, Platform, Post, PostRef
from crosspost.text.bluesky_detect import detect_spans
from crosspost.text.fit import FitMode, FitOptions, plan_fit


def describe_fit(
    text: str,
    target: Platform,
    *,
    mode: str = "thread",
    numbering: bool = True,
    tags: tuple[str, ...] = (),
    link_back: str | None = None,
    max_chars: int | None = None,
) -> str:
    """The fitting plan for `text` on `target`, as the dry run prints it.

    Links and #hashtags are found the way Bluesky's apps find them, so they are never cut.
    """
    limits = DEFAULT_LIMITS[target]
    if max_chars is not None and target is not Platform.BLUESKY:
        limits = replace(limits, max_chars=max_chars)
    post = Post(
        ref=PostRef(Platform.BLUESKY, "preview", "preview", url=link_back),
        created_at=datetime.now(UTC),
        text=detect_spans(text.rstrip("\n")),
        tags=tags,
    )
    options = FitOptions(mode=FitMode(mode), numbering=numbering, link_back=link_back)
    return plan_fit(post, limits, options).describe()
