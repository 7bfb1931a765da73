"""The account endpoints of the Tumblr-shaped test server (tests/tumblr_server.py): /info with its
avatar sizes and theme, /avatar, /likes, /following, /followers and /blocks, answering in the
shapes of api.md and of real answers:

- /info: the documented example's fields (title, posts, name, url, updated, description, ask,
  ask_anon, likes "only if ... sharing of likes is enabled"), plus `uuid`, `avatar` (sizes, largest
  first), `theme` (api.md's field table) and `share_likes`/`share_following`; to the signed-in
  owner also `admin`, `followers`, `drafts`, `queue` (as real signed answers carry them).
- /avatar[/size]: unsigned, a redirect to the PNG; signed, `{"avatar_url": ...}` (api.md).
- /likes: `liked_posts` (each with `liked_timestamp`), `liked_count`, `_links.next` by `before`;
  before/after/offset exclusive; offset at most 1000; limit + 1 likes without `before`
  (tumblr/docs#67); 403 "Hit a snag" when the blog does not share them (javierarce/
  tumblr-liked-photos-export#29).
- /following (`blogs`, `total_blogs`), /followers (`users`, `total_users`), /blocks
  (`blocked_tumblelogs`, `_links.next` by offset): OAuth, the owner only; blogs in
  `State.unlisted` are dropped after the page is cut, so pages come back short (pytumblr#125).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.tumblr_server import Handler, State

AVATAR_SIZES = (512, 128, 96, 64, 48, 40, 30, 24, 16)
LIST_LIMIT = 20
OFFSET_LIMIT = 1000
THEME = {
    "avatar_shape": "circle",
    "background_color": "#FAFAFA",
    "body_font": "Helvetica Neue",
    "header_bounds": "",
    "header_image": "https://static.tumblr.com/e2f3f2/header.png",
    "header_image_focused": "https://static.tumblr.com/e2f3f2/header_focused.png",
    "header_image_poster": "",
    "header_image_scaled": "https://static.tumblr.com/e2f3f2/header_scaled.png",
    "header_stretch": True,
    "link_color": "#529ECC",
    "show_avatar": True,
    "show_description": True,
    "show_header_image": True,
    "show_title": True,
    "title_color": "#444444",
    "title_font": "Gibson",
    "title_font_weight": "bold",
}
FORBIDDEN = [{"title": "Forbidden", "code": 0, "detail": "Hit a snag. Try again."}]


def owns(state: State, blog: str, signed: bool) -> bool:
    return signed and (state.owned is None or blog in state.owned)


def uuid_of(blog: str) -> str:
    return f"t:{blog.replace('-', '_')}Uuid0000000000"[:24]


def info(state: State, blog: str, signed: bool, host: str) -> dict[str, Any]:
    """The `blog` object of /info."""
    posts = state.posts.get(blog, [])
    extra = dict(state.blogs.get(blog, {}))
    base: dict[str, Any] = {
        "title": blog.title(),
        "posts": len(posts),
        "name": blog,
        "url": f"https://{blog}.tumblr.com/",
        "updated": max((p["timestamp"] for p in posts), default=0),
        "description": "",
        "ask": False,
        "ask_anon": False,
        "uuid": uuid_of(blog),
        "avatar": [
            {"width": size, "height": size, "url": f"http://{host}/media/avatar-{blog}-{size}"}
            for size in AVATAR_SIZES
        ],
        "theme": dict(THEME),
        "share_likes": False,
        "share_following": False,
        "is_nsfw": False,
    }
    base.update(extra)
    if base["share_likes"]:
        base["likes"] = len(state.likes.get(blog, []))
    if owns(state, blog, signed):
        base.update(admin=True, followers=len(state.followers.get(blog, [])), drafts=0, queue=0)
    elif signed:
        base["admin"] = False
    return base


def answer(handler: Handler, blog: str, rest: list[str], query: dict[str, str]) -> bool:
    """Answer an account endpoint; False when `rest` names none of them."""
    signed = handler.signed_request
    state = handler.server.state
    if rest[:1] == ["avatar"]:
        _avatar(handler, blog, rest[1:], signed)
    elif rest == ["info"]:
        handler.reply(200, {"blog": info(state, blog, signed, handler.headers["Host"])})
    elif rest == ["likes"]:
        _likes(handler, blog, query, signed)
    elif rest in (["following"], ["followers"], ["blocks"]):
        _list(handler, blog, rest[0], query, signed)
    else:
        return False
    return True


def _avatar(handler: Handler, blog: str, size: list[str], signed: bool) -> None:
    wanted = size[0] if size else "64"
    url = f"http://{handler.headers['Host']}/media/avatar-{blog}-{wanted}"
    if signed:
        handler.reply(200, {"avatar_url": url})
    else:
        handler.send_raw(301, b"", {"Location": url})


def _likes(handler: Handler, blog: str, query: dict[str, str], signed: bool) -> None:
    state = handler.server.state
    shared = bool(state.blogs.get(blog, {}).get("share_likes"))
    if not (shared or owns(state, blog, signed)):
        handler.reply(403, errors=FORBIDDEN, msg="Forbidden")
        return
    positions = [key for key in ("before", "after", "offset") if key in query]
    offset = int(query.get("offset", 0))
    if len(positions) > 1 or offset > OFFSET_LIMIT:
        error = [{"title": "Bad Request", "code": 1016, "detail": "Invalid parameters"}]
        handler.reply(400, errors=error, msg="Bad Request")
        return
    liked = sorted(state.likes.get(blog, []), key=lambda p: p["liked_timestamp"], reverse=True)
    total = len(liked)
    if "before" in query:
        liked = [p for p in liked if p["liked_timestamp"] < int(query["before"])]
    if "after" in query:
        liked = [p for p in liked if p["liked_timestamp"] > int(query["after"])]
    limit = min(int(query.get("limit", LIST_LIMIT)), LIST_LIMIT)
    if "before" not in query and "after" not in query:
        limit += 1  # tumblr/docs#67
    page = liked[offset : offset + limit]
    response: dict[str, Any] = {"liked_posts": page, "liked_count": total}
    if len(liked) > offset + limit and page:
        before = str(page[-1]["liked_timestamp"])
        response["_links"] = {
            "next": {
                "href": f"/v2/blog/{blog}/likes?before={before}",
                "method": "GET",
                "query_params": {"before": before},
            }
        }
    handler.reply(200, response)


def _list(handler: Handler, blog: str, kind: str, query: dict[str, str], signed: bool) -> None:
    state = handler.server.state
    if not signed:
        handler.reply(401, msg="Unauthorized")
        return
    if not owns(state, blog, signed):
        handler.reply(403, errors=FORBIDDEN, msg="Forbidden")
        return
    every = {"following": state.following, "followers": state.followers, "blocks": state.blocks}
    items = every[kind].get(blog, [])
    offset = int(query.get("offset", 0))
    limit = min(int(query.get("limit", LIST_LIMIT)), LIST_LIMIT)
    page = [item for item in items[offset : offset + limit] if item["name"] not in state.unlisted]
    if kind == "following":
        handler.reply(200, {"blogs": page, "total_blogs": len(items)})
    elif kind == "followers":
        handler.reply(200, {"total_users": len(items), "users": page})
    else:
        response: dict[str, Any] = {"blocked_tumblelogs": page}
        if offset + limit < len(items):
            next_offset = offset + limit
            response["_links"] = {
                "next": {
                    "href": f"/v2/blog/{blog}/blocks?offset={next_offset}",
                    "method": "GET",
                    "query_params": {"offset": next_offset},
                }
            }
        handler.reply(200, response)
