"""Dreamwidth journals seen from other networks: no bridge reaches them (Dreamwidth speaks no
ActivityPub or AT protocol of its own), and Dreamwidth has no import of follows, so it is never a
target of `crosspost people`."""

from __future__ import annotations

from crosspost.platforms.bridging import Unbridged

RULES = Unbridged("a Dreamwidth journal")
