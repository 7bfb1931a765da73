"""A Draft as the arguments of Mastodon's "post a new status" (pure, no network).

https://docs.joinmastodon.org/methods/statuses/#create
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crosspost.errors import UnfittableError
from crosspost.model import Limits, Platform, RichText, SpanKind, Visibility
from crosspost.platforms.base import Draft, stable_digest
from crosspost.platforms.mastodon.length import mastodon_length
from crosspost.platforms.mastodon.limits import LIMITS as MASTODON_LIMITS
from crosspost.platforms.mastodon.marker import SEPARATOR, with_marker
from crosspost.platforms.mastodon.richtext_write import richtext_for_mastodon
from crosspost.platforms.mastodon.software import MASTODON, ServerSoftware
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
# A kept date this close to now is sent as an ordinary status: GoToSocial refuses a
# `scheduled_at` less than 5 minutes ahead of its clock, which may run behind ours.
BACKDATE_MARGIN = timedelta(minutes=10)


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
        size = _length(text, draft, limits)
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


def from_draft(
    draft: Draft, context: WriteContext, software: ServerSoftware = MASTODON
) -> dict[str, Any]:
    """Keyword arguments for Mastodon.py's `status_post`. `context.limits` are the server's own
    (not the reduced ones `limits()` gives the fitter; None: the defaults); `context.uploads` are
    the media ids of the uploaded attachments. `software` is the server's (software.py): a kept
    date goes to a server that backdates as a past `scheduled_at`; Mastodon has no backdating.
    Raises UnfittableError for what the server would refuse (Pixelfed: no media, direct)."""
    limits = context.limits or MASTODON_LIMITS
    media_ids = [str(media_id) for media_id in context.uploads]
    kwargs: dict[str, Any] = {
        "status": status_text(draft, limits),
        "visibility": _visibility(draft.visibility, software),
        "sensitive": draft.sensitive or bool(draft.labels),
        "idempotency_key": idempotency_key(draft),
    }
    if media_ids:
        kwargs["media_ids"] = list(media_ids)
    if draft.content_warning:
        kwargs["spoiler_text"] = _warning(draft.content_warning, software)
        kwargs["sensitive"] = kwargs["sensitive"] or software.warning_needs_sensitive
    if draft.langs:
        kwargs["language"] = draft.langs[0]
    if draft.reply_to and draft.reply_to.platform is Platform.MASTODON:
        kwargs["in_reply_to_id"] = draft.reply_to.id
    if draft.quote_of and draft.quote_of.platform is Platform.MASTODON:
        kwargs["quoted_status_id"] = draft.quote_of.id
    if software.needs_media and not media_ids and "in_reply_to_id" not in kwargs:
        raise UnfittableError(
            f"{software.display_name} takes no status without media unless it replies; "
            "this post has none"
        )
    if (kept := backdated_at(draft, context.now, software)) is not None:
        kwargs["scheduled_at"] = kept
    return kwargs


def backdated_at(draft: Draft, now: datetime, software: ServerSoftware) -> datetime | None:
    """The `scheduled_at` that keeps the draft's date, where the server backdates (GoToSocial:
    a past time makes a quiet backdated status; after the UNIX epoch only), else None."""
    kept = draft.created_at
    if kept is None or not software.backdates:
        return None
    kept = kept if kept.tzinfo else kept.replace(tzinfo=UTC)
    if kept <= datetime.fromtimestamp(0, UTC) or kept > now - BACKDATE_MARGIN:
        return None
    return kept


def _visibility(visibility: Visibility, software: ServerSoftware) -> str:
    value = VISIBILITY_OUT[visibility]
    if value == "direct" and not software.direct:
        raise UnfittableError(
            f"{software.display_name} has no direct or only-me visibility; "
            "followers-only would show the post to more people"
        )
    return value


def _warning(text: str, software: ServerSoftware) -> str:
    limit = software.max_warning_chars
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


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
    return limits.max_chars is None or _length(text, draft, limits) <= limits.max_chars


def _length(text: str, draft: Draft, limits: Limits) -> int:
    """The length the server counts: its text rules' (Pixelfed counts code points)."""
    url_weight = limits.url_weight or 23
    count = limits.text.count_chars
    if count is None:
        return mastodon_length(text, url_weight=url_weight, content_warning=draft.content_warning)
    return count(text, url_weight, draft.content_warning)
