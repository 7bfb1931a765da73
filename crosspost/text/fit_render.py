"""Rendering a text for the target before it is counted and cut, and joining rich texts.

A target that counts the plain text it is sent renders it first (`TextRules.render`); one that
shows links shortened while the link keeps the whole URL shortens them (`TextRules.shorten_links`).
"""

from __future__ import annotations

from crosspost.model import Limits, RichText, Span


def render_for_target(rich: RichText, limits: Limits, link_display_chars: int = 30) -> RichText:
    """The text as the target gets it: rendered by its rules (a plain text, where URLs are
    kept whole), else with its links shortened for display where the target shows them so."""
    if limits.text.render is not None:
        return limits.text.render(rich)
    return shorten_for_display(rich, limits, link_display_chars)


def shorten_for_display(rich: RichText, limits: Limits, max_chars: int = 30) -> RichText:
    shorten = limits.text.shorten_links
    return rich if shorten is None else shorten(rich, max_chars)


def join(first: RichText, second: RichText, separator: str) -> RichText:
    """`first`, `separator`, `second`, with the spans of both kept on their characters."""
    if not second.text and not second.spans:
        return first
    shift = len(first.text) + len(separator)
    moved = tuple(Span(s.start + shift, s.end + shift, s.kind, s.value) for s in second.spans)
    return RichText(first.text + separator + second.text, first.spans + moved)
