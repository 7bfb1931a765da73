"""RichText -> the plain text a Mastodon server takes as `status` (it links URLs, @mentions and
#tags itself), with the link, mention and tag spans moved to where they land in that text.

Only mention spans become mentions: any other "@name" the server would read as one (plain text
from a network without @mentions in its text, a cross-network mention shown by name) gets an
invisible word joiner after its "@", so it reads the same and notifies nobody. Only http(s)
links are written as URLs (the server links those); a `javascript:` link keeps its label only.

https://docs.joinmastodon.org/methods/statuses/#create
"""

from __future__ import annotations

from collections.abc import Sequence

from crosspost.model import RichText, Span, SpanKind
from crosspost.platforms.mastodon.length import mention_signs
from crosspost.text.rewrite import Edit, Rewrite, atomic_spans, list_markers, mention_edit, tag_edit
from crosspost.text.urls import is_http_url, is_link_url, is_url_display

BULLET = "• "
QUOTE_MARK = "> "
INDENT = "  "
WORD_JOINER = "\u2060"  # after an "@" that is no mention: invisible, and no mention follows


def _link_edit(span: Span, covered: str, rest: str = "") -> Edit:
    """A link as the server will link it. `rest` is the text after the span up to the next
    link, mention or tag: a label that ends inside a word ("1" of "10") gets its " (URL)" after
    the word, never in the middle of it."""
    url = span.value
    kind = SpanKind.LINK
    if url and not _linked(url) and not is_link_url(url, mailto=True):
        return Edit(span.start, span.end, covered)  # the label stays, as text
    if covered == url or (is_url_display(covered, url) and "\n" not in covered):
        return Edit(span.start, span.end, url, (0, len(url), kind, url) if _linked(url) else None)
    if url and url in covered:
        begin = covered.index(url)
        return Edit(span.start, span.end, covered, (begin, begin + len(url), kind, url))
    display = " ".join(covered.split())
    # Spaces around the label stay where they are (dropping them would join it to its
    # neighbours); inside it they become one space.
    lead = covered[: len(covered) - len(covered.lstrip())] if display else covered
    trail = covered[len(covered.rstrip()) :] if display else ""
    tail = ""
    if display and url and not trail and _is_word_char(display[-1]):
        while len(tail) < len(rest) and _is_word_char(rest[len(tail)]):
            tail += rest[len(tail)]
    body = f"{display}{tail} ({url})" if display and url else display or url
    begin = len(lead) + len(body) - len(url) - (1 if display and url else 0)
    atomic = (begin, begin + len(url), kind, url) if url and _linked(url) else None
    return Edit(span.start, span.end + len(tail), lead + body + trail, atomic)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _linked(url: str) -> bool:
    """Mastodon links only http(s) URLs; a span on anything else would be counted as 23."""
    return is_http_url(url) and not any(char.isspace() for char in url)


def _atomic_edit(span: Span, covered: str, rest: str = "") -> Edit:
    if span.kind is SpanKind.MENTION:
        return mention_edit(span, covered)
    if span.kind is SpanKind.TAG:
        return tag_edit(span, covered)
    return _link_edit(span, covered, rest)


def _block_edits(rich: RichText, blocked: Sequence[Span]) -> list[Edit]:
    edits: list[Edit] = []
    for span in rich.spans_of(SpanKind.QUOTE):
        starts = [span.start]
        starts += [i + 1 for i in range(span.start, span.end) if rich.text[i] == "\n"]
        edits += [Edit(start, start, QUOTE_MARK) for start in starts]
    for start, (level, marker) in list_markers(rich).items():
        edits.append(Edit(start, start, f"{INDENT * level}{marker} ", order=1))
    # Only at line starts (a block span off its line breaks the model's rules, and a marker
    # there would split a word), and never inside a link, mention or tag.
    text = rich.text
    return [
        e
        for e in edits
        if (e.start == 0 or text[e.start - 1] == "\n")
        and not any(b.start < e.start < b.end for b in blocked)
    ]


def richtext_for_mastodon(rich: RichText) -> RichText:
    """The plain text to send as a Mastodon `status`, keeping only link, mention and tag spans.

    Formatting is lost but the words stay: list items become "• item" / "1. item" lines, quotes
    "> " lines, headings stay on their own line; a link shown as other text becomes
    "text (URL)" so the URL survives; mentions are written "@user@host"."""
    atomic = atomic_spans(rich)
    ends = [s.start for s in atomic[1:]] + [len(rich.text)] * bool(atomic)
    edits = [
        _atomic_edit(span, rich.covered(span), rich.text[span.end : end])
        for span, end in zip(atomic, ends, strict=True)
    ]
    rewrite = Rewrite(rich.text, edits + _block_edits(rich, atomic))
    written = RichText(rewrite.text, tuple(sorted(rewrite.atomic, key=lambda s: s.start)))
    return _without_stray_mentions(written)


def _without_stray_mentions(rich: RichText) -> RichText:
    """A word joiner after every "@" the server would take for a mention that is not one of
    the text's mention spans; spans move along."""
    kept = rich.spans_of(SpanKind.MENTION, SpanKind.LINK)
    signs = [at for at in mention_signs(rich.text) if not any(s.start <= at < s.end for s in kept)]
    if not signs:
        return rich
    rewrite = Rewrite(rich.text, [Edit(at + 1, at + 1, WORD_JOINER) for at in signs])
    spans = tuple(
        Span(
            rewrite.position(s.start, is_end=False),
            rewrite.position(s.end, is_end=True),
            s.kind,
            s.value,
        )
        for s in rich.spans
    )
    return RichText(rewrite.text, spans)
