"""A journal's comments, from `/export_comments.bml` (Dreamwidth's DW/Controller/Export.pm).

The page wants a signed-in session: `sessiongenerate` gives one with the same challenge auth as
every call (no password), sent as the `ljsession` cookie, as ljdump does. Two modes:

- `get=comment_meta&startid=N`: up to 10,000 comments from id N, as `<comment id posterid
  state>` in no particular order, with `<maxid>` (the journal's highest comment id), `<nextid>`
  while more follow, and `<usermap id user>` naming the posters;
- `get=comment_body&startid=N`: up to 1,000 comments from id N with `jitemid` (the entry's raw
  item id: its URL uses `jitemid * 256 + anum`), `parentid`, `<subject>`, `<body>`, `<date>`
  (UTC, W3C) and, with `props=1`, `<property name>`. Deleted comments (`state='D'`) come
  without a body; screened ones are `S`, frozen `F`.

`fetch_comments` reads both and returns plain dicts, oldest id first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from crosspost.errors import PlatformError
from crosspost.platforms.dreamwidth.protocol import Transport

META_PER_CALL = 10_000
BODIES_PER_CALL = 1_000
PAGE = "/export_comments.bml"


def session(transport: Transport) -> str:
    """A short-lived web session for this user (sessiongenerate)."""
    answer = transport.call("sessiongenerate", {"expiration": "short"}, what="sign in to the site")
    cookie = str(answer.get("ljsession") or "")
    if not cookie:
        raise PlatformError("sign in to the site: Dreamwidth gave no session")
    return cookie


def fetch_comments(
    transport: Transport, *, start: int = 0, journal: str = "", cookie: str | None = None
) -> list[dict[str, Any]]:
    """Every comment with an id from `start` on: id, jitemid, parentid, posterid, poster (the
    username, "" for anonymous), state, subject, body, date, props."""
    cookie = cookie or session(transport)
    meta: dict[int, dict[str, Any]] = {}
    users: dict[int, str] = {}
    startid, top = start, 0
    while True:
        root = _page(transport, cookie, "comment_meta", startid, META_PER_CALL, journal)
        top = _int(root.findtext("maxid"), 0)
        for c in root.iter("comment"):
            meta[_int(c.get("id"), 0)] = {"posterid": _int(c.get("posterid"), 0),
                                          "state": c.get("state") or "A"}  # fmt: skip
        for u in root.iter("usermap"):
            users[_int(u.get("id"), 0)] = u.get("user") or ""
        following = root.findtext("nextid")
        if following is None or _int(following, 0) <= startid:
            break
        startid = _int(following, 0)
    found: dict[int, dict[str, Any]] = {}
    startid = start
    while meta and startid <= top:
        root = _page(transport, cookie, "comment_body", startid, BODIES_PER_CALL, journal)
        ids = []
        for c in root.iter("comment"):
            cid = _int(c.get("id"), 0)
            ids.append(cid)
            posterid = _int(c.get("posterid"), 0)
            found[cid] = {
                "id": cid,
                "jitemid": _int(c.get("jitemid"), 0),
                "parentid": _int(c.get("parentid"), 0),
                "posterid": posterid,
                "poster": users.get(posterid, ""),
                "state": c.get("state") or "A",
                "subject": c.findtext("subject") or "",
                "body": c.findtext("body") or "",
                "date": c.findtext("date") or "",
                "props": {p.get("name") or "": p.text or "" for p in c.iter("property")},
            }
        startid = max(ids, default=startid + BODIES_PER_CALL - 1) + 1
    for cid, m in meta.items():  # in the metadata but not in a body page: keep what is known
        found.setdefault(
            cid, {"id": cid, "jitemid": 0, "parentid": 0, "posterid": m["posterid"],
                  "poster": users.get(m["posterid"], ""), "state": m["state"], "subject": "",
                  "body": "", "date": "", "props": {}},
        )  # fmt: skip
    return [found[c] for c in sorted(found)]


def _page(
    transport: Transport, cookie: str, mode: str, startid: int, numitems: int, journal: str
) -> ET.Element:
    params: dict[str, Any] = {"get": mode, "startid": startid, "numitems": numitems, "props": 1}
    if journal and journal != transport.username:
        params["authas"] = journal
    response = transport.get(
        transport.base_url + PAGE, what="read the journal's comments", params=params,
        cookies={"ljsession": cookie}, counted="export_comments",
    )  # fmt: skip
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        root = None
    if root is None or root.tag != "livejournal":
        raise PlatformError(
            "read the journal's comments: Dreamwidth answered a web page, not the comment "
            "export (the session was not accepted); try again later"
        )
    return root


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default
