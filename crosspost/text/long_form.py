"""What a post carries besides its text that a reader must still see on the target: its title,
and, on a long-form target (a journal), the posts it reblogs or quotes, as attributed quotations.

A Tumblr reblog's own text is often empty or one line under the post it passes on; a journal
entry made of it must hold the reblogged words and pictures, or the entry says nothing. Short-form
targets link or quote the reblogged post instead (the platform writers do that).
"""

from __future__ import annotations

from crosspost.model import Media, Post, RichText, Span, SpanKind
from crosspost.text.fit_render import join


def with_title(post: Post, rich: RichText) -> RichText:
    """`rich` with the post's title as a first heading paragraph, unless the text already opens
    with it (a reader that folded it in). A journal's writer turns it back into the subject."""
    title = " ".join(post.title.split())
    if not title or rich.text.lstrip().startswith(title):
        return rich
    heading = RichText(title, (Span(0, len(title), SpanKind.HEADING),))
    return join(heading, rich, "\n\n" if rich.text.strip() else "")


def with_trail_quoted(post: Post) -> Post:
    """The post with each item of its trail (the posts it reblogs, oldest first) as a paragraph
    naming and linking its author, then its text as a quotation, before the post's own text;
    the items' media come first, in the same order. A post without a trail is returned as is."""
    if not post.trail:
        return post
    rich = RichText("")
    media: list[Media] = []
    for item in post.trail:
        part = _attributed(item)
        rich = join(rich, part, "\n\n" if rich.text else "")
        media.extend(item.media)
    if post.text.text.strip():
        rich = join(rich, post.text, "\n\n")
    quoted = {item.ref.id for item in post.trail}
    # The quoted post is now in the entry: no "RE:" link to it as well.
    quote_of = None if post.quote_of is not None and post.quote_of.id in quoted else post.quote_of
    return post.with_changes(text=rich, media=tuple(media) + post.media, quote_of=quote_of)


def author_name(item: Post) -> str:
    """How the post's author is known: the handle a platform's view names (Bluesky's
    `author.handle`, Mastodon's `account.acct`), else the account its ref names (a Tumblr blog)."""
    raw = item.raw
    for holder, key in (("author", "handle"), ("account", "acct"), ("blog", "name")):
        value = raw.get(holder)
        if isinstance(value, dict) and isinstance(value.get(key), str) and value[key]:
            return str(value[key])
    return item.ref.account or "someone"


def _attributed(item: Post) -> RichText:
    name = author_name(item)
    url = item.ref.url
    line = RichText(f"{name}:", (Span(0, len(name), SpanKind.LINK, url),) if url else ())
    body = with_title(item, item.text)
    text = body.text.strip("\n")
    if not text:
        return line
    offset = body.text.index(text)
    spans = [
        Span(s.start - offset, s.end - offset, s.kind, s.value)
        for s in body.spans
        if s.start >= offset and s.end <= offset + len(text)
    ]
    quoted = RichText(text, tuple(spans) + tuple(_quote_spans(text)))
    return join(line, quoted, "\n\n")


def _quote_spans(text: str) -> list[Span]:
    """One quotation span per paragraph, so each stays a paragraph inside the quotation."""
    spans, start = [], 0
    for paragraph in text.split("\n\n"):
        if paragraph.strip():
            spans.append(Span(start, start + len(paragraph), SpanKind.QUOTE))
        start += len(paragraph) + 2
    return spans
