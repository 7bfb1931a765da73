"""Fitting posts to each target: golden plans and properties over arbitrary Unicode text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crosspost.errors import UnfittableError
from crosspost.model import (
    Limits,
    Media,
    MediaKind,
    Platform,
    Post,
    PostRef,
    RichText,
    Span,
    SpanKind,
)
from crosspost.platforms.registry import spec
from crosspost.text.count import grapheme_boundaries, measure, overflow
from crosspost.text.fit import (
    FitMode,
    FitOptions,
    FitPlan,
    MentionStyle,
    plan_fit,
    prepare_text,
    spread_media,
)

BLUESKY_LIMITS = spec(Platform.BLUESKY).limits
MASTODON_LIMITS = spec(Platform.MASTODON).limits
TUMBLR_LIMITS = spec(Platform.TUMBLR).limits


WHEN = datetime(2024, 5, 1, tzinfo=UTC)
REF = PostRef(Platform.TUMBLR, "writer", "123", "https://writer.tumblr.com/post/123")
SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank. "


def make_post(text: RichText | str, **changes: object) -> Post:
    rich = text if isinstance(text, RichText) else RichText(text)
    return Post(REF, WHEN, rich).with_changes(**changes)


def images(count: int) -> tuple[Media, ...]:
    return tuple(Media(MediaKind.IMAGE, f"https://img.example/{n}.png") for n in range(count))


def body(plan: FitPlan, number: int, numbered: bool = True) -> str:
    """A chunk's text without its numbering."""
    total = len(plan.chunks)
    text = plan.chunks[number].text.text
    suffix = f" ({number + 1}/{total})" if total > 1 and numbered else ""
    if text == suffix.strip():
        return ""
    assert text.endswith(suffix)
    return text[: len(text) - len(suffix)]


def assert_fits(plan: FitPlan) -> None:
    for chunk in plan.chunks:
        assert chunk.measure == measure(chunk.text, plan.limits)
        assert overflow(chunk.measure, plan.limits) is None, chunk.text.text
        assert len(chunk.media) <= plan.limits.max_media


# --- golden plans -------------------------------------------------------------------------------


def test_thousand_characters_to_bluesky_is_four_numbered_posts() -> None:
    text = (SENTENCE * 16)[:1000].rstrip()
    plan = plan_fit(make_post(text), BLUESKY_LIMITS)
    assert len(plan.chunks) == 4
    assert [c.text.text[-6:] for c in plan.chunks] == [f" ({n}/4)" for n in range(1, 5)]
    assert_fits(plan)
    # room for " (n/4)" was kept: sentences end the first three posts
    assert all(body(plan, n).endswith(".") for n in range(3))
    assert " ".join(body(plan, n) for n in range(4)).split() == text.split()


def test_short_post_is_one_chunk_without_numbering() -> None:
    plan = plan_fit(make_post("Hello there."), BLUESKY_LIMITS)
    assert [c.text.text for c in plan.chunks] == ["Hello there."]
    assert plan.notes == ()


def test_numbering_off() -> None:
    plan = plan_fit(make_post(SENTENCE * 10), BLUESKY_LIMITS, FitOptions(numbering=False))
    assert len(plan.chunks) == 3
    assert all(not c.text.text.endswith(")") for c in plan.chunks)


def test_paragraphs_are_preferred_over_sentences() -> None:
    first = (SENTENCE * 3).strip()  # 194 characters
    second = (SENTENCE * 3).strip()
    plan = plan_fit(make_post(first + "\n\n" + second), BLUESKY_LIMITS)
    assert [body(plan, 0), body(plan, 1)] == [first, second]


def test_a_long_url_at_the_boundary_is_never_cut() -> None:
    url = "https://example.com/" + "a" * 60
    text = "x " * 120 + url + " tail words here"
    start = text.index(url)
    rich = RichText(text, (Span(start, start + len(url), SpanKind.LINK, url),))
    plan = plan_fit(make_post(rich), BLUESKY_LIMITS)
    assert_fits(plan)
    links = [
        (chunk.text.covered(span), span.value)
        for chunk in plan.chunks
        for span in chunk.text.spans
        if span.kind is SpanKind.LINK
    ]
    assert len(links) == 1  # whole, in one chunk (its display may be shortened)
    assert links[0][1] == url
    assert url not in body(plan, 0)


def test_a_multi_word_link_is_never_cut_at_its_spaces() -> None:
    anchor = "read the whole story here"
    text = "x " * 140 + anchor + " and more"
    start = text.index(anchor)
    rich = RichText(text, (Span(start, start + len(anchor), SpanKind.LINK, "https://e.org"),))
    plan = plan_fit(make_post(rich), BLUESKY_LIMITS, FitOptions(numbering=False))
    assert body(plan, 0, numbered=False) == text[:start].rstrip()
    assert body(plan, 1, numbered=False) == anchor + " and more"
    assert plan.chunks[1].text.spans == (Span(0, len(anchor), SpanKind.LINK, "https://e.org"),)


def test_mastodon_counts_a_url_as_23() -> None:
    url = "https://example.com/" + "p" * 400
    text = "word " * 90 + url
    plan = plan_fit(make_post(text), MASTODON_LIMITS)
    assert len(plan.chunks) == 1  # 450 + 23 characters
    assert url in plan.chunks[0].text.text  # never shortened in Mastodon text
    assert plan.chunks[0].measure.chars == 450 + 23


def test_six_images_go_four_then_two() -> None:
    plan = plan_fit(make_post("Six pictures.", media=images(6)), BLUESKY_LIMITS)
    assert [len(c.media) for c in plan.chunks] == [4, 2]
    assert tuple(m for c in plan.chunks for m in c.media) == images(6)
    assert [c.text.text for c in plan.chunks] == ["Six pictures. (1/2)", "(2/2)"]


def test_media_spread_keeps_order_and_video_rules() -> None:
    video = Media(MediaKind.VIDEO, "v")
    media = (*images(2), video, *images(1))
    assert [len(g) for g in spread_media(media, BLUESKY_LIMITS)] == [2, 1, 1]
    assert [len(g) for g in spread_media(media, MASTODON_LIMITS)] == [4]
    assert [len(g) for g in spread_media((video, video), MASTODON_LIMITS)] == [1, 1]
    assert [len(g) for g in spread_media(images(31), TUMBLR_LIMITS)] == [30, 1]


def test_truncate_ends_with_a_link_back() -> None:
    text = SENTENCE * 10
    plan = plan_fit(make_post(text), BLUESKY_LIMITS, FitOptions(mode=FitMode.TRUNCATE))
    assert len(plan.chunks) == 1
    chunk = plan.chunks[0].text
    assert chunk.text.startswith("The quick brown fox")
    assert "… " in chunk.text
    link = chunk.spans[-1]
    assert link.kind is SpanKind.LINK
    assert link.value == REF.url
    assert link.end == len(chunk.text)
    assert_fits(plan)


def test_truncate_with_own_link_to_mastodon() -> None:
    options = FitOptions(mode=FitMode.TRUNCATE, link_back="https://example.org/original/post")
    plan = plan_fit(make_post("word " * 200), MASTODON_LIMITS, options)
    text = plan.chunks[0].text.text
    assert text.endswith("… https://example.org/original/post")
    assert plan.chunks[0].measure.chars <= 500
    assert plan.chunks[0].measure.chars >= 490  # the room is used


def test_truncate_keeps_a_post_that_fits() -> None:
    plan = plan_fit(make_post("short"), MASTODON_LIMITS, FitOptions(mode=FitMode.TRUNCATE))
    assert plan.chunks[0].text.text == "short"


def test_cross_network_mention_becomes_a_link_keeping_its_sign() -> None:
    text = "thanks @alice.bsky.social and @bob@mastodon.social!"
    spans = (
        Span(7, 25, SpanKind.MENTION, "did:plc:alice"),
        Span(30, 50, SpanKind.MENTION, "https://mastodon.social/@bob"),
    )
    post = make_post(RichText(text, spans))
    to_bluesky = plan_fit(post, BLUESKY_LIMITS).chunks[0].text
    assert to_bluesky.text == "thanks @alice.bsky.social and @bob@mastodon.social!"
    assert [(to_bluesky.covered(s), s.kind, s.value) for s in to_bluesky.spans] == [
        ("@alice.bsky.social", SpanKind.MENTION, "did:plc:alice"),
        ("@bob@mastodon.social", SpanKind.LINK, "https://mastodon.social/@bob"),
    ]
    # Mastodon gets plain text: the link's URL is written out (by richtext_for_mastodon)
    to_mastodon = plan_fit(post, MASTODON_LIMITS).chunks[0].text
    # The name keeps its "@", with a word joiner after it: no Mastodon server reads a mention.
    assert to_mastodon.text.startswith("thanks @\u2060alice.bsky.social")
    assert "@alice" not in to_mastodon.text
    assert "https://bsky.app/profile/did:plc:alice" in to_mastodon.text
    assert to_mastodon.spans[-1].kind is SpanKind.MENTION
    named = plan_fit(post, BLUESKY_LIMITS, FitOptions(mention_style=MentionStyle.NAME))
    assert named.chunks[0].text.text == "thanks @alice.bsky.social and bob@mastodon.social!"
    assert [s.kind for s in named.chunks[0].text.spans] == [SpanKind.MENTION]
    assert any("bob@mastodon.social" in note for note in named.notes)


def test_tumblr_mention_is_told_apart_by_host() -> None:
    rich = RichText("hi @staff", (Span(3, 9, SpanKind.MENTION, "https://staff.tumblr.com/"),))
    to_tumblr = plan_fit(make_post(rich), TUMBLR_LIMITS).chunks[0].text
    assert to_tumblr.spans[0].kind is SpanKind.MENTION
    to_bluesky = plan_fit(make_post(rich), BLUESKY_LIMITS).chunks[0].text
    assert to_bluesky.text == "hi @staff"
    assert to_bluesky.spans[0].kind is SpanKind.LINK


def test_tags_go_into_text_then_overflow_to_the_tags_field() -> None:
    text = "x" * 250
    tags = tuple(f"tag number {n}" for n in range(13))
    plan = plan_fit(make_post(text, tags=tags), BLUESKY_LIMITS)
    assert len(plan.chunks) == 1
    chunk = plan.chunks[0].text
    in_text = [s.value for s in chunk.spans if s.kind is SpanKind.TAG]
    assert in_text == ["TagNumber0", "TagNumber1", "TagNumber2", "TagNumber3"]  # 299 graphemes
    assert chunk.text.endswith("x\n\n#TagNumber0 #TagNumber1 #TagNumber2 #TagNumber3")
    assert plan.tags_field == tuple(f"TagNumber{n}" for n in range(4, 12))
    assert plan.dropped_tags == ("TagNumber12",)
    assert_fits(plan)


def test_tags_outside_text_and_invalid_tags() -> None:
    post = make_post("hi", tags=("my art", "2024"))
    plan = plan_fit(post, BLUESKY_LIMITS, FitOptions(tags_in_text=False))
    assert plan.chunks[0].text.text == "hi"
    assert plan.tags_field == ("MyArt",)
    assert plan.dropped_tags == ("2024",)
    assert any("2024" in note for note in plan.notes)
    to_tumblr = plan_fit(post, TUMBLR_LIMITS)
    assert to_tumblr.tags_field == ("my art", "2024")


def test_mastodon_tags_spill_into_the_thread() -> None:
    post = make_post("word " * 95, tags=tuple(f"tag{n}" for n in range(20)))
    plan = plan_fit(post, MASTODON_LIMITS)
    assert len(plan.chunks) == 2
    tags = [s.value for c in plan.chunks for s in c.text.spans if s.kind is SpanKind.TAG]
    assert tags == [f"tag{n}" for n in range(20)]
    assert_fits(plan)


def test_mastodon_content_warning_takes_room_in_every_post() -> None:
    post = make_post("word " * 150, content_warning="c" * 100)
    plan = plan_fit(post, MASTODON_LIMITS)
    assert all(c.measure.chars <= 500 for c in plan.chunks)
    assert all(len(c.text.text) <= 400 for c in plan.chunks)


def test_bold_across_sentences_is_split_into_two_spans() -> None:
    text = SENTENCE * 4 + SENTENCE * 4
    middle = len(SENTENCE * 4)
    rich = RichText(text, (Span(middle - 30, middle + 30, SpanKind.BOLD),))
    plan = plan_fit(make_post(rich), BLUESKY_LIMITS, FitOptions(numbering=False))
    pieces = [c.text.covered(s) for c in plan.chunks for s in c.text.spans]
    assert " ".join(pieces).split() == text[middle - 30 : middle + 30].split()
    assert pieces[0].endswith("bank.")
    assert len(pieces) == 2


def test_long_word_falls_back_to_grapheme_cuts() -> None:
    text = "日本語" * 200  # no spaces: CJK text is cut between graphemes
    plan = plan_fit(make_post(text), BLUESKY_LIMITS)
    assert_fits(plan)
    assert "".join(body(plan, n) for n in range(len(plan.chunks))) == text


def test_an_uncuttable_link_longer_than_a_post_raises() -> None:
    anchor = "click " * 60  # a link over 360 characters of anchor text
    rich = RichText(anchor, (Span(0, len(anchor), SpanKind.LINK, "https://example.com"),))
    with pytest.raises(UnfittableError, match="cannot fit"):
        plan_fit(make_post(rich), BLUESKY_LIMITS)


def test_describe_prints_the_plan() -> None:
    plan = plan_fit(make_post(SENTENCE * 6, tags=("2024",)), BLUESKY_LIMITS)
    shown = plan.describe()
    assert shown.startswith("bluesky: 2 posts")
    assert "--- 1/2:" in shown
    assert "note: tags that no Bluesky hashtag can spell as written are plain text" in shown


# --- properties ---------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "a",
        "word",
        "naïve",
        "e\u0301e\u0301",
        "日本語",
        "👨\u200d👩\u200d👧",
        "🇫🇷🇩🇪",
        "ok!",
        "x" * 12,
    ]
)
# Words longer than a whole post: cut between grapheme clusters, never inside one.
LONG_WORDS = st.sampled_from(
    ["e\u0301" * 600, "👨\u200d👩\u200d👧" * 170, "日本語" * 60, "🇫🇷" * 350]
)


TOKENS = st.one_of(WORDS, st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=6))
SEPARATORS = st.sampled_from([" ", " ", " ", ". ", "\n", "\n\n", "! ", ", "])
ATOMIC = [SpanKind.LINK, SpanKind.TAG, SpanKind.MENTION]


@st.composite
def rich_posts(draw: st.DrawFn) -> Post:
    tokens = draw(st.lists(TOKENS, min_size=1, max_size=400))
    for word in draw(st.lists(LONG_WORDS, max_size=2)):
        tokens.insert(draw(st.integers(0, len(tokens))), word)
    text, ranges = "", []
    for token in tokens:
        if text:
            text += draw(SEPARATORS)
        ranges.append((len(text), len(text) + len(token)))
        text += token
    spans: list[Span] = []
    for n in range(draw(st.integers(0, 6))):
        first = draw(st.integers(0, len(ranges) - 1))
        start, end = (
            ranges[first][0],
            ranges[min(first + draw(st.integers(0, 2)), len(ranges) - 1)][1],
        )
        if end - start > 40:  # a link, tag or mention must fit a post
            continue
        kind = draw(st.sampled_from(ATOMIC))
        value = {
            SpanKind.LINK: f"https://example.com/{n}",
            SpanKind.TAG: f"t{n}",
            SpanKind.MENTION: draw(st.sampled_from([f"did:plc:{n}", f"https://m.social/@{n}"])),
        }[kind]
        if not any(s.start < end and start < s.end for s in spans if s.kind in ATOMIC):
            spans.append(Span(start, end, kind, value))
    for n in range(draw(st.integers(0, 4))):
        first = draw(st.integers(0, len(ranges) - 1))
        last = draw(st.integers(first, len(ranges) - 1))
        spans.append(Span(ranges[first][0], ranges[last][1], SpanKind.BOLD, f"b{n}"))
    media = images(draw(st.integers(0, 9)))
    return make_post(RichText(text, tuple(spans)), media=media)


def chunk_offsets(source: str, bodies: list[str]) -> list[tuple[int, int]]:
    """Where each chunk body sits in the source; only white space may lie between them."""
    offsets, cursor = [], 0
    for text in bodies:
        if not text:
            continue
        found = source.find(text, cursor)
        assert found >= 0, text
        assert not source[cursor:found].strip(), source[cursor:found]
        offsets.append((found, found + len(text)))
        cursor = found + len(text)
    assert not source[cursor:].strip()
    return offsets


def check_properties(post: Post, limits: Limits) -> None:
    plan = plan_fit(post, limits)
    event(f"{len(plan.chunks)} chunks")
    assert_fits(plan)
    source, _ = prepare_text(post, limits, FitOptions())
    bodies = [body(plan, n) for n in range(len(plan.chunks))]
    # every word, in order (no character but white space is lost or added)
    assert "".join("".join(bodies).split()) == "".join(source.text.split())
    # no cut inside a grapheme cluster
    bounds = set(grapheme_boundaries(source.text))
    offsets = chunk_offsets(source.text, bodies)
    assert all(a in bounds and b in bounds for a, b in offsets)
    # every span lands on exactly the characters it covered
    with_text = [chunk for chunk, text in zip(plan.chunks, bodies, strict=True) if text]
    placed = [
        (a + s.start, a + s.end, s)
        for (a, _), chunk in zip(offsets, with_text, strict=True)
        for s in chunk.text.spans
    ]
    for (a, _), chunk in zip(offsets, with_text, strict=True):
        for s in chunk.text.spans:
            assert chunk.text.covered(s) == source.text[a + s.start : a + s.end]
    for start, end, span in placed:
        original = [s for s in source.spans if (s.kind, s.value) == (span.kind, span.value)]
        assert any(s.start <= start and end <= s.end for s in original), span
    for span in source.spans:
        pieces = [(a, b) for a, b, s in placed if (s.kind, s.value) == (span.kind, span.value)]
        got = "".join(source.text[a:b] for a, b in pieces)
        assert "".join(got.split()) == "".join(source.covered(span).split())
        if span.kind in ATOMIC and source.covered(span).strip():
            assert pieces == [(span.start, span.end)]  # never cut
    assert tuple(m for c in plan.chunks for m in c.media) == post.media


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(rich_posts())
def test_properties_bluesky(post: Post) -> None:
    check_properties(post, BLUESKY_LIMITS)


@PROPERTY
@given(rich_posts())
def test_properties_mastodon(post: Post) -> None:
    check_properties(post, MASTODON_LIMITS)


@PROPERTY
@given(rich_posts())
def test_properties_tumblr(post: Post) -> None:
    check_properties(post, TUMBLR_LIMITS)
