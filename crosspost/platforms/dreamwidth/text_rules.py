"""How Dreamwidth counts text: the rules its registry entry gives the fitting engine.

An entry body may hold 300,000 characters (LJ::CMAX_EVENT in cgi-bin/LJ/Global/Constants.pm;
450,000 bytes, BMAX_EVENT), so a post is never cut or threaded: one entry takes it whole.
Tags are free text in the `taglist` prop beside the body, like Tumblr's.
"""

from __future__ import annotations

from crosspost.model import TextRules


def _code_points(text: str, url_weight: int, content_warning: str) -> int:
    return len(text)


TEXT_RULES = TextRules(
    name="Dreamwidth", count_chars=_code_points, one_post=True, free_tags=True, long_form=True
)
