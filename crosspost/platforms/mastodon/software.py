"""Which server software answers the Mastodon API, from its nodeinfo, and what each one accepts.

https://nodeinfo.diaspora.software/protocol.html: `/.well-known/nodeinfo` links the 2.x
documents, whose `software.name` names the server (mastodon, gotosocial, pixelfed, ...).
- GoToSocial 0.18 and later keep a post's date: a `scheduled_at` in the past creates a quiet
  backdated status (no push to followers, no timelines, no notifications), which may mention no
  one else and reply to no one else (docs/user_guide/importing_posts.md, and
  internal/processing/status/create.go in superseriousbusiness/gotosocial).
- Pixelfed's POST /api/v1/statuses (ApiV1Controller::statusCreate in pixelfed/pixelfed)
  refuses a status with neither media nor a parent ("Empty statuses are not allowed"), knows
  no direct visibility, keeps a content warning only on a sensitive status and of at most 140
  characters, takes alt text of up to 1000 (`max_altext_length`), which its instance answer
  does not say, and counts a status's characters as code points (URLs whole).
Anything else, or a server whose nodeinfo cannot be read, is treated as Mastodon.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

NODEINFO_INDEX = "/.well-known/nodeinfo"
_SCHEMA = re.compile(r"^https?://nodeinfo\.diaspora\.software/ns/schema/(2\.\d+)$")
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")
GOTOSOCIAL_BACKDATES = (0, 18, 0)  # the first release with backdating


@dataclass(frozen=True, slots=True)
class ServerSoftware:
    """What a Mastodon-API server is and what it accepts beyond Mastodon's own rules."""

    name: str = "mastodon"  # nodeinfo's software.name, lower case
    version: str = ""
    backdates: bool = False  # a past `scheduled_at` keeps the original date
    needs_media: bool = False  # a status without media must reply to one
    direct: bool = True  # the `direct` visibility exists
    warning_needs_sensitive: bool = False  # a content warning is kept on sensitive ones only
    max_warning_chars: int | None = None
    max_alt_chars: int | None = None  # where the instance answer does not say
    counts_code_points: bool = False  # a URL counts whole, the content warning apart

    @property
    def display_name(self) -> str:
        return _DISPLAY.get(self.name, self.name)


MASTODON = ServerSoftware()
_DISPLAY = {"mastodon": "Mastodon", "gotosocial": "GoToSocial", "pixelfed": "Pixelfed"}


def software_of(name: str, version: str) -> ServerSoftware:
    """The rules of `name` (nodeinfo's software.name) at `version`."""
    name = name.strip().lower()
    if name == "gotosocial":
        return ServerSoftware(name, version, backdates=release(version) >= GOTOSOCIAL_BACKDATES)
    if name == "pixelfed":
        return ServerSoftware(
            name,
            version,
            needs_media=True,
            direct=False,
            warning_needs_sensitive=True,
            max_warning_chars=140,
            max_alt_chars=1000,
            counts_code_points=True,
        )
    return ServerSoftware(name or "mastodon", version)


def release(version: str) -> tuple[int, int, int]:
    """The release a version string names ("0.18.3+git-4f1a" is 0.18.3); (0, 0, 0): none."""
    found = _VERSION.match(version.strip())
    if found is None:
        return (0, 0, 0)
    major, minor, patch = found.groups()
    return (int(major), int(minor), int(patch or 0))


def nodeinfo_link(index: Any) -> str | None:
    """The newest 2.x document the well-known index links (its `href`), or None."""
    links = index.get("links") if isinstance(index, Mapping) else None
    best: tuple[tuple[int, ...], str] | None = None
    for link in links if isinstance(links, list) else ():
        if not isinstance(link, Mapping):
            continue
        schema = _SCHEMA.match(str(link.get("rel") or ""))
        href = link.get("href")
        if schema is None or not isinstance(href, str) or not href.startswith("http"):
            continue
        rank = tuple(int(part) for part in schema.group(1).split("."))
        if best is None or rank > best[0]:
            best = (rank, href)
    return best[1] if best else None


def software_from_nodeinfo(document: Any) -> ServerSoftware | None:
    """The software a nodeinfo document names, or None when it names none."""
    software = document.get("software") if isinstance(document, Mapping) else None
    if not isinstance(software, Mapping) or not isinstance(software.get("name"), str):
        return None
    if not software["name"].strip():
        return None
    return software_of(software["name"], str(software.get("version") or ""))


def fetch_software(
    session: requests.Session, base_url: str, *, timeout: float
) -> tuple[ServerSoftware, str | None]:
    """The server's software from its nodeinfo, and a note when it could not be told (then
    Mastodon's rules, which every Mastodon-API server takes at the least)."""
    try:
        index = _get_json(session, base_url.rstrip("/") + NODEINFO_INDEX, timeout)
        href = nodeinfo_link(index)
        if href is None:
            raise ValueError("it links no nodeinfo 2.x document")
        found = software_from_nodeinfo(_get_json(session, href, timeout))
        if found is None:
            raise ValueError("its nodeinfo names no software")
    except Exception as error:
        # Whatever stops the read (a refusal, an HTML page, a transport that cannot make the
        # request), Mastodon's rules hold: every Mastodon-API server takes them at the least.
        host = urlsplit(base_url).netloc or base_url
        return MASTODON, (
            f"{host}: could not tell the server software from its nodeinfo ({error}); "
            "posting as to Mastodon (dates as a line in the text)"
        )
    return found, None


def _get_json(session: requests.Session, url: str, timeout: float) -> Any:
    response = session.get(url, timeout=timeout, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise ValueError(f"{urlsplit(url).path} answered {response.status_code}")
    return response.json()  # a requests JSONDecodeError is a ValueError
