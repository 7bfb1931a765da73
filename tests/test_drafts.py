"""What of a Post a mirror carries is decided field by field (crosspost/sync/drafts.py)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from crosspost.model import LinkCard, Platform, Post, PostRef, RichText, Visibility
from crosspost.platforms.registry import spec
from crosspost.sync.drafts import CARRIED, LEFT_BEHIND, drafts_from_plan
from crosspost.text.fit import plan_fit


def test_every_post_field_is_carried_or_left_behind_with_a_reason() -> None:
    names = {f.name for f in fields(Post)}
    assert CARRIED.isdisjoint(LEFT_BEHIND)
    assert names == CARRIED | set(LEFT_BEHIND), (
        "a Post field is neither carried into drafts nor named in LEFT_BEHIND: "
        f"{sorted(names ^ (CARRIED | set(LEFT_BEHIND)))}"
    )
    assert all(reason.strip() for reason in LEFT_BEHIND.values())


def test_a_draft_carries_what_the_post_says() -> None:
    quoted = PostRef(Platform.BLUESKY, "b", "at://b/app.bsky.feed.post/1")
    post = Post(
        ref=PostRef(Platform.MASTODON, "a@x.example", "1", "https://x.example/@a/1"),
        created_at=datetime(2024, 5, 1, tzinfo=UTC),
        text=RichText("Hello"),
        tags=("art",),
        link_card=LinkCard("https://example.com"),
        quote_of=quoted,
        content_warning="spoilers",
        sensitive=True,
        visibility=Visibility.UNLISTED,
        langs=("en",),
        labels=("nudity",),
    )
    plan = plan_fit(post, spec(Platform.BLUESKY).limits)
    (draft,) = drafts_from_plan(post, plan, "sky", backdate=True)
    assert draft.origin == post.ref
    assert draft.quote_of == quoted
    assert draft.link_card == post.link_card
    assert (draft.content_warning, draft.sensitive) == ("spoilers", True)
    assert (draft.visibility, draft.langs, draft.labels) == (
        Visibility.UNLISTED,
        ("en",),
        ("nudity",),
    )
    assert draft.created_at == post.created_at
    assert draft.idempotency_key == f"{post.ref.key}->sky#0"
