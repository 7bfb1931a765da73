"""From a fitted post to what publishing sends: one `Draft` per chunk, and the payloads a dry run
shows. Every sync, migration and `crosspost convert` publishes through here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crosspost.model import Limits, Platform, Post
from crosspost.platforms.base import Draft
from crosspost.platforms.registry import spec
from crosspost.platforms.spec import WriteContext
from crosspost.text.fit import FitPlan

# What of a Post a mirror carries, field by field. A Post field that is neither carried nor
# named in LEFT_BEHIND fails a test, so a new field is never dropped without a decision.
CARRIED = frozenset(
    {
        "text",
        "media",
        "tags",
        "link_card",
        "quote_of",
        "content_warning",
        "sensitive",
        "visibility",
        "langs",
        "labels",
        "created_at",
        "ref",  # as the draft's origin
    }
)
LEFT_BEHIND = {
    "kind": "what selection reads; the mirror's own kind follows from its reply and quote",
    "edited_at": "a mirror is edited on the target when the source is (rule option `edits`)",
    "title": "folded into the text by the platform reader where the platform has titles",
    "reply_to": "a mirror replies to the mirror of its parent, set when publishing a thread",
    "thread_root": "likewise: the root of the mirror's own thread",
    "repost_of": "reposts are not mirrored",
    "trail": "quoted or reblogged content the source shows; the target links or quotes it",
    "origin": "a mirror's origin is its source post (`ref`), never the source's own origin",
    "unsupported": "reported as notes; the target cannot take it either",
    "deleted": "deleted posts are never selected",
    "raw": "the source platform's payload, kept in backups only",
    "undated": "marks a trail item with no date of its own; a mirrored post has its date",
    "layout": "the order and rows the archive shows; a target takes text, then media",
    "poll": "shown by the archive; the readers also keep it as an unsupported part, noted",
}


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
    entry = spec(target)
    return [
        entry.from_draft(
            draft,
            WriteContext(
                now=now,
                limits=limits,
                uploads=tuple(entry.placeholder_upload(media) for media in draft.media),
            ),
        )
        for draft in drafts
    ]
