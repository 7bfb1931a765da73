"""Edits and deletes of recently mirrored posts, carried to their mirrors when a rule asks.

A mirrored post is rechecked for `RECHECK_DAYS` after it was stored (one read per post, rule and
run). The ledger keeps the source post once per rule, so each rule's mirrors follow on their own.
Deleted at the source: every mirror the rule made is deleted and the ledger forgets them.
A queued job follows them on its one target (`only`): the version of the post that target's
mirrors last followed is kept apart (`followed_as`), and the rule's copy of a deleted post is
forgotten once no target of the rule has a mirror of it left, so every target's job sees the
edit and the delete, whichever runs first.
Edited at the source: mirrors on a target whose client can edit (`CanEdit`; Mastodon's
statuses/:id PUT keeps replies, boosts and the URL) are edited in place when the edit keeps the
same number of chunks. Others are left as they are and the run notes it: the Bluesky adapter
does not edit, as an edit would be a new record under the same key, which breaks the CID that
replies and quotes point at, and the Tumblr adapter has no edit call (it would need NPF PUT,
https://www.tumblr.com/docs/en/api/v2#postsid---editing-a-post-neue-post-format).
"""

from __future__ import annotations

from datetime import timedelta

from crosspost.config import SyncRule
from crosspost.model import Post
from crosspost.platforms.base import CanEdit
from crosspost.state import MirrorStatus
from crosspost.sync.context import SyncContext
from crosspost.sync.plan import link_draft
from crosspost.sync.report import RuleReport

RECHECK_DAYS = 7


def followed_as(rule: str, target: str) -> str:
    """Where the ledger keeps the version of a post that one target's mirrors last followed."""
    return f"{rule} -> {target}"


def propagate(
    context: SyncContext, rule: SyncRule, report: RuleReport, *, only: str | None = None
) -> None:
    """Carry edits and deletes to the rule's targets (to the target `only`, of the rule named
    like `rule` in the config, when given: a queued job's)."""
    horizon = context.clock() - timedelta(days=RECHECK_DAYS).total_seconds()
    source = context.client(rule.source)
    for key in context.state.source_keys(rule.name, saved_after=horizon):
        stored = context.state.load_source(key, rule.name)
        if stored is None or context.stop.requested:
            continue
        followed = stored
        if only is not None:
            followed = context.state.load_source(key, followed_as(rule.name, only)) or stored
        current = source.fetch_post(stored.ref)
        report.read_calls += 1
        if current is None or current.deleted:
            if rule.deletes:
                _delete_mirrors(context, rule, stored, report, only)
        elif rule.edits and _edited(followed, current):
            _edit_mirrors(context, rule, current, report)
            context.state.save_source(
                current, rule.name if only is None else followed_as(rule.name, only)
            )


def _edited(stored: Post, current: Post) -> bool:
    if current.edited_at is not None:
        return current.edited_at != stored.edited_at
    return current.text != stored.text


def _delete_mirrors(
    context: SyncContext, rule: SyncRule, post: Post, report: RuleReport, only: str | None
) -> None:
    for target in rule.targets:
        entries = context.state.entries(post.ref.key, target)
        if context.dry_run:
            report.dry_run.append(
                f"== delete {len(entries)} mirror(s) of {post.ref.key} on {target}"
            )
            continue
        client = context.client(target, writing=True)
        for entry in reversed(entries):
            if entry.target_ref is not None:
                client.delete(entry.target_ref)
                report.deleted += 1
        context.state.forget(post.ref.key, target)
        if only is not None:
            context.state.forget_source(post.ref.key, followed_as(rule.name, only))
    if only is not None and any(
        context.state.entries(post.ref.key, target)
        for target in context.config.rule(rule.name).targets
    ):
        return  # another target's job deletes its mirrors, and forgets the post after
    context.state.forget_source(post.ref.key, rule.name)


def _edit_mirrors(context: SyncContext, rule: SyncRule, post: Post, report: RuleReport) -> None:
    for target in rule.targets:
        entries = context.state.entries(post.ref.key, target)
        client = context.client(target, writing=True)
        if not isinstance(client, CanEdit) or not entries:
            report.notes.append(f"{post.ref.key}: edited; the mirror on {target} is left as it is")
            continue
        planned = context.plan(rule, post, target, first_intent=entries[0].first_intent)
        if len(planned.drafts) != len(entries) or any(
            e.status is not MirrorStatus.PUBLISHED for e in entries
        ):
            report.notes.append(
                f"{post.ref.key}: edited, but its mirror on {target} cannot be "
                "edited in place (the thread length changed or is unfinished)"
            )
            continue
        if context.dry_run:
            report.dry_run.append(f"== edit {len(entries)} mirror(s) of {post.ref.key} on {target}")
            continue
        for entry, draft in zip(entries, planned.drafts, strict=True):
            assert entry.target_ref is not None
            client.edit(entry.target_ref, link_draft(draft, None, None))
            report.edited += 1
