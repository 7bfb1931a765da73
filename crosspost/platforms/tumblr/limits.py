"""What one Tumblr post may hold, and Tumblr's posting caps.

https://www.tumblr.com/docs/npf (4096 code points per text block, 30 images, 1 video) and
https://www.tumblr.com/docs/en/api/v2#rate-limits (250 posts and 250 images a day).
"""

from __future__ import annotations

from crosspost.model import Limits, Platform
from crosspost.platforms.spec import DAY, Cap
from crosspost.platforms.tumblr.text_rules import TEXT_RULES

LIMITS = Limits(
    Platform.TUMBLR, max_chars=4096, max_media=30, max_image_bytes=20_000_000, text=TEXT_RULES
)
CAPS = (
    Cap("posts a day", DAY, 250, per_post=1),
    Cap("images a day", DAY, 250, per_media=1),
)
