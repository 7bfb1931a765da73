"""RichText -> Dreamwidth entry HTML: paragraphs, formatting and links as HTML, people on
journal sites as `<user name="x" site="y">` tags, a fold as `<cut text="...">`.

The HTML is written for the `html_raw0` format (no automatic line breaks, links or
@mentions; see cgi-bin/LJ/CleanHTML.pm), which `write.py` asks for with the `editor` prop, so
the entry shows what the text says and a stray "@name" notifies nobody. Every text and
attribute is escaped; only http(s) and mailto links become links.
"""

from __future__ import annotations

from html import escape

from crosspost.model import RichText, Span, SpanKind
from crosspost.platforms.dreamwidth.profiles import DREAMWIDTH, journal_of
from crosspost.text.html_write import html_from_richtext as html_of
from crosspost.text.rewrite import Edit, Rewrite
from crosspost.text.urls import is_link_url

_USER_MARK = "\ue001"  # where a user tag goes; private use, so never escaped nor typed


def user_tag(user: str, site: str) -> str:
    """`<user name="x">` for a Dreamwidth user, with `site` for another journal site's."""
    name = escape(user, quote=True)
    if site == DREAMWIDTH:
        return f'<user name="{name}">'
    return f'<user name="{name}" site="{escape(site, quote=True)}">'


def _prepared(rich: RichText) -> tuple[RichText, list[str]]:
    """The text with each journal-site mention replaced by a mark (its tag in the list), other
    mentions as links to their profile, tags as plain text, and unsafe links as their label."""
    text = rich.text.replace(_USER_MARK, "")
    if text != rich.text:
        rich = RichText(text)  # a mark typed in the text: keep the words, drop the formatting
    tags: list[str] = []
    edits: list[Edit] = []
    kept: list[Span] = []
    for span in sorted(rich.spans, key=lambda s: s.start):
        if span.kind is SpanKind.MENTION:
            journal = journal_of(span.value)
            if journal is not None and not any(
                e.start < span.end and span.start < e.end for e in edits
            ):
                edits.append(Edit(span.start, span.end, _USER_MARK))
                tags.append(user_tag(*journal))
            elif is_link_url(span.value):
                kept.append(Span(span.start, span.end, SpanKind.LINK, span.value))
        elif span.kind is SpanKind.LINK:
            if is_link_url(span.value, mailto=True):
                kept.append(span)
        elif span.kind is not SpanKind.TAG:
            kept.append(span)
    rewrite = Rewrite(rich.text, edits)
    spans = []
    for span in kept:
        start = rewrite.position(span.start, is_end=False)
        end = rewrite.position(span.end, is_end=True)
        if end > start:
            spans.append(Span(start, end, span.kind, span.value))
    return RichText(rewrite.text, tuple(spans)), tags


def _html(rich: RichText) -> str:
    prepared, tags = _prepared(rich)
    html = html_of(prepared, anchors=False)
    pieces = html.split(_USER_MARK)
    out = [pieces[0]]
    for tag, piece in zip(tags, pieces[1:], strict=False):
        out += [tag, piece]
    return "".join(out)


def _slice(rich: RichText, start: int, end: int) -> RichText:
    spans = tuple(
        Span(max(s.start, start) - start, min(s.end, end) - start, s.kind, s.value)
        for s in rich.spans
        if s.start < end and s.end > start
    )
    return RichText(rich.text[start:end], spans)


def html_from_richtext(rich: RichText, *, fold_at: int | None = None, fold_text: str = "") -> str:
    """An entry body; with `fold_at`, the text from there on sits under a `<cut>` whose link
    reads `fold_text` (Dreamwidth's "Read more..." when empty)."""
    if fold_at is None or not 0 <= fold_at < len(rich.text):
        return _html(rich)
    head_end = len(rich.text[:fold_at].rstrip("\n"))
    tail_start = len(rich.text) - len(rich.text[fold_at:].lstrip("\n"))
    head = _html(_slice(rich, 0, head_end)) if head_end else ""
    label = f' text="{escape(fold_text, quote=True)}"' if fold_text else ""
    return f"{head}<cut{label}>{_html(_slice(rich, tail_start, len(rich.text)))}</cut>"
