"""Long-form posts across networks: a title reaches every target, a journal entry is announced
elsewhere by its title, first paragraph and a link, and a journal gets reblogged posts in full."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

from crosspost.config import parse_config
from crosspost.model import FitMode, Media, MediaKind, Platform, Post, PostKind, PostRef, RichText
from crosspost.platforms.registry import spec
from crosspost.sync.migrate import MigrateOptions, migration_rule
from crosspost.text.count import measure, overflow
from crosspost.text.fit import FitOptions, plan_fit
from crosspost.text.long_form import with_trail_quoted

WHEN = datetime(2024, 5, 1, tzinfo=UTC)
ENTRY_URL = "https://alice.dreamwidth.org/1234.html"
LEDE = "We got there at six and queued for an hour; the panel was worth it."
REST = "\n\n".join(f"Paragraph {n}: " + "more about the day, " * 20 for n in range(12))


def entry(title: str = "Worldcon, day one", text: str = LEDE + "\n\n" + REST) -> Post:
    return Post(
        ref=PostRef(Platform.DREAMWIDTH, "alice", "1234", ENTRY_URL),
        created_at=WHEN,
        title=title,
        text=RichText(text),
        tags=("cons",),
    )


def test_an_entry_is_announced_by_title_first_paragraph_and_link() -> None:
    for target in (Platform.BLUESKY, Platform.MASTODON):
        limits = spec(target).limits
        plan = plan_fit(entry(), limits, FitOptions(mode=FitMode.EXCERPT))
        (chunk,) = plan.chunks
        text = chunk.text.text
        assert text.startswith("Worldcon, day one\n\n" + LEDE), text
        assert "Paragraph 3" not in text
        assert ENTRY_URL in {s.value for s in chunk.text.spans}
        assert overflow(measure(chunk.text, limits), limits) is None


def test_an_excerpt_too_long_for_the_target_is_cut_and_still_links() -> None:
    long_lede = "word " * 200
    limits = spec(Platform.BLUESKY).limits
    plan = plan_fit(entry(text=long_lede + "\n\nrest"), limits, FitOptions(mode=FitMode.EXCERPT))
    (chunk,) = plan.chunks
    assert "…" in chunk.text.text
    assert ENTRY_URL in {s.value for s in chunk.text.spans}
    assert overflow(measure(chunk.text, limits), limits) is None


def test_a_title_reaches_short_form_targets_as_the_first_line() -> None:
    plan = plan_fit(entry(text=LEDE), spec(Platform.MASTODON).limits)
    assert plan.chunks[0].text.text.startswith("Worldcon, day one\n\n" + LEDE)


def test_rules_from_a_journal_announce_by_default_and_migrations_carry_everything() -> None:
    config = parse_config(
        tomllib.loads(
            """
[accounts.journal]
platform = "dreamwidth"
journal = "alice"
[accounts.sky]
platform = "bluesky"
handle = "alice.bsky.social"
[accounts.art]
platform = "tumblr"
blog = "art"
[[sync]]
name = "announce"
from = "journal"
to = "sky"
[[sync]]
name = "full"
from = "journal"
to = "sky"
mode = "thread"
[[sync]]
name = "art"
from = "art"
to = "sky"
"""
        )
    )
    assert config.rule("announce").options_for("sky").mode is FitMode.EXCERPT
    assert config.rule("full").options_for("sky").mode is FitMode.THREAD
    assert config.rule("art").options_for("sky").mode is FitMode.THREAD
    rule = migration_rule("journal", "sky", MigrateOptions())
    assert rule.options.mode is FitMode.THREAD


def test_a_reblog_becomes_attributed_quotations_in_a_journal() -> None:
    original = Post(
        ref=PostRef(Platform.TUMBLR, "dave-birds", "1", "https://dave-birds.tumblr.com/post/1"),
        created_at=WHEN,
        text=RichText("A heron at dawn.\n\nAnd the gull."),
        media=(Media(MediaKind.IMAGE, url="https://64.media.tumblr.com/a/heron.jpg"),),
    )
    reblog = Post(
        ref=PostRef(Platform.TUMBLR, "alice", "2", "https://alice.tumblr.com/post/2"),
        created_at=WHEN,
        kind=PostKind.REBLOG_WITH_COMMENT,
        text=RichText("Lovely."),
        repost_of=original.ref,
        trail=(original,),
    )
    quoted = with_trail_quoted(reblog)
    assert quoted.text.text == "dave-birds:\n\nA heron at dawn.\n\nAnd the gull.\n\nLovely."
    quotes = [quoted.text.text[s.start : s.end] for s in quoted.text.spans if s.kind == "quote"]
    assert quotes == ["A heron at dawn.", "And the gull."]
    assert quoted.media == original.media
    (chunk,) = plan_fit(reblog, spec(Platform.DREAMWIDTH).limits).chunks
    assert chunk.text.text.startswith("dave-birds:")
    assert chunk.media == original.media
    (short,) = plan_fit(reblog, spec(Platform.MASTODON).limits).chunks
    assert short.text.text == "Lovely."  # short-form targets quote or link it instead
