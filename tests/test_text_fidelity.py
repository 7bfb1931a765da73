"""What a post means when it crosses networks: content warnings, text that only looks like a
mention, polls, hashtags already in the text or not writable as hashtags, and links that are not
web links. Each test goes the way a mirror goes: plan_fit, one Draft per chunk, the target's
from_draft (tests/test_mastodon_fidelity.py publishes to a Mastodon-like server)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crosspost.config import parse_config
from crosspost.model import Platform, Post, PostRef, RichText, Span, SpanKind, Unsupported
from crosspost.platforms.registry import spec
from crosspost.preview import convert_native, target_limits
from crosspost.sync.drafts import drafts_from_plan, payloads_for
from crosspost.text.fit import ContentWarningStyle, FitOptions, FitPlan, plan_fit
from tests import mastodon_text

NOW = datetime(2030, 1, 1, tzinfo=UTC)
GOLDEN = Path(__file__).parent / "golden"
WJ = "\u2060"


def post(
    text: str | RichText,
    source: Platform = Platform.BLUESKY,
    **changes: Any,
) -> Post:
    rich = text if isinstance(text, RichText) else RichText(text)
    ref = PostRef(source, "src", "1", url="https://example.com/post/1")
    return Post(ref=ref, created_at=NOW, text=rich, **changes)


def convert(
    item: Post, target: Platform, options: FitOptions | None = None
) -> tuple[FitPlan, list[dict[str, Any]]]:
    limits = target_limits(target)
    plan = plan_fit(item, limits, options or FitOptions())
    drafts = drafts_from_plan(item, plan, f"{target.value}:t")
    return plan, payloads_for(drafts, target, spec(target).limits, NOW)


def status(item: Post, options: FitOptions | None = None) -> str:
    return str(convert(item, Platform.MASTODON, options)[1][0]["status"])


def mastodon_mentions(text: str) -> list[str]:
    """Who a Mastodon server that knows everyone would mention in this status."""
    found = mastodon_text.entities(
        text, lambda user, domain: mastodon_text.Person(1, user, user, "")
    )
    return [e.value for e in found if e.kind == "mention"]


def mastodon_hashtags(text: str) -> list[str]:
    return [e.value.lower() for e in mastodon_text.entities(text) if e.kind == "hashtag"]


def npf_text(payload: dict[str, Any]) -> str:
    return "\n\n".join(b.get("text", "") for b in payload["content"] if b["type"] == "text")


# --- 3: content warnings -------------------------------------------------------------------------


def test_a_text_only_content_warning_is_the_first_line_on_bluesky() -> None:
    warned = post("the news, in detail", Platform.MASTODON, content_warning="politics")
    _plan, records = convert(warned, Platform.BLUESKY)
    assert records[0]["text"] == "CW: politics\n\nthe news, in detail"


def test_a_content_warning_can_be_a_first_post_of_its_own() -> None:
    warned = post("the news, in detail", Platform.MASTODON, content_warning="politics")
    options = FitOptions(content_warning=ContentWarningStyle.FIRST_POST)
    _plan, records = convert(warned, Platform.BLUESKY, options)
    assert [r["text"] for r in records] == ["CW: politics", "the news, in detail"]


def test_a_long_post_keeps_its_warning_first() -> None:
    warned = post("word " * 200, Platform.MASTODON, content_warning="spoilers")
    _plan, records = convert(warned, Platform.BLUESKY)
    assert len(records) > 1
    assert records[0]["text"].startswith("CW: spoilers\n\n")


def test_mastodon_keeps_its_own_content_warning_field() -> None:
    warned = post("the news", Platform.BLUESKY, content_warning="politics")
    _, payloads = convert(warned, Platform.MASTODON)
    assert payloads[0]["spoiler_text"] == "politics"
    assert not payloads[0]["status"].startswith("CW:")


def test_the_content_warning_style_is_a_target_option_in_the_config() -> None:
    config = parse_config(
        {
            "accounts": {
                "a": {"platform": "mastodon", "handle": "a@m.example"},
                "b": {"platform": "bluesky", "handle": "b.bsky.social"},
            },
            "sync": [
                {
                    "name": "r",
                    "from": "a",
                    "to": ["b"],
                    "targets": {"b": {"content_warning": "first_post"}},
                }
            ],
        }
    )
    assert config.rule("r").options_for("b").content_warning is ContentWarningStyle.FIRST_POST
    assert config.rule("r").options.content_warning is ContentWarningStyle.FIRST_LINE


def test_tumblr_keeps_a_sensitive_post_without_warning_text_behind_a_read_more() -> None:
    sensitive = post("a photo of the operation", Platform.MASTODON, sensitive=True)
    _, payloads = convert(sensitive, Platform.TUMBLR)
    body = payloads[0]
    assert body["content"][0]["text"].startswith("Content warning: ")
    assert body["layout"][0]["truncate_after"] == 0


# --- 4: text that only looks like a mention ------------------------------------------------------


def test_plain_text_handles_from_bluesky_mention_nobody_on_mastodon() -> None:
    text = status(post("thanks @carol and @dave@remote.example, see you"))
    assert mastodon_mentions(text) == []
    assert text.replace(WJ, "").startswith("thanks @carol and @dave@remote.example, see you")


def test_a_tumblr_mention_keeps_its_sign_and_mentions_nobody_on_mastodon() -> None:
    rich = RichText(
        "ask @staff about it", (Span(4, 10, SpanKind.MENTION, "https://staff.tumblr.com/"),)
    )
    text = status(post(rich, Platform.TUMBLR))
    assert mastodon_mentions(text) == []
    assert "@" + WJ + "staff (https://staff.tumblr.com/)" in text


def test_a_fediverse_mention_stays_a_mention_on_mastodon() -> None:
    rich = RichText(
        "hi @bob and @carol",
        (Span(3, 7, SpanKind.MENTION, "https://social.example/@bob"),),
    )
    text = status(post(rich, Platform.MASTODON))
    assert mastodon_mentions(text) == ["bob"]
    assert "@bob@social.example" in text


def test_plain_text_handles_make_no_mention_facets_on_bluesky() -> None:
    _, records = convert(post("ping @carol.bsky.social", Platform.MASTODON), Platform.BLUESKY)
    assert "facets" not in records[0]


# --- 5: polls ------------------------------------------------------------------------------------


POLL = Unsupported("poll", "no polls here", "Poll (single choice):\n• tea\n• coffee")


@pytest.mark.parametrize("target", list(Platform))
def test_a_poll_keeps_its_options_as_text_on_every_target(target: Platform) -> None:
    question = post("what goes in first?", Platform.MASTODON, unsupported=(POLL,))
    _, payloads = convert(question, target)
    if target is Platform.TUMBLR:
        shown = npf_text(payloads[0])
    elif target is Platform.DREAMWIDTH:  # HTML: the lines are <br>-separated
        shown = payloads[0]["event"].replace("<br>", "\n")
    else:
        shown = str(payloads[0].get("status") or payloads[0].get("text"))
    assert "what goes in first?" in shown
    assert "• tea\n• coffee" in shown


@pytest.mark.parametrize("target", [Platform.BLUESKY, Platform.TUMBLR])
def test_convert_keeps_a_mastodon_poll(target: Platform) -> None:
    native = (GOLDEN / "mastodon" / "poll.native.json").read_text(encoding="utf-8")
    conversion = convert_native(native, Platform.MASTODON, target, FitOptions(), NOW)
    payload = conversion.payloads[0]
    shown = npf_text(payload) if target is Platform.TUMBLR else payload["text"]
    options = list(conversion.post.unsupported[0].text.splitlines()[1:])
    assert options
    assert all(line in shown for line in options)


# --- 6: hashtags ---------------------------------------------------------------------------------


def test_a_tag_already_in_the_text_is_not_appended_again() -> None:
    rich = RichText("I love #cats and dogs", (Span(7, 12, SpanKind.TAG, "cats"),))
    text = status(post(rich, tags=("cats", "dogs")))
    assert mastodon_hashtags(text) == ["cats", "dogs"]
    assert text.startswith("I love #cats and dogs\n\n#dogs")


def test_a_tag_written_inline_as_plain_text_counts_whatever_its_case() -> None:
    text = status(post("I love #Cats and dogs", Platform.TUMBLR, tags=("cats",)))
    assert mastodon_hashtags(text) == ["cats"]


def test_a_tag_that_is_no_hashtag_is_kept_readable_with_a_note() -> None:
    item = post("notes", Platform.TUMBLR, tags=("C++", "a,b", "my art"))
    plan, payloads = convert(item, Platform.MASTODON)
    text = payloads[0]["status"]
    assert "#C " not in text + " "
    assert "#AB" not in text
    assert "#ab" not in text
    assert "C++" in text
    assert "a,b" in text
    assert "#MyArt" in text
    assert any("C++" in note and "a,b" in note for note in plan.notes)


def test_bluesky_takes_a_tag_with_symbols_as_it_is() -> None:
    _, records = convert(post("notes", Platform.TUMBLR, tags=("C++",)), Platform.BLUESKY)
    assert "#C++" in records[0]["text"]


# --- 7: links that are not web links -------------------------------------------------------------


SCRIPT = "javascript:alert(1)"


def scripted() -> Post:
    return post(
        RichText("click here please", (Span(6, 10, SpanKind.LINK, SCRIPT),)), Platform.BLUESKY
    )


def test_a_script_link_is_text_on_mastodon() -> None:
    assert "javascript" not in status(scripted())


def test_a_script_link_is_no_tumblr_link() -> None:
    _, payloads = convert(scripted(), Platform.TUMBLR)
    assert "javascript" not in str(payloads[0])


def test_a_script_link_is_no_bluesky_facet() -> None:
    _, records = convert(
        scripted().with_changes(ref=PostRef(Platform.TUMBLR, "s", "1")), Platform.BLUESKY
    )
    assert "facets" not in records[0]


def test_a_mail_link_stays_a_link_on_tumblr_and_bluesky() -> None:
    mail = RichText("write to me", (Span(9, 11, SpanKind.LINK, "mailto:me@example.com"),))
    _, npf = convert(post(mail, Platform.MASTODON), Platform.TUMBLR)
    assert npf[0]["content"][0]["formatting"][0]["url"] == "mailto:me@example.com"
    _, records = convert(post(mail, Platform.MASTODON), Platform.BLUESKY)
    assert records[0]["facets"][0]["features"][0]["uri"] == "mailto:me@example.com"


def test_a_script_link_card_is_left_out() -> None:
    from crosspost.model import LinkCard

    carded = post("see", Platform.BLUESKY, link_card=LinkCard(SCRIPT, "title"))
    assert "javascript" not in status(carded)
    _, payloads = convert(carded, Platform.TUMBLR)
    assert "javascript" not in str(payloads[0])
