"""What one Dreamwidth entry may hold, and the posting caps.

From Dreamwidth's source (dreamwidth/dreamwidth): cgi-bin/LJ/Global/Constants.pm gives the body
300,000 characters / 450,000 bytes (CMAX_EVENT, BMAX_EVENT: postevent fails with 409 "Post too
large") and the subject 100 characters / 255 bytes (CMAX_SUBJECT, BMAX_SUBJECT: 411 "Subject
too long"). Images are not uploaded through the XML-RPC protocol: an entry shows media by URL,
so no media count applies. The number of tags a journal may use is an account setting
(`count_tags_max`, cgi-bin/LJ/Tags.pm), not a per-entry limit.

Posting caps: the protocol documents none (Protocol.pm has no rate-limit fault); the site's
rate limits are not published. CAPS is therefore empty; a refusal is reported by the client.
"""

from __future__ import annotations

from crosspost.model import Limits, Platform
from crosspost.platforms.dreamwidth.text_rules import TEXT_RULES
from crosspost.platforms.spec import Cap

MAX_EVENT_CHARS = 300_000  # LJ::CMAX_EVENT
MAX_EVENT_BYTES = 450_000  # LJ::BMAX_EVENT
MAX_SUBJECT_CHARS = 100  # LJ::CMAX_SUBJECT
MAX_SUBJECT_BYTES = 255  # LJ::BMAX_SUBJECT

LIMITS = Limits(
    Platform.DREAMWIDTH,
    max_chars=MAX_EVENT_CHARS,
    max_media=100,
    max_videos=100,
    text=TEXT_RULES,
)
CAPS: tuple[Cap, ...] = ()
