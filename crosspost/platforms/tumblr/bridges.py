"""Tumblr blogs seen from other networks: no bridge reaches them. (Tumblr has spoken of joining
the fediverse; nothing documented carries a blog's follows there, so nothing is claimed.)
Tumblr has no import of follows either, so it is never a target of `crosspost people`."""

from __future__ import annotations

from crosspost.platforms.bridging import Unbridged

RULES = Unbridged("a Tumblr blog")
