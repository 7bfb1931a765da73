"""What a quote becomes on one target: a quote of the quoted post's mirror there, or of the
quoted post itself where the target can name it, else its URL as a link (and a link card).

A quoted post is known on a target when crosspost mirrored it there (the ledger), when it is
itself a mirror of a post on that target, when its id names it anywhere on the target's network
(an at:// URI), or when its URL names a post there (a bridged copy of a Bluesky post seen on
Mastodon). A Mastodon status id is one server's number: it is never sent to another server.
A reblog with a comment (Tumblr) quotes the post it reblogs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from crosspost.model import LinkCard, Platform, Post, PostKind, PostRef, RichText, Span, SpanKind
from crosspost.platforms.registry import spec
from crosspost.text.urls import is_http_url

LINK_PREFIX = "RE: "  # the line Mastodon itself writes for readers without quote posts
_CARD_TEXT = 300  # characters of the quoted text a link card describes it with


@dataclass(frozen=True, slots=True)
class QuoteOnTarget:
    """`ref`: a post the target quotes natively; else `url`: the quoted post's page, linked.
    `waiting`: the quoted post is on its way to the target (the quote waits for its mirror)."""

    ref: PostRef | None = None
    url: str | None = None
    waiting: str | None = None


NO_QUOTE = QuoteOnTarget()


def quoted_ref(post: Post) -> PostRef | None:
    """The post `post` quotes: its quote, or what a reblog with a comment reblogs."""
    if post.quote_of is not None:
        return post.quote_of
    if post.kind is PostKind.REBLOG_WITH_COMMENT:
        return post.repost_of
    return None


def quoted_post(post: Post) -> Post | None:
    """The quoted post's content, where the source showed it (the trail)."""
    quoted = quoted_ref(post)
    if quoted is None:
        return None
    return next((item for item in reversed(post.trail) if item.ref.id == quoted.id), None)


def ledger_keys(quoted: PostRef, source: PostRef) -> list[str]:
    """The keys the ledger may know the quoted post by: its own, and, for a post read from the
    source's own server, the key it has when the source account itself is its author."""
    keys = [quoted.key]
    if quoted.platform is source.platform and quoted.account != source.account:
        keys.append(PostRef(quoted.platform, source.account, quoted.id).key)
    return keys


def native_ref(quoted: PostRef, target: Platform) -> tuple[PostRef | None, bool]:
    """(a ref the target's network can quote, whether it must be fetched to be complete)."""
    if quoted.platform is target and "://" in quoted.id:
        return quoted, not quoted.cid  # a strong ref lacking its content id: fetch it
    found = spec(target).post_ref_from_url(quoted.url) if quoted.url else None
    return found, found is not None


def link_for(quoted: PostRef) -> QuoteOnTarget:
    return QuoteOnTarget(url=quoted.url) if quoted.url and is_http_url(quoted.url) else NO_QUOTE


def with_quote(post: Post, quote: QuoteOnTarget) -> Post:
    """The post as the target gets it: quoting `quote.ref`, or with a last paragraph linking
    the quoted post and a link card describing it (in place of the post's own card, as a quote
    takes the card's place on Bluesky; a post with media keeps them instead)."""
    if quote.ref is not None:
        return post.with_changes(quote_of=quote.ref)
    if quoted_ref(post) is None:
        return post
    if quote.url is None or quote.url in post.text.text:
        return post.with_changes(quote_of=None)
    # As a quote would, the quoted post's card takes the place of the post's own.
    card = post.link_card if post.media else _card(post, quote.url)
    return _with_link(post, quote.url).with_changes(quote_of=None, link_card=card)


def _with_link(post: Post, url: str) -> Post:
    body = post.text.text.rstrip()
    start = len(body) + (2 if body else 0) + len(LINK_PREFIX)
    joined = f"{body}\n\n{LINK_PREFIX}{url}" if body else f"{LINK_PREFIX}{url}"
    spans = (*post.text.spans, Span(start, start + len(url), SpanKind.LINK, url))
    return post.with_changes(text=RichText(joined, tuple(s for s in spans if s.end <= len(joined))))


def _card(post: Post, url: str) -> LinkCard:
    quoted = quoted_post(post)
    ref = quoted.ref if quoted is not None else quoted_ref(post)
    assert ref is not None
    author = f"{ref.account} on {spec(ref.platform).display_name}" if ref.account else ""
    text = quoted.text.text.strip() if quoted is not None else ""
    if len(text) > _CARD_TEXT:
        text = text[: _CARD_TEXT - 1].rstrip() + "…"
    return LinkCard(url=url, title=author or url, description=text)


def quoted_in_full(post: Post, target: Platform) -> bool:
    """Whether a long-form target (a journal) carries the quoted post itself, as an attributed
    quotation (crosspost.text.long_form), rather than a quote or a link: the source showed it."""
    return spec(target).limits.text.long_form and quoted_post(post) is not None


def offline_quote(post: Post, target: Platform) -> QuoteOnTarget:
    """What `crosspost convert` can tell without a ledger or a network: a native quote where
    the target's network names the quoted post, its CID shown as fetched when publishing."""
    quoted = quoted_ref(post)
    if quoted is None or quoted_in_full(post, target):
        return NO_QUOTE
    ref, fetch = native_ref(quoted, target)
    if ref is None:
        return link_for(quoted)
    return QuoteOnTarget(ref=dataclasses.replace(ref, cid=FETCHED) if fetch else ref)


FETCHED = "(fetched when publishing)"
