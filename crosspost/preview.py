"""What crosspost would send, shown and never sent: `crosspost fit` (a typed text fitted to a
platform) and `crosspost convert` (one native post converted for another platform).

Both take the steps a mirror takes, minus the network: the source platform's `to_post`, the fit
engine's plan, one `Draft` per chunk, and the target's `from_draft`. Media that would be
uploaded appear as placeholders naming their source URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from crosspost.errors import DataError
from crosspost.model import Limits, Platform, Post, PostRef
from crosspost.platforms.base import Draft, stable_digest
from crosspost.platforms.registry import spec
from crosspost.sync.drafts import drafts_from_plan, payloads_for
from crosspost.sync.quotes import offline_quote, with_quote
from crosspost.text.detect import detect_spans
from crosspost.text.fit import FitMode, FitOptions, FitPlan, plan_fit


@dataclass(frozen=True, slots=True)
class Conversion:
    post: Post
    plan: FitPlan
    drafts: tuple[Draft, ...]
    payloads: tuple[dict[str, Any], ...]


def load_native(text: str, source: Platform) -> Mapping[str, Any]:
    """One native post as JSON, as the source platform's API returns it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"the {source.value} post is not valid JSON: {error}") from None
    except RecursionError:
        raise DataError(f"the {source.value} post is nested too deeply to be a post") from None
    if isinstance(data, Mapping) and isinstance(data.get("response"), Mapping):
        data = _unwrap_response(data["response"])  # a whole API answer: take its one post
    if not isinstance(data, Mapping):
        raise DataError(f"the {source.value} post must be a JSON object")
    return data


def _unwrap_response(response: Mapping[str, Any]) -> Any:
    posts = response.get("posts")
    if isinstance(posts, list) and len(posts) == 1:
        return posts[0]
    return response


def read_post(source: Platform, native: Mapping[str, Any], account: str = "source") -> Post:
    """The common post from one native post, through the source platform's `to_post`."""
    return spec(source).to_post(native, account)


def target_limits(target: Platform) -> Limits:
    """Defaults, with room kept for the origin marker where the target puts it in the text."""
    entry = spec(target)
    return entry.reserve_marker(entry.limits)


def convert_native(
    text: str, source: Platform, target: Platform, options: FitOptions, now: datetime
) -> Conversion:
    post = read_post(source, load_native(text, source))
    post = with_quote(post, offline_quote(post, target))
    if spec(target).marker_is_link:  # the marker links the original: no excerpt link too
        options = replace(options, excerpt_link=False)
    plan = plan_fit(post, target_limits(target), options)
    name = f"{target.value}:convert-{stable_digest(post.ref.key, 4)}"
    drafts = drafts_from_plan(post, plan, name)
    payloads = payloads_for(drafts, target, spec(target).limits, now)
    return Conversion(post, plan, tuple(drafts), tuple(payloads))


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
    `max_chars` applies to targets that count characters.
    """
    limits = spec(target).limits
    if max_chars is not None and limits.max_chars is not None:
        limits = replace(limits, max_chars=max_chars)
    post = Post(
        ref=PostRef(target, "preview", "preview", url=link_back),
        created_at=datetime.now(UTC),
        text=detect_spans(text.rstrip("\n")),
        tags=tags,
    )
    options = FitOptions(mode=FitMode(mode), numbering=numbering, link_back=link_back)
    return plan_fit(post, limits, options).describe()
