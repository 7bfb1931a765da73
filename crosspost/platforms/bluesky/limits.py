"""What one Bluesky post may hold, and Bluesky's posting caps.

https://docs.bsky.app/docs/advanced-guides/post-richtext (300 graphemes, 3000 bytes),
https://docs.bsky.app/docs/advanced-guides/rate-limits (5,000 write points an hour and 35,000 a
day, 3 points per record created).
"""

from __future__ import annotations

from crosspost.model import Limits, Platform
from crosspost.platforms.bluesky.text_rules import TEXT_RULES
from crosspost.platforms.spec import DAY, HOUR, Cap

LIMITS = Limits(
    Platform.BLUESKY,
    max_graphemes=300,
    max_bytes=3000,
    max_media=4,
    max_image_bytes=2_000_000,
    max_alt_chars=10_000,
    max_tags=8,
    max_tag_graphemes=64,
    text=TEXT_RULES,
)
CAPS = (
    Cap("write points an hour", HOUR, 5000, per_post=3),
    Cap("write points a day", DAY, 35_000, per_post=3),
)
