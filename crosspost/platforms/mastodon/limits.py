"""What one Mastodon status may hold by default, and Mastodon's posting caps.

https://docs.joinmastodon.org/user/posting/#text (500 characters; a server says its own in
/api/v2/instance, read by `instance.py`), https://docs.joinmastodon.org/api/rate-limits/
(30 media uploads per 30 minutes), and Mastodon's app/lib/rate_limiter.rb (300 statuses per 3
hours an account, counted in fixed 3-hour periods; counted here as rolling, never later).
"""

from __future__ import annotations

from crosspost.model import Limits, Platform
from crosspost.platforms.mastodon.text_rules import TEXT_RULES
from crosspost.platforms.spec import HOUR, Cap

LIMITS = Limits(
    Platform.MASTODON,
    max_chars=500,
    url_weight=23,
    max_media=4,
    max_alt_chars=1500,
    text=TEXT_RULES,
)
CAPS = (
    Cap("statuses per 3 hours", 3 * HOUR, 300, per_post=1),
    Cap("media uploads per 30 minutes", 1800.0, 30, per_media=1),
)
