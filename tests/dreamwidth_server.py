"""A Dreamwidth-shaped XML-RPC server on 127.0.0.1, answering as Dreamwidth's own code does.

Everything here is read from Dreamwidth's source (dreamwidth/dreamwidth, `cgi-bin/LJ/Protocol.pm`,
`cgi-bin/DW/Controller/Export.pm` for `/export_comments.bml`) and checked against GBirkel/ljdump, a
working client of the same protocol:

- `/interface/xmlrpc`, methods `LJ.XMLRPC.<mode>`: getchallenge (single use, 60 s), login,
  syncitems (at most `syncitems_limit` items, 500 on Dreamwidth, strictly newer than `lastsync`,
  with `count` and `total`; `L-` entries and `C-` comment changes), getevents (`one`, `lastn`,
  `day`, `multiple`, and `syncitems` at 100 a call, which refuses a `lastsync` already asked
  twice within the hour with fault 406), postevent (dates required, the duplicate check against
  the poster's last post), editevent (an empty event deletes; an edit without `allowmask` sets
  it to 0; without `security` keeps the old one), getusertags, sessiongenerate.
- Authentication is challenge-response against the account's API keys:
  `md5_hex(challenge . md5_hex(key))` (`LJ::Protocol::check_login`); faults come with HTTP 200
  and Protocol.pm's codes and messages (`xmlrpc_method`).
- Answers are typed as the server's Perl library (XMLRPC::Lite) guesses them: a string with a
  byte outside printable ASCII goes as `<base64>`, a digit-only one as `<int>`, a decimal one as
  `<double>`; only the names Protocol.pm marks (`username`, `poster`, `fullname`, `name`, ...)
  stay strings.
- `/export_comments.bml?get=comment_meta|comment_body&startid=&numitems=` in Export.pm's XML,
  for a request carrying the `ljsession` cookie that sessiongenerate gave.
- `/userpic/<picid>/<userid>`: the userpics `login` names with `getpickwurls`.

`requests` counts calls per method; `fail_next` makes the next calls of a method fail (a fault, or
an HTTP error from the front end); `crash_after` drops the connection after a method did its work
(the reply is lost, as when a client crashes between a post and its ledger).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
import threading
import time
import xmlrpc.client
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from crosspost.accounts import Account
    from crosspost.platforms.dreamwidth.client import DreamwidthClient

CHALLENGE_LIFETIME = 60  # seconds (Protocol.pm getchallenge: $etime = 60)
END_OF_TIME = 2**31 - 1

# Protocol.pm's %e: the codes a test meets, with their messages.
MESSAGES = {
    100: "Invalid username",
    101: "Invalid password",
    105: "Challenge expired",
    200: "Client error: Missing required argument(s)",
    201: "Client error: Unknown method",
    203: "Client error: Invalid argument(s)",
    205: "Client error: Unknown metadata",
    302: "Can't edit post from requested journal",
    402: "Your IP address is temporarily banned for exceeding the login failure rate.",
    405: "Post frequency limit.",
    406: "Client is making repeated requests.  Perhaps it's broken?",
    500: "Server error: Internal server error",
    501: "Server error: Database error",
    502: "Server error: Database temporarily unavailable",
    503: "Server error: Error obtaining necessary database lock",
}

# Log props as bin/upgrading/proplists.dat lists them: those of `ownership: user` a client may set,
# those of `ownership: system` refused from clients (common_event_validation: fault 205).
KNOWN_PROPS = {
    "admin_post", "adult_content", "adult_content_reason", "current_coords", "current_location",
    "current_mood", "current_moodid", "current_music", "editor", "import_source", "interface",
    "opt_backdated", "opt_nocomments", "opt_noemail", "opt_preformatted", "opt_screening",
    "picture_keyword", "syn_id", "syn_link", "taglist", "unknown8bit", "used_rte", "useragent",
    "xpost", "xpostdetail",
}  # fmt: skip
SYSTEM_PROPS = {
    "adult_content_maintainer", "adult_content_maintainer_reason", "commentalter", "hasscreened",
    "opt_nocomments_maintainer", "picture_mapid", "revnum", "revtime", "statusvis",
}  # fmt: skip
STRING_NAMES = {"journalname", "fullname", "username", "poster", "postername", "name"}
_INT = re.compile(r"^[+-]?\d+$")
_DOUBLE = re.compile(r"^-?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_PRINTABLE = re.compile(r"^[\x09\x0a\x0d\x20-\x7e]*$")


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def auth_response(challenge: str, api_key: str) -> str:
    """What a client answers a challenge with (LJ::Protocol::check_login)."""
    return md5_hex(challenge + md5_hex(api_key))


def perl_typed(value: Any, name: str | None = None) -> Any:
    """A value as XMLRPC::Lite sends it: its type guessed from its content."""
    if isinstance(value, dict):
        return {k: perl_typed(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [perl_typed(v, name) for v in value]
    if isinstance(value, str):
        if name in STRING_NAMES and _PRINTABLE.match(value):
            return value
        if not _PRINTABLE.match(value):
            return xmlrpc.client.Binary(value.encode("utf-8"))
        if _INT.match(value) and -(2**31) <= int(value) < 2**31:
            return int(value)
        if _DOUBLE.match(value):
            return float(value)
    return value


@dataclass
class Entry:
    itemid: int
    anum: int
    eventtime: str  # "YYYY-MM-DD HH:MM:00"
    logtime: str  # "YYYY-MM-DD HH:MM:SS" (server time, UTC)
    subject: str
    event: str
    security: str = "public"
    allowmask: int = 0
    props: dict[str, str] = field(default_factory=dict)
    revtime: float | None = None

    @property
    def ditemid(self) -> int:
        return self.itemid * 256 + self.anum


@dataclass
class Comment:
    jtalkid: int
    jitemid: int
    posterid: int  # 0: anonymous
    parentid: int = 0
    state: str = "A"  # A active, S screened, D deleted, F frozen
    subject: str = ""
    body: str = ""
    datepost: str = "2020-01-01 00:00:00"
    props: dict[str, str] = field(default_factory=dict)


@dataclass
class User:
    username: str
    userid: int
    api_keys: set[str]
    fullname: str = ""
    entries: dict[int, Entry] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    next_itemid: int = 1
    dupsig: str = ""  # "md5:itemid:anum" of the last post (the `dupsig_post` userprop)
    pickws: dict[str, int] = field(default_factory=dict)  # keyword -> picid
    defaultpicid: int = 0
    userpics: dict[int, bytes] = field(default_factory=dict)
    getevents_syncs: list[tuple[float, str]] = field(default_factory=list)
    usertags: set[str] = field(default_factory=set)


class Fault(Exception):
    def __init__(self, code: int, detail: str = "") -> None:
        message = MESSAGES.get(code, "BUG: Unknown error code!")
        super().__init__(f"{message}: {detail}" if detail else message)
        self.code = code


@dataclass
class Failure:
    fault: int | None = None  # an XML-RPC fault code
    status: int | None = None  # or an HTTP status from the front end
    times: int = 1
    after: int = 0  # calls that go through before the failure starts


class DreamwidthServer:
    """The state behind the HTTP front: users, their entries and comments, challenges, sessions."""

    def __init__(self, *, syncitems_limit: int = 500, clock: Callable[[], float] = time.time):
        self.users: dict[str, User] = {}
        self.challenges: dict[str, float] = {}  # challenge -> expiry
        self.sessions: dict[str, str] = {}  # ljsession cookie -> username
        self.requests: Counter[str] = Counter()
        self.failures: dict[str, list[Failure]] = {}
        self.crashes: Counter[str] = Counter()  # method -> calls whose reply is dropped
        self.stalls: dict[str, list[float]] = {}  # method -> seconds the next calls hang
        self.syncitems_limit = syncitems_limit
        # The site's post frequency limit (`rateallowed-post`, a setting Dreamwidth does not
        # publish): past this many entries, postevent answers fault 405 until it is lifted.
        self.post_limit: int | None = None
        self.clock = clock
        self.lock = threading.RLock()
        self.base_url = ""
        self._last_logtime = 0.0

    # -- set-up, for tests ----------------------------------------------------------------

    def add_user(self, username: str, api_key: str, fullname: str = "") -> User:
        user = User(username, len(self.users) + 1, {api_key}, fullname or username)
        self.users[username] = user
        return user

    def add_entry(
        self, username: str, subject: str, event: str, eventtime: str, **extra: Any
    ) -> Entry:
        """An entry as if posted at `logtime` (default: now): how tests seed a journal."""
        with self.lock:
            user = self.users[username]
            entry = Entry(
                user.next_itemid, secrets.randbelow(256), eventtime,
                extra.pop("logtime", None) or self._now_logtime(), subject, event, **extra,
            )  # fmt: skip
            user.entries[entry.itemid] = entry
            user.next_itemid += 1
            return entry

    def fail_next(
        self,
        method: str,
        *,
        fault: int | None = None,
        status: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """The next `times` calls of `method` fail, once `after` more have gone through."""
        self.failures.setdefault(method, []).append(Failure(fault, status, times, after))

    def stall_next(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls of `method` answer only after `seconds` (a hung server)."""
        self.stalls.setdefault(method, []).extend([seconds] * times)

    def crash_after(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` do their work, then the connection drops."""
        self.crashes[method] += times

    def journal_url(self, username: str) -> str:
        return f"{self.base_url}/~{username}"  # Dreamwidth: https://USER.dreamwidth.org

    # -- the protocol ---------------------------------------------------------------------

    def dispatch(self, method: str, args: tuple[Any, ...]) -> dict[str, Any]:
        name = method.removeprefix("LJ.XMLRPC.")
        handler = getattr(self, f"_m_{name}", None)
        if handler is None or not method.startswith("LJ.XMLRPC."):
            raise Fault(201)
        if len(args) > 1:
            raise Fault(202)
        req = dict(args[0]) if args else {}
        with self.lock:
            result: dict[str, Any] = handler(req)
            return result

    def _now_logtime(self) -> str:
        now = max(self.clock(), self._last_logtime)
        self._last_logtime = now
        return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S")

    def _authenticate(self, req: dict[str, Any]) -> User:
        username = _text(req.get("username"))
        if not username:
            raise Fault(200)
        user = self.users.get(username.lower())
        if user is None:
            raise Fault(100)
        if req.get("auth_method") != "challenge":
            raise Fault(101)
        challenge = _text(req.get("auth_challenge"))
        expiry = self.challenges.pop(challenge, None)  # single use
        if expiry is None:
            raise Fault(101)
        if expiry < self.clock():
            raise Fault(105)
        answer = _text(req.get("auth_response"))
        if not any(auth_response(challenge, key) == answer for key in user.api_keys):
            raise Fault(101)
        return user

    def _m_getchallenge(self, req: dict[str, Any]) -> dict[str, Any]:
        now = int(self.clock())
        challenge = f"c0:{now}:{secrets.token_hex(4)}:60:{secrets.token_hex(10)}"
        self.challenges[challenge] = now + CHALLENGE_LIFETIME
        return {
            "challenge": challenge,
            "server_time": now,
            "expire_time": now + CHALLENGE_LIFETIME,
            "auth_scheme": "c0",
        }

    def _m_login(self, req: dict[str, Any]) -> dict[str, Any]:
        user = self._authenticate(req)
        res: dict[str, Any] = {
            "userid": user.userid,
            "fullname": user.fullname,
            "usejournals": [],
            "friendgroups": [],
        }
        if req.get("getpickws"):
            words = sorted(user.pickws, key=str.lower)
            res["pickws"] = words
            if req.get("getpickwurls"):
                root = f"{self.base_url}/userpic"
                if user.defaultpicid:
                    res["defaultpicurl"] = f"{root}/{user.defaultpicid}/{user.userid}"
                res["pickwurls"] = [f"{root}/{user.pickws[w]}/{user.userid}" for w in words]
        return res

    def _m_sessiongenerate(self, req: dict[str, Any]) -> dict[str, Any]:
        user = self._authenticate(req)
        kind = "l" if req.get("expiration") == "long" else "s"
        session = f"v2:u{user.userid}:{secrets.token_hex(6)}:{kind}"
        self.sessions[session] = user.username
        return {"ljsession": session}

    def _m_getusertags(self, req: dict[str, Any]) -> dict[str, Any]:
        user = self._authenticate(req)
        uses: Counter[str] = Counter()
        for entry in user.entries.values():
            for tag in _tags(entry.props.get("taglist", "")):
                uses[tag] += 1
        names = sorted(set(uses) | user.usertags)
        return {
            "tags": [
                {"name": n, "uses": uses[n], "display": 1, "security_level": "public",
                 "security": {"public": uses[n], "private": 0, "friends": 0, "groups": {}}}
                for n in names
            ]
        }  # fmt: skip

    def _m_syncitems(self, req: dict[str, Any]) -> dict[str, Any]:
        user = self._authenticate(req)
        date = _text(req.get("lastsync")) or "0000-00-00 00:00:00"
        if not re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", date):
            raise Fault(203, "Invalid date format")
        items: dict[int, tuple[str, str, int, str]] = {}
        for e in user.entries.values():
            if e.logtime > date:
                items[e.itemid] = ("L", e.logtime, e.itemid, "create")
            if e.revtime is not None and _mysql(e.revtime) > date:
                items[e.itemid] = ("L", _mysql(e.revtime), e.itemid, "update")
        comments: dict[int, tuple[str, str, int, str]] = {}
        for c in user.comments.values():
            if c.datepost > date:
                comments[c.jitemid] = ("C", c.datepost, c.jitemid, "update")
        events = sorted([*items.values(), *comments.values()], key=lambda ev: ev[1])
        page = events[: self.syncitems_limit]
        return {
            "syncitems": [
                {"item": f"{kind}-{itemid}", "time": when, "action": action}
                for kind, when, itemid, action in page
            ],
            "count": len(page),
            "total": len(events),
        }

    def _m_getevents(self, req: dict[str, Any]) -> dict[str, Any]:
        user = self._authenticate(req)
        entries = user.entries
        selecttype = _text(req.get("selecttype"))
        chosen: list[Entry]
        if selecttype == "one" and _text(req.get("itemid")) == "-1":
            selecttype, req["howmany"] = "lastn", 1
        if selecttype == "one":
            found = entries.get(int(_text(req.get("itemid")) or 0))
            chosen = [found] if found else []
        elif selecttype == "lastn":
            howmany = min(int(req.get("howmany") or 20), 50)
            before = _text(req.get("beforedate"))
            ordered = sorted(entries.values(), key=lambda e: e.eventtime, reverse=True)
            chosen = [e for e in ordered if not before or e.eventtime < before][:howmany]
        elif selecttype == "day":
            day = f"{int(req['year']):04d}-{int(req['month']):02d}-{int(req['day']):02d}"
            chosen = sorted(
                (e for e in entries.values() if e.eventtime.startswith(day)),
                key=lambda e: e.eventtime,
            )[:200]
        elif selecttype == "multiple":
            ids = [s for s in re.split(r"\s*,\s*", _text(req.get("itemids"))) if s]
            if not all(s.isdigit() for s in ids):
                raise Fault(203, "Non-numeric itemid")
            if len(ids) > 100:
                raise Fault(209, "Can't retrieve more than 100 entries at once")
            chosen = [entries[int(s)] for s in ids if int(s) in entries]
        elif selecttype == "syncitems":
            chosen = self._sync_events(user, _text(req.get("lastsync")))
        else:
            raise Fault(200, "Invalid selecttype.")
        return {"events": [self._event(user, e, req) for e in chosen]}

    def _sync_events(self, user: User, lastsync: str) -> list[Entry]:
        date = lastsync or "0000-00-00 00:00:00"
        now = self.clock()
        if lastsync:  # Protocol.pm: rl_syncitems_getevents_loop
            user.getevents_syncs = [(t, d) for t, d in user.getevents_syncs if t >= now - 3600]
            count = sum(1 for _, d in user.getevents_syncs if d == date)
            user.getevents_syncs.append((now, date))
            if count >= 2:
                raise Fault(406)
        changed: dict[int, str] = {}
        for e in user.entries.values():
            if e.logtime > date:
                changed[e.itemid] = e.logtime
            if e.revtime is not None and _mysql(e.revtime) > date:
                changed[e.itemid] = _mysql(e.revtime)
        ids = sorted(changed, key=lambda i: changed[i])[:100]
        return [user.entries[i] for i in ids]

    def _event(self, user: User, e: Entry, req: dict[str, Any]) -> dict[str, Any]:
        evt: dict[str, Any] = {
            "itemid": e.itemid,
            "eventtime": e.eventtime,
            "logtime": e.logtime,
            "anum": e.anum,
            "url": f"{self.journal_url(user.username)}/{e.ditemid}.html",
        }
        if e.security != "public":
            evt["security"] = e.security
            if e.security == "usemask":
                evt["allowmask"] = e.allowmask
        props = {k: v.replace("\n", " ") for k, v in e.props.items() if k != "taglist"}
        tags = _tags(e.props.get("taglist", ""))
        if tags:  # the server keeps tags lower-cased, as a set: the order is its own
            props["taglist"] = ", ".join(sorted(tags, key=lambda t: md5_hex(t)))
        if e.revtime is not None:
            props["revtime"] = str(int(e.revtime))
            props["revnum"] = props.get("revnum", "1")
        if props and not req.get("noprops"):
            evt["props"] = props
        if e.subject:
            evt["subject"] = re.sub(r"[\r\n]", " ", e.subject)
        body = e.event.replace("\r", "")
        if _text(req.get("lineendings")) not in ("unix", "mac", "space", "dots"):
            body = body.replace("\n", "\r\n")  # "pc", the default
        evt["event"] = body
        return evt

    def _validate(self, req: dict[str, Any], fields_needed: bool) -> None:
        for key, low, high in (("year", 1970, 2037), ("mon", 1, 12), ("day", 1, 31),
                               ("hour", 0, 23), ("min", 0, 59)):  # fmt: skip
            value = _text(req.get(key))
            if not value.isdigit() or not low <= int(value) <= high:
                raise Fault(203, f"Invalid {key} value.")
        for name in req.get("props") or {}:
            if name not in KNOWN_PROPS:  # unknown, or a system prop (revnum, revtime ...)
                raise Fault(205, re.sub(r"\W", "", name))

    def _m_postevent(self, req: dict[str, Any]) -> dict[str, Any]:
        user = self._authenticate(req)
        if self.post_limit is not None and len(user.entries) >= self.post_limit:
            raise Fault(405)
        event = _text(req.get("event")).strip()
        if not event:
            raise Fault(200)
        self._validate(req, True)
        if int(_text(req.get("ver")) or 0) < 1 and not _PRINTABLE.match(event):
            raise Fault(207)
        if _text(req.get("lineendings")) == "mac":
            event = event.replace("\r", "\n")
        else:
            event = event.replace("\r", "")
        security = _text(req.get("security"))
        security = security if security in ("usemask", "private") else "public"
        allowmask = int(_text(req.get("allowmask")) or 0)
        dupsig = md5_hex(
            "".join(
                _text(req.get(k)) for k in ("subject", "event", "usejournal", "security",
                                            "allowmask")
            )
        )  # fmt: skip
        parts = user.dupsig.split(":")
        if parts[0] == dupsig and parts[0]:
            itemid, anum = int(parts[1]), int(parts[2])
            return {
                "itemid": itemid,
                "anum": anum,
                "url": f"{self.journal_url(user.username)}/{itemid * 256 + anum}.html",
            }
        eventtime = _eventtime(req)
        props = {
            k: _text(v) for k, v in (req.get("props") or {}).items() if _text(v) not in ("", "0")
        }
        entry = self.add_entry(
            user.username, _text(req.get("subject")), event, eventtime,
            security=security, allowmask=allowmask, props=props,
        )  # fmt: skip
        user.dupsig = f"{dupsig}:{entry.itemid}:{entry.anum}"
        return {
            "itemid": entry.itemid,
            "anum": entry.anum,
            "url": f"{self.journal_url(user.username)}/{entry.ditemid}.html",
        }

    def _m_editevent(self, req: dict[str, Any]) -> dict[str, Any]:
        user = self._authenticate(req)
        itemid = int(_text(req.get("itemid")) or 0)
        entry = user.entries.get(itemid)
        if entry is None:
            raise Fault(302)
        event = _text(req.get("event"))
        if not event.strip():
            del user.entries[itemid]
            user.comments = {k: c for k, c in user.comments.items() if c.jitemid != itemid}
            user.dupsig = ""
            return {"itemid": itemid, "anum": entry.anum}
        for key, value in zip(("year", "mon", "day", "hour", "min"),
                              re.findall(r"\d+", entry.eventtime), strict=False):  # fmt: skip
            req.setdefault(key, str(int(value)))
        self._validate(req, False)
        security = _text(req.get("security"))
        if security in ("public", "private", "usemask"):
            entry.security = security
        entry.allowmask = int(_text(req.get("allowmask")) or 0)  # not resent: 0
        entry.eventtime = _eventtime(req)
        entry.subject, entry.event = _text(req.get("subject")), event.strip().replace("\r", "")
        for name, value in (req.get("props") or {}).items():
            if _text(value) in ("", "0"):
                entry.props.pop(name, None)
            else:
                entry.props[name] = _text(value)
        entry.props["revnum"] = str(int(entry.props.get("revnum", "0")) + 1)
        entry.revtime = max(self.clock(), self._last_logtime)
        return {
            "itemid": itemid,
            "anum": entry.anum,
            "url": f"{self.journal_url(user.username)}/{entry.ditemid}.html",
        }

    # -- /export_comments.bml --------------------------------------------------------------

    def export_comments(self, session: str, query: dict[str, list[str]]) -> str | None:
        with self.lock:
            username = self.sessions.get(session)
            if username is None:
                return None
            user = self.users[username]
            mode = (query.get("get") or [""])[0].lower()
            maxitems = 10000 if mode == "comment_meta" else 1000
            asked = int((query.get("numitems") or ["0"])[0] or 0)
            gather = asked if 0 < asked <= maxitems else maxitems
            startid = int((query.get("startid") or ["0"])[0] or 0)
            rows = [c for c in user.comments.values() if startid <= c.jtalkid < startid + gather]
            out = ["<?xml version=\"1.0\" encoding='utf-8'?>\n<livejournal>\n"]
            posters = {c.posterid for c in rows if c.posterid}
            names = {u.userid: u.username for u in self.users.values()}
            if mode == "comment_meta":
                top = max((c.jtalkid for c in user.comments.values()), default=0)
                out.append(f"<maxid>{top}</maxid>\n")
                if startid + gather <= top:
                    out.append(f"<nextid>{startid + gather}</nextid>\n")
                out.append("<comments>\n")
                for c in sorted(rows, key=lambda c: md5_hex(str(c.jtalkid))):  # hash order
                    line = f"<comment id='{c.jtalkid}'"
                    line += f" posterid='{c.posterid}'" if c.posterid else ""
                    line += f" state='{c.state}'" if c.state != "A" else ""
                    out.append(line + " />\n")
                out.append("</comments>\n<usermaps>\n")
                for pid in sorted(posters):
                    out.append(f"<usermap id='{pid}' user='{names.get(pid, f'user{pid}')}' />\n")
                out.append("</usermaps>\n")
            elif mode == "comment_body":
                out.append("<comments>\n")
                for c in sorted(rows, key=lambda c: c.jtalkid):
                    line = f"<comment id='{c.jtalkid}' jitemid='{c.jitemid}'"
                    line += f" posterid='{c.posterid}'" if c.posterid else ""
                    line += f" state='{c.state}'" if c.state != "A" else ""
                    line += f" parentid='{c.parentid}'" if c.parentid else ""
                    if c.state == "D":
                        out.append(line + " />\n")
                        continue
                    line += ">\n"
                    if c.subject:
                        line += f"<subject>{escape(c.subject)}</subject>\n"
                    if c.body:
                        line += f"<body>{escape(c.body)}</body>\n"
                    date = datetime.strptime(c.datepost, "%Y-%m-%d %H:%M:%S")
                    line += f"<date>{date.strftime('%Y-%m-%dT%H:%M:%SZ')}</date>\n"
                    if (query.get("props") or [""])[0]:
                        for key, value in c.props.items():
                            line += f"<property name={quoteattr(key)}>{escape(value)}</property>\n"
                    out.append(line + "</comment>\n")
                out.append("</comments>\n")
            else:
                return "unknown mode"
            out.append("</livejournal>\n")
            return "".join(out)


def _text(value: Any) -> str:
    if isinstance(value, xmlrpc.client.Binary):
        return value.data.decode("utf-8")
    return "" if value is None else str(value)


def _eventtime(req: dict[str, Any]) -> str:
    year, mon, day, hour, minute = (
        int(_text(req[k])) for k in ("year", "mon", "day", "hour", "min")
    )
    return f"{year:04d}-{mon:02d}-{day:02d} {hour:02d}:{minute:02d}:00"


def _tags(taglist: str) -> list[str]:
    seen: list[str] = []
    for tag in taglist.split(","):
        tag = tag.strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _mysql(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status: int, body: bytes, content_type: str = "text/xml") -> None:
        head = (
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("ascii")
        self.wfile.write(head + body)  # one write: no Nagle wait between head and body

    def do_POST(self) -> None:
        dw = self.server.dw
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if urlsplit(self.path).path != "/interface/xmlrpc":
            self._send(404, b"not found", "text/plain")
            return
        try:
            args, method = xmlrpc.client.loads(body, use_builtin_types=False)
        except Exception:
            self._send(400, b"bad request", "text/plain")
            return
        name = (method or "").removeprefix("LJ.XMLRPC.")
        with dw.lock:
            dw.requests[name] += 1
            queue = dw.failures.get(name) or []
            failure = queue[0] if queue else None
            if failure is not None and failure.after > 0:
                failure.after -= 1
                failure = None
            elif failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    queue.pop(0)
        with dw.lock:
            stalls = dw.stalls.get(name) or []
            stall = stalls.pop(0) if stalls else 0.0
        if stall:
            time.sleep(stall)
        if failure is not None and failure.status is not None:
            self._send(failure.status, b"<html>Service Unavailable</html>", "text/html")
            return
        try:
            if failure is not None and failure.fault is not None:
                raise Fault(failure.fault)
            result = dw.dispatch(method or "", args)
            reply = xmlrpc.client.dumps((perl_typed(result),), methodresponse=True)
        except Fault as fault:
            reply = xmlrpc.client.dumps(xmlrpc.client.Fault(fault.code, str(fault)))
        with dw.lock:
            crash = dw.crashes[name] > 0
            if crash:
                dw.crashes[name] -= 1
        if crash:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(200, reply.encode("utf-8"))

    def do_GET(self) -> None:
        dw = self.server.dw
        parts = urlsplit(self.path)
        if parts.path == "/export_comments.bml":
            with dw.lock:
                dw.requests["export_comments"] += 1
            cookies = dict(
                c.strip().split("=", 1) for c in (self.headers.get("Cookie") or "").split(";")
                if "=" in c
            )  # fmt: skip
            text = dw.export_comments(cookies.get("ljsession", ""), parse_qs(parts.query))
            if text is None:  # not signed in: the site's login page
                self._send(200, b"<html><body>Please log in.</body></html>", "text/html")
                return
            self._send(200, text.encode("utf-8"), "text/xml; charset=utf-8")
            return
        match = re.fullmatch(r"/userpic/(\d+)/(\d+)", parts.path)
        if match:
            with dw.lock:
                dw.requests["userpic"] += 1
                user = next((u for u in dw.users.values() if u.userid == int(match[2])), None)
                data = user.userpics.get(int(match[1])) if user else None
            if data is not None:
                self._send(200, data, "image/png")
                return
        self._send(404, b"not found", "text/plain")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    dw: DreamwidthServer


@contextmanager
def serving(dw: DreamwidthServer | None = None) -> Iterator[DreamwidthServer]:
    """Serve `dw` (a new one by default) on 127.0.0.1 at a free port; `dw.base_url` says where."""
    dw = dw or DreamwidthServer()
    httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
    httpd.dw = dw
    dw.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.05,), name="dreamwidth server", daemon=True
    )
    thread.start()
    try:
        yield dw
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


KEY = "0123456789abcdef0123456789abcdef"  # an API key as Dreamwidth makes them (hex)


@contextmanager
def journal(username: str = "alice", **options: Any) -> Iterator[DreamwidthServer]:
    """A server with one user, `username`, signing in with KEY."""
    with serving(DreamwidthServer(**options)) as dw:
        dw.add_user(username, KEY, fullname=username.title())
        yield dw


def account_for(dw: DreamwidthServer, username: str = "alice") -> Account:
    """The crosspost account of `username` on this server (its `service` is the server)."""
    from crosspost.accounts import Account
    from crosspost.model import Platform

    return Account(f"dreamwidth:{username}", Platform.DREAMWIDTH, username, service=dw.base_url)


def open_client(
    dw: DreamwidthServer, username: str = "alice", key: str = KEY, sleeps: list[float] | None = None
) -> DreamwidthClient:
    """A DreamwidthClient on this server; its waits are recorded in `sleeps`, never slept."""
    from crosspost.platforms.base import RetryPolicy
    from crosspost.platforms.dreamwidth.client import DreamwidthClient

    waits = sleeps if sleeps is not None else []
    retry = RetryPolicy(sleep=waits.append, clock=dw.clock)
    return DreamwidthClient(account_for(dw, username), key, retry=retry)
