"""A journal's comments, from `/export_comments.bml` (Dreamwidth's DW/Controller/Export.pm).

The page wants a signed-in session: `sessiongenerate` gives one with the same challenge auth as
every call (no password), sent as the `ljsession` cookie, as ljdump does. Two modes:

- `get=comment_meta&startid=N`: the comments of ids N to N + 9,999, as `<comment id posterid
  state>` in no particular order, with `<maxid>` (the journal's highest comment id), `<nextid>`
  while more follow, and `<usermap id user>` naming the posters;
- `get=comment_body&startid=N`: those of ids N to N + 999, with `jitemid` (the entry's raw
  item id: its URL uses `jitemid * 256 + anum`), `parentid`, `<subject>`, `<body>`, `<date>`
  (UTC, W3C) and, with `props=1`, `<property name>`. Deleted comments (`state='D'`) come
  without a body; screened ones are `S`, frozen `F`.

`fetch_comments` reads the metadata whole (one call per 10,000 comments: cheap, and the only
way a comment screened, unscreened or deleted since is seen) and bodies only for the ids it is
asked for (`wanted`, default every one), skipping the 1,000-id ranges that hold none: a rerun
that kept the bodies it had reads the new comments' bodies only, as ljdump does. An edit of an
old comment shows in neither the metadata nor syncitems (Dreamwidth's edit_comment leaves
`commentalter` alone), so only a read of every body (`--full`) finds it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from crosspost.errors import PlatformError
from crosspost.platforms.dreamwidth.protocol import Transport

META_PER_CALL = 10_000
BODIES_PER_CALL = 1_000
PAGE = "/export_comments.bml"


@dataclass
class Meta:
    """What comment_meta says: each comment's poster and state, posters' names, the top id."""

    comments: dict[int, tuple[int, str]] = field(default_factory=dict)  # id -> (posterid, state)
    users: dict[int, str] = field(default_factory=dict)
    top: int = 0


def session(transport: Transport) -> str:
    """A short-lived web session for this user (sessiongenerate)."""
    answer = transport.call("sessiongenerate", {"expiration": "short"}, what="sign in to the site")
    cookie = str(answer.get("ljsession") or "")
    if not cookie:
        raise PlatformError("sign in to the site: Dreamwidth gave no session")
    return cookie


def fetch_comments(
    transport: Transport,
    *,
    journal: str = "",
    cookie: str | None = None,
    wanted: Callable[[Meta], Collection[int]] | None = None,
) -> tuple[Meta, list[dict[str, Any]]]:
    """The metadata, and the comments whose bodies were read (`wanted(meta)` names them; all
    by default), oldest id first: id, jitemid, parentid, posterid, poster (the username, ""
    for anonymous), state, subject, body, date, props."""
    cookie = cookie or session(transport)
    meta = read_meta(transport, cookie, journal)
    ids = set(meta.comments) if wanted is None else set(wanted(meta))
    found = read_bodies(transport, cookie, journal, ids)
    for record in found.values():
        record["poster"] = meta.users.get(record["posterid"], "")
    return meta, [found[c] for c in sorted(found)]


def read_meta(transport: Transport, cookie: str, journal: str) -> Meta:
    """Every comment's id, poster and state, 10,000 a call (startid and nextid page them)."""
    meta = Meta()
    startid = 0
    while True:
        root = _page(transport, cookie, "comment_meta", startid, META_PER_CALL, journal)
        meta.top = _int(root.findtext("maxid"), 0)
        for c in root.iter("comment"):
            meta.comments[_int(c.get("id"), 0)] = (
                _int(c.get("posterid"), 0), c.get("state") or "A"
            )  # fmt: skip
        for u in root.iter("usermap"):
            meta.users[_int(u.get("id"), 0)] = u.get("user") or ""
        following = root.findtext("nextid")
        if following is None or _int(following, 0) <= startid:
            return meta
        startid = _int(following, 0)


def read_bodies(
    transport: Transport, cookie: str, journal: str, ids: Collection[int]
) -> dict[int, dict[str, Any]]:
    """The comments of `ids`, from one call per range of 1,000 ids that holds any of them (the
    export answers ids from startid to startid + numitems, whatever the ids it has)."""
    found: dict[int, dict[str, Any]] = {}
    starts = sorted({i - i % BODIES_PER_CALL for i in ids})
    for startid in starts:
        root = _page(transport, cookie, "comment_body", startid, BODIES_PER_CALL, journal)
        for c in root.iter("comment"):
            cid = _int(c.get("id"), 0)
            if cid in ids:
                found[cid] = _body(c)
    return found


def _body(c: ET.Element) -> dict[str, Any]:
    return {
        "id": _int(c.get("id"), 0),
        "jitemid": _int(c.get("jitemid"), 0),
        "parentid": _int(c.get("parentid"), 0),
        "posterid": _int(c.get("posterid"), 0),
        "poster": "",
        "state": c.get("state") or "A",
        "subject": c.findtext("subject") or "",
        "body": c.findtext("body") or "",
        "date": c.findtext("date") or "",
        "props": {p.get("name") or "": p.text or "" for p in c.iter("property")},
    }


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
