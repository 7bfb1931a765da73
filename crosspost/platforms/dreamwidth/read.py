"""Dreamwidth entries (as `getevents` returns them, decoded by the protocol layer) -> Post.

Protocol: cgi-bin/LJ/Protocol.pm (`getevents`), props: bin/upgrading/proplists.dat.

- `ref.id` is `ditemid` (itemid * 256 + anum): the number in the entry's URL, what a reader
  sees and links; itemid and anum both follow from it (itemid = ditemid // 256).
- `created_at`: `logtime` (when the server stored the entry, in the servers' UTC) is the true
  instant; `eventtime` is the author's wall-clock time in a zone the protocol never says. A
  backdated entry (`opt_backdated`) is dated by its `eventtime` (its logtime is only when it was
  uploaded), read as UTC, as is an entry without logtime: off by the author's UTC offset at
  most, and `raw` keeps both.
- Tags come back lower-cased in `taglist` ("a, b"); they are kept as given.
- `adult_content` ("concepts": discretion advised, "explicit": 18+; a community maintainer's
  `adult_content_maintainer` overrides) makes the post sensitive, its reason the warning.
- Mood, music and location become Unsupported notes (readable text the archive shows).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from crosspost.errors import DataError
from crosspost.model import Platform, Post, PostRef, RichText, Unsupported, Visibility
from crosspost.platforms.dreamwidth.marker import origin_of
from crosspost.platforms.dreamwidth.richtext_read import Body, body_format, read_body

CW_FOLD_PREFIX = "Content warning: "
_ADULT = {"concepts": "adult content: viewer discretion advised", "explicit": "adult content: 18+"}
_NOTES = (
    ("current_mood", "mood", "Mood"),
    ("current_music", "music", "Music"),
    ("current_location", "location", "Location"),
)


def to_post(native: Mapping[str, Any], account: str) -> Post:
    """A Post from one decoded `getevents` entry; raises DataError when it cannot be read."""
    if not isinstance(native, Mapping):
        raise DataError("a Dreamwidth entry must be a mapping")
    props = native.get("props")
    props = props if isinstance(props, Mapping) else {}
    event = _text(native.get("event"))
    logtime = _text(native.get("logtime")) or None
    body = read_body(event, body_format(props, logtime, event))
    warning, text = _fold_warning(body)
    adult, reason = _adult(props)
    return Post(
        ref=PostRef(Platform.DREAMWIDTH, account, entry_id(native), _url(native)),
        created_at=created_at(native, props),
        edited_at=_revtime(props),
        title=_text(native.get("subject")),
        text=text,
        media=tuple(body.media),
        tags=tags_of(props),
        visibility=visibility_of(native),
        content_warning=warning or reason or _ADULT.get(adult, ""),
        sensitive=adult in _ADULT,
        origin=origin_of(native),
        unsupported=tuple(_unsupported(body, props)),
        raw=dict(native),
    )


def _text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return value if isinstance(value, str) else str(value)


def entry_id(native: Mapping[str, Any]) -> str:
    ditemid, itemid, anum = native.get("ditemid"), native.get("itemid"), native.get("anum")
    if isinstance(ditemid, int) and not isinstance(ditemid, bool):
        return str(ditemid)
    if isinstance(itemid, int) and isinstance(anum, int):
        return str(itemid * 256 + anum)
    raise DataError("a Dreamwidth entry without ditemid (or itemid and anum) cannot be read")


def _url(native: Mapping[str, Any]) -> str | None:
    url = native.get("url")
    return url if isinstance(url, str) and url else None


def _parse(value: str) -> datetime | None:
    for shape in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value.strip(), shape).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def created_at(native: Mapping[str, Any], props: Mapping[str, Any]) -> datetime:
    logtime = _parse(_text(native.get("logtime")))
    eventtime = _parse(_text(native.get("eventtime")))
    backdated = _text(props.get("opt_backdated")) not in ("", "0")
    chosen = (eventtime or logtime) if backdated else (logtime or eventtime)
    if chosen is None:
        raise DataError(f"Dreamwidth entry {entry_id(native)} has neither logtime nor eventtime")
    return chosen


def _revtime(props: Mapping[str, Any]) -> datetime | None:
    value = _text(props.get("revtime"))
    return datetime.fromtimestamp(int(value), UTC) if value.isdigit() and int(value) else None


def tags_of(props: Mapping[str, Any]) -> tuple[str, ...]:
    tags = [tag.strip() for tag in _text(props.get("taglist")).split(",")]
    return tuple(dict.fromkeys(tag for tag in tags if tag))


def visibility_of(native: Mapping[str, Any]) -> Visibility:
    """Public without `security`; "usemask" (access list or a custom filter) reads as
    followers-only, never wider; "private" and anything unknown as the author's only."""
    security = _text(native.get("security"))
    if security in ("", "public"):
        return Visibility.PUBLIC
    if security == "usemask":
        return Visibility.FOLLOWERS
    return Visibility.PRIVATE


def _adult(props: Mapping[str, Any]) -> tuple[str, str]:
    level = _text(props.get("adult_content_maintainer")) or _text(props.get("adult_content"))
    reason = _text(props.get("adult_content_maintainer_reason")) or _text(
        props.get("adult_content_reason")
    )
    return level.strip().lower(), reason.strip() if level.strip().lower() in _ADULT else ""


def _fold_warning(body: Body) -> tuple[str, RichText]:
    """A body that opens with a fold labelled "Content warning: ..." (what `write.py` makes
    of a warning) has that warning."""
    if body.folds and body.folds[0].at == 0 and body.folds[0].label.startswith(CW_FOLD_PREFIX):
        return body.folds[0].label.removeprefix(CW_FOLD_PREFIX).strip(), body.text
    return "", body.text


def _unsupported(body: Body, props: Mapping[str, Any]) -> list[Unsupported]:
    found = list(body.unsupported)
    folds = [f for f in body.folds if not (f.at == 0 and f.label.startswith(CW_FOLD_PREFIX))]
    if folds:
        found.append(
            Unsupported(
                "read_more",
                "the cut (read-more fold) has no equivalent on other platforms; the whole "
                "entry is kept",
            )
        )
    for prop, kind, label in _NOTES:
        value = _text(props.get(prop)).strip()
        if value:
            found.append(
                Unsupported(
                    kind, f"Dreamwidth's {kind} has no equivalent elsewhere", f"{label}: {value}"
                )
            )
    if _text(props.get("opt_nocomments")) not in ("", "0"):
        found.append(Unsupported("comments", "comments were turned off on this entry"))
    return found
