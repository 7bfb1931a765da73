"""A Mastodon status's edit history to Posts, oldest first (pure functions, no network).

https://docs.joinmastodon.org/methods/statuses/#history and /entities/StatusEdit/

Each StatusEdit carries what an edit may change (content, spoiler_text, sensitive, the media
and the poll's options) and when that version was made; the rest of the post (its id, address,
visibility, the post it replies to, language, mentions) cannot be edited and is read from the
status itself. Every version keeps the status's first `created_at`; versions after the first
have the time they were made as `edited_at`. A status never edited has one version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from crosspost.errors import DataError
from crosspost.model import Post
from crosspost.platforms.mastodon.read import parse_time, plain_json, to_post

# Kept from the status: what no edit changes.
FIXED = (
    "id",
    "uri",
    "url",
    "visibility",
    "in_reply_to_id",
    "in_reply_to_account_id",
    "language",
    "account",
    "mentions",
    "tags",
)
# Taken from each version (a poll an edit removed is absent from that version).
EDITABLE = ("content", "spoiler_text", "sensitive", "media_attachments", "poll", "emojis")


def history_to_posts(
    edits: Sequence[Mapping[str, Any]], status: Mapping[str, Any], *, account: str
) -> list[Post]:
    """The versions of `status` (as the history endpoint lists them) as Posts, oldest first;
    each Post's `raw` is its StatusEdit as sent."""
    ordered = sorted(
        (plain_json(edit) for edit in edits),
        key=lambda edit: parse_time(edit.get("created_at"), "edit created_at"),
    )
    if not ordered:
        return []
    current = plain_json(status)
    if "id" not in current:
        raise DataError("Mastodon status has no id")
    fixed = {key: current[key] for key in FIXED if key in current}
    created = current.get("created_at") or ordered[0].get("created_at")
    posts = []
    for index, edit in enumerate(ordered):
        version = {
            **fixed,
            **{key: edit[key] for key in EDITABLE if key in edit},
            "created_at": created,
            "edited_at": edit.get("created_at") if index else None,
        }
        posts.append(replace(to_post(version, account=account), raw=edit))
    return posts
