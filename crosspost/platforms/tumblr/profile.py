"""A Tumblr blog's /info answer to the common Profile. Pure functions.

API docs: https://github.com/tumblr/docs/blob/master/api.md#info---retrieve-blog-info
(the `blog` object, its `avatar` sizes and its `theme`) and #avatar--retrieve-a-blog-avatar.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from crosspost.account_data import Profile
from crosspost.model import Media, MediaKind, Platform
from crosspost.platforms.tumblr.blocks import best_media
from crosspost.platforms.tumblr.npf import blog_url
from crosspost.text.html_read import richtext_from_html

AVATAR_SIZE = 512  # the largest of the nine sizes /avatar serves (16 ... 512)
# What the blog object counts, as Tumblr names it: `likes` only when the blog shares them,
# `followers`, `drafts`, `queue` and `messages` only to the blog's owner.
COUNTS = ("posts", "likes", "followers", "drafts", "queue", "messages", "submissions")


def to_profile(info: Mapping[str, Any], *, avatar_url: str | None = None) -> Profile:
    """A Profile from the `blog` object of /v2/blog/{blog}/info. `avatar_url` serves when the
    answer lists no avatar sizes (the /avatar/512 endpoint, which redirects to the image)."""
    name = _text(info, "name")
    uuid = _text(info, "uuid")
    title = _text(info, "title")
    description = _text(info, "description")
    theme = info.get("theme")
    theme_map = dict(theme) if isinstance(theme, Mapping) else {}
    return Profile(
        platform=Platform.TUMBLR,
        id=uuid or name,
        handle=name,
        display_name=title,
        bio=plain_bio(description),
        bio_html=description,
        avatar=_avatar(info.get("avatar"), avatar_url),
        banner=_banner(theme_map),
        url=blog_url(info),
        title=title,
        theme=theme_map,
        counts={key: info[key] for key in COUNTS if _is_int(info.get(key))},
        raw=dict(info),
    )


def plain_bio(description: str) -> str:
    """The description as plain text: HTML read as HTML, plain text kept with its line breaks."""
    if "<" not in description:
        return html.unescape(description).replace("\r\n", "\n").strip()
    return richtext_from_html(description).text.strip()


def _avatar(sizes: object, fallback: str | None) -> Media | None:
    best = best_media(sizes)
    if best is not None:
        width, height = best.get("width"), best.get("height")
        return Media(
            MediaKind.IMAGE,
            url=str(best["url"]),
            width=width if _is_int(width) else None,
            height=height if _is_int(height) else None,
        )
    if fallback:
        return Media(MediaKind.IMAGE, url=fallback, width=AVATAR_SIZE, height=AVATAR_SIZE)
    return None


def _banner(theme: Mapping[str, Any]) -> Media | None:
    """The header image as the blog uploaded it (`header_image`; the cropped and scaled versions
    stay in the theme). An animated header keeps its still `header_image_poster`."""
    url = _text(theme, "header_image")
    if not url.startswith(("http://", "https://")):
        return None
    poster = _text(theme, "header_image_poster") or None
    width, height = theme.get("header_full_width"), theme.get("header_full_height")
    is_gif = url.lower().split("?")[0].endswith(".gif")
    return Media(
        MediaKind.GIF if is_gif else MediaKind.IMAGE,
        url=url,
        width=width if _is_int(width) else None,
        height=height if _is_int(height) else None,
        poster_url=poster,
    )


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
