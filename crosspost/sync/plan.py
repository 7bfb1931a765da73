"""Planning: one source post fitted to one target (convert + fit), as the drafts to publish.

Planning is pure and deterministic: the same post, limits and options give the same drafts on
every run, so a retry (or a resumed thread) sends exactly what the first attempt would have.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crosspost.config import LinkBack, SyncRule, TargetOptions
from crosspost.model import Limits, Platform, Post, PostRef, RichText, Span, SpanKind
from crosspost.platforms.base import Draft
from crosspost.platforms.registry import spec
from crosspost.state.ledger import MIGRATION_PREFIX as MIGRATION_PREFIX
from crosspost.sync.drafts import drafts_from_plan, payloads_for
from crosspost.sync.select import strip_selecting_tags
from crosspost.text.fit import FitOptions, FitPlan, plan_fit

LINK_BACK_PREFIX = "Original: "
_HAS_KEY_TIME = any(f.name == "key_time" for f in dataclasses.fields(Draft))


@dataclass(frozen=True, slots=True)
class TargetPlan:
    target: str
    plan: FitPlan
    drafts: tuple[Draft, ...]


def fit_options(options: TargetOptions) -> FitOptions:
    return FitOptions(
        mode=options.mode,
        numbering=options.numbering,
        tag_style=options.tag_style,
        content_warning=options.content_warning,
    )


def prepare(post: Post, rule: SyncRule, limits: Limits, options: TargetOptions) -> Post:
    """The post as this target should get it: selecting tags stripped, a link back added where
    the rule asks for one always and the target's origin marker is not already one."""
    if rule.strip_selecting_tags:
        post = _stripped(post, rule.include_tags)
    linkable = post.ref.url is not None  # a digest links each of its posts instead
    if (
        options.link_back is LinkBack.ALWAYS
        and linkable
        and not spec(limits.platform).marker_is_link
    ):
        post = with_paragraph(post, LINK_BACK_PREFIX, post.ref.url)
    return post


_last_stripped: list[tuple[Post, tuple[str, ...], Post]] = []


def _stripped(post: Post, names: tuple[str, ...]) -> Post:
    """`strip_selecting_tags`, remembering the last answer: a post is planned for each target
    in turn, and stripping is a third of planning's own cost. Posts are frozen, so the same
    object (`is`) with the same names always strips the same way."""
    if _last_stripped and _last_stripped[0][0] is post and _last_stripped[0][1] == names:
        return _last_stripped[0][2]
    result = strip_selecting_tags(post, names)
    _last_stripped[:] = [(post, names, result)]
    return result


def with_paragraph(post: Post, text: str, url: str | None = None) -> Post:
    """The post with one more paragraph at the end: `text`, then `url` as a link."""
    if url is None and not text:
        return post
    body = post.text.text.rstrip()
    start = len(body) + (2 if body else 0)
    line = text + (url or "")
    spans = list(post.text.spans)
    if url:
        spans.append(Span(start + len(text), start + len(line), SpanKind.LINK, url))
    joined = f"{body}\n\n{line}" if body else line
    return post.with_changes(text=RichText(joined, tuple(s for s in spans if s.end <= len(joined))))


def with_lead_paragraph(post: Post, text: str) -> Post:
    """The post with one more paragraph at the start: `text` (its spans move along)."""
    if not text:
        return post
    body = post.text.text.lstrip()
    cut = len(post.text.text) - len(body)
    shift = len(text) + 2 - cut if body else len(text) - cut
    spans = tuple(
        Span(s.start + shift, s.end + shift, s.kind, s.value)
        for s in post.text.spans
        if s.start >= cut
    )
    joined = f"{text}\n\n{body}" if body else text
    return post.with_changes(text=RichText(joined, spans))


def plan_target(
    post: Post,
    rule: SyncRule,
    target: str,
    limits: Limits,
    *,
    backdate: bool = False,
    key_time: datetime | None = None,
) -> TargetPlan:
    """Fit `post` to one target: its plan (for the dry run) and one draft per chunk."""
    options = rule.options_for(target)
    prepared = prepare(post, rule, limits, options)
    fitted = prepared
    if options.link_back is LinkBack.NEVER:
        fitted = prepared.with_changes(ref=dataclasses.replace(prepared.ref, url=None))
    fit = fit_options(options)
    if spec(limits.platform).marker_is_link:
        fit = dataclasses.replace(fit, excerpt_link=False)
    plan = plan_fit(fitted, limits, fit)
    drafts = drafts_from_plan(prepared, plan, target, backdate=backdate)
    planned = TargetPlan(target, plan, tuple(drafts))
    return planned if key_time is None else with_key_time(planned, key_time)


def with_key_time(planned: TargetPlan, key_time: datetime) -> TargetPlan:
    """The drafts with a stable time for Bluesky's record key (the entry's first intent)."""
    if not _HAS_KEY_TIME:
        return planned
    # Draft.key_time is set through a dict: older versions of Draft lack the field.
    extra: dict[str, Any] = {"key_time": key_time}
    drafts = tuple(_changed(d, extra) for d in planned.drafts)
    return TargetPlan(planned.target, planned.plan, drafts)


def link_draft(draft: Draft, reply_to: PostRef | None, thread_root: PostRef | None) -> Draft:
    return _changed(draft, {"reply_to": reply_to, "thread_root": thread_root})


_DRAFT_FIELDS = tuple(f.name for f in dataclasses.fields(Draft))


def _changed(draft: Draft, changes: dict[str, Any]) -> Draft:
    """`dataclasses.replace` for a Draft, at a third of its cost (the dry run of a big
    migration makes one per chunk and target, twice): Draft has no InitVar or init=False field."""
    values = {name: getattr(draft, name) for name in _DRAFT_FIELDS}
    values.update(changes)
    return Draft(**values)


def placeholder_ref(platform: Platform, target: str, draft: Draft) -> PostRef:
    """What a dry run links a thread's next chunk to, in place of a post not made."""
    return PostRef(platform, target, f"(dry run: {draft.idempotency_key})", None, "(dry run)")


def describe(
    source: Post, planned: TargetPlan, platform: Platform, limits: Limits, now: datetime
) -> str:
    """The dry run's view of one post on one target: the plan with its counts against the
    limits, then the exact payloads the adapter would send (media as placeholders)."""
    header = f"== {source.ref.key} -> {planned.target}"
    drafts: list[Draft] = []
    root: PostRef | None = None
    for draft in planned.drafts:
        previous = placeholder_ref(platform, planned.target, drafts[-1]) if drafts else None
        root = root or previous
        drafts.append(link_draft(draft, previous, root))
    payloads = payloads_for(drafts, platform, limits, now)
    lines = [header, planned.plan.describe(), f"limits: {_limits(limits)}"]
    for number, payload in enumerate(payloads, 1):
        lines.append(
            f"payload {number}: " + json.dumps(payload, ensure_ascii=False, sort_keys=True)
        )
    return "\n".join(lines)


def _limits(limits: Limits) -> str:
    parts = []
    if limits.max_graphemes:
        parts.append(f"{limits.max_graphemes} graphemes")
    if limits.max_bytes:
        parts.append(f"{limits.max_bytes} bytes")
    if limits.max_chars:
        parts.append(f"{limits.max_chars} characters")
    parts.append(f"{limits.max_media} media")
    return ", ".join(parts)
