"""How Tumblr counts text: the rules its registry entry gives the fitting engine.

https://www.tumblr.com/docs/npf#content-block-type-text: 4096 code points per text block, and
the NPF writer (`richtext_write`) splits long paragraphs into blocks itself, so a post is never
cut or threaded. Tags are free text beside the content (https://www.tumblr.com/docs/npf).
"""

from __future__ import annotations

from crosspost.model import TextRules


def _code_points(text: str, url_weight: int, content_warning: str) -> int:
    return len(text)


TEXT_RULES = TextRules(name="Tumblr", count_chars=_code_points, one_post=True, free_tags=True)
