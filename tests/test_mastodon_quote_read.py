"""A quote post's "RE: <link>" fallback (an element of class quote-inline) is not read as text
when the status carries the quote itself."""

from __future__ import annotations

from typing import Any

from crosspost.platforms.mastodon.read import to_post

QUOTED = "https://example.social/@bob/1"


def status(content: str, *, quote: bool) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "2",
        "created_at": "2025-10-01T12:00:00.000Z",
        "content": content,
        "visibility": "public",
        "url": "https://example.social/@alice/2",
        "account": {"id": "1", "acct": "alice", "url": "https://example.social/@alice"},
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
    }
    if quote:
        raw["quote"] = {"state": "accepted", "quoted_status": {"id": "1", "url": QUOTED}}
    return raw


def test_mastodons_quote_inline_paragraph_is_left_out() -> None:
    content = (
        f'<p>look at this</p><p class="quote-inline">RE: <a href="{QUOTED}">'
        f'<span class="invisible">https://</span>example.social/@bob/1</a></p>'
    )
    assert (
        to_post(status(content, quote=True), account="alice@example.social").text.text
        == "look at this"
    )


def test_an_inline_span_fallback_is_left_out_too() -> None:
    content = f'look<span class="quote-inline"><br/>RE: <a href="{QUOTED}">{QUOTED}</a></span>'
    assert to_post(status(content, quote=True), account="alice@example.social").text.text == "look"


def test_without_a_quote_the_line_is_the_posts_own_text() -> None:
    content = f'<p>look</p><p class="quote-inline">RE: <a href="{QUOTED}">{QUOTED}</a></p>'
    text = to_post(status(content, quote=False), account="alice@example.social").text.text
    assert "RE: " in text
