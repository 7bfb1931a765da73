"""Offline conversion of one native post to another platform's payloads (`crosspost convert`).

The same steps a mirror takes, minus the network: the source adapter's `to_post`, the fit engine's
plan, one `Draft` per chunk, and the target adapter's `from_draft`. Media that would be uploaded
appear as placeholders naming their source URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crosspost.errors import DataError
from crosspost.model import DEFAULT_LIMITS, Limits, Media, Platform, Post
from crosspost.platforms.base import Draft, stable_digest
from crosspost.text.fit import FitOptions, FitPlan, plan_fit

UPLOAD_PLACEHOLDER = "(to upload) "


@dataclass(frozen=True, slots=True)
class Conversion:
    post: Post
    plan: FitPlan
    drafts: tuple[Draft, ...]
    payloads: tuple[dict[str, Any], ...]


def load_native(text: str, source: Platform) -> Mapping[str, Any]:
    """One native post as JSON: a Bluesky record or view, a Mastodon status, a Tumblr post."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"the {source.value} post is not valid JSON: {error}") from None
    if isinstance(data, Mapping) and isinstance(data.get("response"), Mapping):
        data = _unwrap_tumblr(data["response"])  # a whole API answer: take its one post
    if not isinstance(data, Mapping):
        raise DataError(f"the {source.value} post must be a JSON object")
    return data


def _unwrap_tumblr(response: Mapping[str, Any]) -> Any:
    posts = response.get("posts")
    if isinstance(posts, list) and len(posts) == 1:
        return posts[0]
    return response


def read_post(source: Platform, native: Mapping[str, Any], account: str = "source") -> Post:
    """The common post from one native post, through the source platform's `to_post`."""
    if source is Platform.BLUESKY:
        from crosspost.platforms.bluesky.convert import to_post as bluesky_to_post

        return bluesky_to_post(native, account=account)
    if source is Platform.MASTODON:
        from crosspost.platforms.mastodon.convert import to_post as mastodon_to_post

        return mastodon_to_post(native, account=account)
    from crosspost.platforms.tumblr.convert import to_post as tumblr_to_post

    return tumblr_to_post(native, account=account)


def drafts_from_plan(
    post: Post, plan: FitPlan, target: str, *, backdate: bool = False
) -> list[Draft]:
    """One Draft per chunk, in thread order. Replies between chunks are linked at publish time,
    when the previous chunk's ref is known; the idempotency key names source, target and chunk."""
    last = len(plan.chunks) - 1
    return [
        Draft(
            text=chunk.text,
            idempotency_key=f"{post.ref.key}->{target}#{index}",
            media=chunk.media,
            tags=plan.tags_field if index == 0 else (),
            link_card=post.link_card if index == last and not chunk.media else None,
            quote_of=post.quote_of if index == 0 else None,
            content_warning=post.content_warning,
            sensitive=post.sensitive,
            visibility=post.visibility,
            langs=post.langs,
            labels=post.labels,
            created_at=post.created_at if backdate else None,
            origin=post.ref,
        )
        for index, chunk in enumerate(plan.chunks)
    ]


def payloads_for(
    drafts: list[Draft], target: Platform, limits: Limits, now: datetime
) -> list[dict[str, Any]]:
    """What the target adapter would send for each draft, media shown as placeholders."""
    if target is Platform.BLUESKY:
        from crosspost.platforms.bluesky.record import from_draft as bluesky_from_draft

        return [
            bluesky_from_draft(draft, now=now, blobs=[_placeholder_blob(m) for m in draft.media])
            for draft in drafts
        ]
    if target is Platform.MASTODON:
        from crosspost.platforms.mastodon.write import from_draft as mastodon_from_draft

        return [
            mastodon_from_draft(
                draft,
                limits=limits,
                media_ids=[UPLOAD_PLACEHOLDER + (m.url or "media") for m in draft.media],
            )
            for draft in drafts
        ]
    from crosspost.platforms.tumblr.write import from_draft as tumblr_from_draft

    return [tumblr_from_draft(draft) for draft in drafts]


def _placeholder_blob(media: Media) -> dict[str, Any]:
    return {
        "$type": "blob",
        "ref": {"$link": UPLOAD_PLACEHOLDER + (media.url or "media")},
        "mimeType": media.mime or "image/jpeg",
        "size": media.size or 0,
    }


def target_limits(target: Platform) -> Limits:
    """Defaults, with room kept for the origin marker where the target puts it in the text."""
    if target is Platform.MASTODON:
        from crosspost.platforms.mastodon.instance import reserve_marker

        return reserve_marker(DEFAULT_LIMITS[target])
    return DEFAULT_LIMITS[target]


def convert_native(
    text: str, source: Platform, target: Platform, options: FitOptions, now: datetime
) -> Conversion:
    post = read_post(source, load_native(text, source))
    limits = target_limits(target)
    plan = plan_fit(post, limits, options)
    name = f"{target.value}:convert-{stable_digest(post.ref.key, 4)}"
    drafts = drafts_from_plan(post, plan, name)
    payloads = payloads_for(drafts, target, DEFAULT_LIMITS[target], now)
    return Conversion(post, plan, tuple(drafts), tuple(payloads))
