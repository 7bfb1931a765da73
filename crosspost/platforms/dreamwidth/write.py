"""A Draft as the arguments of Dreamwidth's `postevent` (without auth fields, `ver` and
`lineendings`, which the protocol layer adds). Pure.

Protocol: cgi-bin/LJ/Protocol.pm (`postevent`, `common_event_validation`): year/mon/day/hour/min
are required and the year must be 1970-2037; props with a false value are skipped; tags go in
the `taglist` prop, comma-separated. `editor=html_raw0` (and `opt_preformatted` for older
servers) makes the site show the HTML as written: no added line breaks, links or @mentions
(cgi-bin/LJ/CleanHTML.pm); without it an entry with `import_source` would be read as casual HTML.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlsplit

from crosspost.errors import InvalidPostError
from crosspost.model import Media, MediaKind, RichText, SpanKind, Visibility
from crosspost.platforms.base import Draft
from crosspost.platforms.dreamwidth.limits import MAX_SUBJECT_CHARS
from crosspost.platforms.dreamwidth.marker import marker_props
from crosspost.platforms.dreamwidth.read import CW_FOLD_PREFIX
from crosspost.platforms.dreamwidth.richtext_write import html_from_richtext
from crosspost.platforms.spec import WriteContext
from crosspost.text.urls import is_link_url

FIRST_YEAR, LAST_YEAR = 1970, 2037
SENSITIVE_WARNING = "sensitive content"
_EXPLICIT_LABELS = frozenset({"porn", "sexual", "nudity"})


def security_args(visibility: Visibility) -> dict[str, Any]:
    """Public: no security key; followers: the access list (usemask, allowmask 1); anything
    narrower: private. Never wider than the draft's."""
    if visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return {}
    if visibility is Visibility.FOLLOWERS:
        return {"security": "usemask", "allowmask": 1}
    return {"security": "private"}


def date_args(when: datetime) -> dict[str, int]:
    """postevent's date fields, in UTC (the protocol takes wall-clock time without a zone)."""
    moment = when.astimezone(UTC)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InvalidPostError(
            f"Dreamwidth takes entry dates from {FIRST_YEAR} to {LAST_YEAR} only, not "
            f"{moment:%Y-%m-%d}: migrate this post without keeping its date"
        )
    return {
        "year": moment.year,
        "mon": moment.month,
        "day": moment.day,
        "hour": moment.hour,
        "min": moment.minute,
    }


def subject_and_body(text: RichText) -> tuple[str, RichText]:
    """A first paragraph that is all a heading (a Tumblr title, say) becomes the subject
    (Draft has no title of its own), when it fits the 100 characters a subject takes."""
    first = text.text.split("\n\n", 1)[0]
    headings = [s for s in text.spans_of(SpanKind.HEADING) if s.start == 0 and s.end == len(first)]
    if not headings or not first.strip() or len(first) > MAX_SUBJECT_CHARS or "\n" in first:
        return "", text
    rest = len(first) + (2 if text.text[len(first) :].startswith("\n\n") else 0)
    spans = tuple(
        s.__class__(s.start - rest, s.end - rest, s.kind, s.value)
        for s in text.spans
        if s.start >= rest
    )
    return first.strip(), RichText(text.text[rest:], spans)


def content_warning(draft: Draft) -> str:
    if draft.content_warning.strip():
        return draft.content_warning.strip()
    if draft.labels:
        return ", ".join(label.replace("-", " ") for label in draft.labels)
    return SENSITIVE_WARNING if draft.sensitive else ""


def _media_html(media: Media, upload: object) -> str:
    url = upload if isinstance(upload, str) else media.url
    if not url or not is_link_url(url):
        return ""
    src = escape(url, quote=True)
    moving = urlsplit(url).path.lower().endswith((".mp4", ".webm", ".mov"))
    if media.kind is MediaKind.IMAGE or (media.kind is MediaKind.GIF and not moving):
        size = "".join(
            f' {name}="{value}"'
            for name, value in (("width", media.width), ("height", media.height))
            if value
        )
        return f'<p><img src="{src}" alt="{escape(media.alt, quote=True)}"{size} /></p>'
    label = escape(media.alt or f"{media.kind.value}: {url}", quote=False)
    return f'<p><a href="{src}">{label}</a></p>'


def from_draft(draft: Draft, context: WriteContext) -> dict[str, Any]:
    """The postevent arguments of a draft. A content warning (or a sensitive post's labels)
    puts the whole entry under a cut labelled with it; sexual labels also set
    `adult_content=explicit`. `draft.created_at` (a migration) is kept and the entry backdated,
    so it does not flood reading pages; otherwise the entry is dated `context.now`."""
    subject, text = subject_and_body(draft.text)
    warning = content_warning(draft)
    body = html_from_richtext(
        text, fold_at=0 if warning else None, fold_text=CW_FOLD_PREFIX + warning
    )
    uploads = context.uploads
    media = "".join(
        _media_html(m, uploads[i] if i < len(uploads) else None) for i, m in enumerate(draft.media)
    )
    if media and body.endswith("</cut>"):
        body = body.removesuffix("</cut>") + media + "</cut>"  # under the warning's fold too
    else:
        body += media
    props: dict[str, Any] = {"editor": "html_raw0", "opt_preformatted": 1}
    if draft.tags:
        props["taglist"] = ", ".join(tag.replace(",", " ").strip() for tag in draft.tags)
    when = draft.created_at if draft.created_at is not None else context.now
    if draft.created_at is not None:
        props["opt_backdated"] = 1
    if _EXPLICIT_LABELS & set(draft.labels):
        props["adult_content"] = "explicit"
    props.update(marker_props(draft.origin, draft.idempotency_key))
    args: dict[str, Any] = {"subject": subject, "event": body, **security_args(draft.visibility)}
    return {**args, **date_args(when), "props": props}
