"""A Draft as the arguments of Mastodon's "post a new status" (pure, no network).

https://docs.joinmastodon.org/methods/statuses/#create
"""

from __future__ import annotations

from typing import Any

from crosspost.errors import UnfittableError
from crosspost.model import Limits, Platform, RichText, SpanKind, Visibility
from crosspost.platforms.base import Draft, stable_digest
from crosspost.platforms.mastodon.length import mastodon_length
from crosspost.platforms.mastodon.limits import LIMITS as MASTODON_LIMITS
from crosspost.platforms.mastodon.marker import SEPARATOR, with_marker
from crosspost.platforms.mastodon.richtext_write import richtext_for_mastodon
from crosspost.platforms.spec import WriteContext
from crosspost.text.urls import is_http_url

VISIBILITY_OUT = {
    Visibility.PUBLIC: "public",
    Visibility.UNLISTED: "unlisted",
    Visibility.FOLLOWERS: "private",
    Visibility.DIRECT: "direct",
    # Mastodon has no "only me"; a direct status that mentions nobody is seen by its author only.
    Visibility.PRIVATE: "direct",
}


def idempotency_key(draft: Draft) -> str:
    """The Idempotency-Key header for a draft: the same on every retry of that draft."""
    return "crosspost-" + stable_digest(draft.idempotency_key)


def status_text(draft: Draft, limits: Limits) -> str:
    """The plain text to send: the engine's rendering, a link card's URL when the text does not
    carry it (and it fits), then the origin marker. Raises UnfittableError when it cannot fit."""
    rich = richtext_for_mastodon(draft.text)
    quoted = draft.quote_of
    if quoted and quoted.platform is not Platform.MASTODON and quoted.url:
        # Another network's post cannot be quoted here: its URL is linked, where it fits.
        rich = _with_url(rich, draft, limits, f"RE: {quoted.url}", quoted.url)
    card = draft.link_card
    if card and is_http_url(card.url) and not _mentions_url(rich, card.url):
        with_card = RichText(f"{rich.text}{SEPARATOR}{card.url}" if rich.text else card.url)
        if _fits(_marked(with_card, draft).text, draft, limits):
            rich = with_card
    text = _marked(rich, draft).text
    if not _fits(text, draft, limits):
        size = mastodon_length(
            text, url_weight=limits.url_weight or 23, content_warning=draft.content_warning
        )
        raise UnfittableError(
            f"status of {size} characters (with content warning and origin marker) is over "
            f"this server's {limits.max_chars}; fit the post with MastodonClient.limits()"
        )
    return text


def _with_url(rich: RichText, draft: Draft, limits: Limits, line: str, url: str) -> RichText:
    if not is_http_url(url) or _mentions_url(rich, url):
        return rich
    longer = RichText(f"{rich.text}{SEPARATOR}{line}" if rich.text else line)
    return longer if _fits(_marked(longer, draft).text, draft, limits) else rich


def from_draft(draft: Draft, context: WriteContext) -> dict[str, Any]:
    """Keyword arguments for Mastodon.py's `status_post`. `context.limits` are the server's own
    (not the reduced ones `limits()` gives the fitter; None: the defaults); `context.uploads` are
    the media ids of the uploaded attachments. Dates cannot be kept: Mastodon has no backdating."""
    limits = context.limits or MASTODON_LIMITS
    media_ids = [str(media_id) for media_id in context.uploads]
    kwargs: dict[str, Any] = {
        "status": status_text(draft, limits),
        "visibility": VISIBILITY_OUT[draft.visibility],
        "sensitive": draft.sensitive or bool(draft.labels),
        "idempotency_key": idempotency_key(draft),
    }
    if media_ids:
        kwargs["media_ids"] = list(media_ids)
    if draft.content_warning:
        kwargs["spoiler_text"] = draft.content_warning
    if draft.langs:
        kwargs["language"] = draft.langs[0]
    if draft.reply_to and draft.reply_to.platform is Platform.MASTODON:
        kwargs["in_reply_to_id"] = draft.reply_to.id
    if draft.quote_of and draft.quote_of.platform is Platform.MASTODON:
        kwargs["quoted_status_id"] = draft.quote_of.id
    return kwargs


def update_kwargs(draft: Draft, *, limits: Limits) -> dict[str, Any]:
    """Keyword arguments for `status_update` (an edit keeps visibility, language and reply)."""
    return {
        "status": status_text(draft, limits),
        "spoiler_text": draft.content_warning,
        "sensitive": draft.sensitive or bool(draft.labels),
    }


def _marked(rich: RichText, draft: Draft) -> RichText:
    url = draft.origin.url if draft.origin else None
    return with_marker(rich, url) if url else rich


def _mentions_url(rich: RichText, url: str) -> bool:
    return url in rich.text or any(s.value == url for s in rich.spans_of(SpanKind.LINK))


def _fits(text: str, draft: Draft, limits: Limits) -> bool:
    if limits.max_chars is None:
        return True
    size = mastodon_length(
        text, url_weight=limits.url_weight or 23, content_warning=draft.content_warning
    )
    return size <= limits.max_chars
