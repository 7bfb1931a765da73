"""Fediverse accounts seen from Bluesky, and Mastodon's answer to "is this account here?".

Bridgy Fed (https://fed.brid.gy/docs#bluesky-get-started and ids.py `translate_handle`, with its
tests/test_ids.py, of github.com/snarfed/bridgy-fed at d505297f) shows a fediverse account
`@user@instance` that opted in to the bridge in Bluesky as `user.instance.ap.brid.gy`, its `_`,
`~` and `:` written as `-` (`@a_b~c@my.social` is `a-b-c.my.social.ap.brid.gy`); accounts of the
few instances that serve Bluesky handles themselves (`ATPROTO_HANDLE_DOMAINS`) get
`user.instance`. A handle that would not be a valid Bluesky handle is not bridged. An account on
`bsky.brid.gy` is itself a Bluesky account's copy: `@alice.bsky.social@bsky.brid.gy` is
`alice.bsky.social` on Bluesky; one on another `*.brid.gy` domain (a web site, ...) is bridged
into Bluesky as `[name].[abbrev].brid.gy`.

The import file is `following_accounts.csv` as Mastodon's importer takes it (portable.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from crosspost.account_data import Collection, Entry, Person
from crosspost.accounts import Account
from crosspost.errors import PlatformError
from crosspost.identifiers import is_handle
from crosspost.platforms.bridging import Route, Server, Where
from crosspost.platforms.mastodon.portable import portable_files

PROTOCOL = "activitypub"
SUPERDOMAIN = ".brid.gy"
BLUESKY_BRIDGE = "bsky" + SUPERDOMAIN  # where Bridgy Fed serves Bluesky accounts
BRIDGED_IN_SUFFIX = ".ap" + SUPERDOMAIN
DASH_CHARS = ("_", "~", ":")  # Bridgy Fed's ids.DASH_CHARS
# Bridgy Fed's ids.ATPROTO_HANDLE_DOMAINS (d505297f): their users' Bluesky handles are
# `user.instance`, without the .ap.brid.gy suffix.
ATPROTO_HANDLE_DOMAINS = (
    "bandwagon.fm",
    "beeping.synth.download",
    "booping.synth.download",
    "explore.alt.store",
    "faithtree.social",
    "merping.synth.download",
    "mo-me.social",
    "music-social.com",
    "tags.pub",
    "wetdry.world",
    "xemele.social",
)
TIMEOUT = 10.0


def acct_of(person: Person) -> str:
    """The account address (user@instance) Mastodon names the account by, "" without one."""
    acct = person.handle.strip().lstrip("@")
    return acct if acct.count("@") == 1 and all(acct.split("@")) else ""


def where_from(person: Person, protocol: str) -> Where:
    """Where a fediverse account someone follows can be followed from a network speaking
    `protocol` ("activitypub": any fediverse server; "atproto": Bluesky)."""
    acct = acct_of(person)
    if protocol == PROTOCOL:
        if not acct:
            return Where(Route.NONE, note="the backup names no account address (user@instance)")
        return Where(Route.SAME, acct)
    if protocol != "atproto":
        return Where(Route.NONE, note="no bridge between the fediverse and that network")
    if not acct:
        return Where(Route.NONE, note="the backup names no account address (user@instance)")
    user, domain = acct.lower().split("@")
    if domain == BLUESKY_BRIDGE:
        return Where(Route.ORIGINAL, user, user, "a Bluesky account bridged by Bridgy Fed")
    if domain.endswith(SUPERDOMAIN):  # a web site or another network bridged by Bridgy Fed
        handle = f"{user}.{domain}"
        return Where(Route.BRIDGE, handle, handle, "bridged into Bluesky by Bridgy Fed too")
    bridged = bluesky_handle(user, domain)
    if bridged is None:
        return Where(
            Route.NONE,
            note=f"Bridgy Fed cannot bridge {acct}: it would not be a valid Bluesky handle",
        )
    return Where(Route.BRIDGE, bridged, bridged, "if the account opted in to Bridgy Fed")


def bluesky_handle(user: str, domain: str) -> str | None:
    """Bridgy Fed's Bluesky handle for `@user@domain` (ids.translate_handle), None where it
    would not be a valid handle (a name that ends in `_`, say)."""
    flattened = f"{user}.{domain}"
    for char in DASH_CHARS:
        flattened = flattened.replace(char, "-")
    if not any(domain == d or domain.endswith("." + d) for d in ATPROTO_HANDLE_DOMAINS):
        flattened += BRIDGED_IN_SUFFIX
    return flattened if is_handle(flattened) else None


def import_files(addresses: Sequence[str]) -> Sequence[tuple[str, str]]:
    """`following_accounts.csv` listing `addresses`, as Mastodon's importer takes it."""
    entries = [Entry(a, person=Person(a, a)) for a in addresses if a]
    return portable_files(Collection.FOLLOWING, entries)


def server_of(account: Account) -> str:
    """The account's server: its `service`, else the instance its address names."""
    if account.service:
        return account.service.rstrip("/")
    return f"https://{account.identity.rpartition('@')[2]}"


def token_of(fields: Mapping[str, str]) -> str | None:
    return fields.get("access_token") or None


def lookup(server: Server, key: str) -> str | None:
    """The account address `key` (an address, or an actor URL) has on `server`, found by
    /api/v2/search with resolve=true (which fetches remote accounts by WebFinger); None when the
    server finds none. PlatformError when it cannot be asked."""
    headers = {"Authorization": f"Bearer {server.token}"} if server.token else {}
    params = {"q": key, "resolve": "true", "type": "accounts", "limit": "5"}
    url = f"{server.url.rstrip('/')}/api/v2/search"
    try:
        answer = httpx.get(url, params=params, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise PlatformError(f"cannot reach {server.url} ({type(error).__name__})") from None
    if answer.status_code in (401, 403):
        raise PlatformError(
            f"{server.url} looks accounts up for a signed-in account only: give --check a "
            "Mastodon account of yours (`crosspost login` it first)"
        )
    if answer.status_code == 429:
        raise PlatformError(f"{server.url} asks to slow down (429)")
    if answer.status_code != 200:
        raise PlatformError(f"{server.url} answered {answer.status_code} to a search")
    body: Any = answer.json()
    accounts = body.get("accounts") if isinstance(body, Mapping) else None
    wanted = key.lstrip("@").lower()
    for account in accounts if isinstance(accounts, list) else ():
        if not isinstance(account, Mapping):
            continue
        acct = str(account.get("acct") or "")
        ids = {str(account.get("uri") or ""), str(account.get("url") or "")}
        if acct.lower() == wanted or key in ids:
            return acct if "@" in acct else _with_host(acct, server.url)
    return None


def _with_host(acct: str, url: str) -> str:
    """A local account's bare `acct` as a full address, the server's host added."""
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return f"{acct}@{host}"
