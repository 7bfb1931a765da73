"""Bluesky accounts seen from the fediverse, and Bluesky's answer to "is this account here?".

Bridgy Fed (https://fed.brid.gy/docs#fediverse-get-started, ids.py `translate_handle` and
`translate_user_id`, tests/test_ids.py of github.com/snarfed/bridgy-fed) shows a Bluesky account
that opted in to the bridge in the fediverse as `@[handle]@bsky.brid.gy` (snarfed.bsky.social is
`@snarfed.bsky.social@bsky.brid.gy`), its ActivityPub actor being
`https://bsky.brid.gy/ap/[DID]`. A fediverse account bridged into Bluesky has a handle ending in
`.ap.brid.gy`: its own address cannot be read back from it (Bridgy Fed writes both the `@` and
the dots of `user@instance` as dots, and `_`, `~` as `-`; its own tests leave that reverse
translation as a TODO), so it is named as such, never guessed.

Bluesky has no import file for follows: the list is `following_dids.txt` (portable.py), with
the accounts known only by handle in `following_handles.txt`. A follow is a record
(app.bsky.graph.follow) made one by one; crosspost does not make them (see the README).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from crosspost.account_data import Collection, Entry, Person
from crosspost.accounts import Account
from crosspost.errors import PlatformError
from crosspost.platforms.bluesky.portable import portable_files
from crosspost.platforms.bridging import Route, Server, Where

PROTOCOL = "atproto"
FEDIVERSE_DOMAIN = "bsky.brid.gy"  # Bridgy Fed's fediverse server for Bluesky accounts
ACTOR_PREFIX = f"https://{FEDIVERSE_DOMAIN}/ap/"
BRIDGED_IN_SUFFIX = ".ap.brid.gy"  # the handles of fediverse accounts bridged into Bluesky
# Where handles resolve without an account of one's own (the public App View).
PUBLIC_SERVER = "https://public.api.bsky.app"
TIMEOUT = 10.0


def where_from(person: Person, protocol: str) -> Where:
    """Where a Bluesky account someone follows can be followed from a network speaking
    `protocol` ("atproto": Bluesky itself; "activitypub": the fediverse)."""
    did = person.id if person.id.startswith("did:") else ""
    handle = person.handle.lstrip("@").lower()
    if protocol == PROTOCOL:
        return Where(Route.SAME, did or handle)
    if protocol != "activitypub":
        return Where(Route.NONE, note="no bridge between Bluesky and that network")
    if handle.endswith(BRIDGED_IN_SUFFIX):
        return Where(
            Route.ORIGINAL,
            note="a fediverse account bridged into Bluesky by Bridgy Fed; its own address "
            "cannot be told from the handle: see its profile",
        )
    address = f"{handle}@{FEDIVERSE_DOMAIN}" if handle else ""
    # Without a handle, the bridge's actor URL, which a Mastodon search resolves as well.
    lookup = address or (f"{ACTOR_PREFIX}{did}" if did else "")
    note = "if the account opted in to Bridgy Fed"
    if not handle:
        note += f"; its handle is not in the backup: search for {lookup} to find it"
    return Where(Route.BRIDGE, address, lookup, note)


def import_files(addresses: Sequence[str]) -> Sequence[tuple[str, str]]:
    """The accounts to follow on Bluesky: DIDs in `following_dids.txt` (as a backup's own
    portable file), the ones known only by handle in `following_handles.txt`."""
    dids = [a for a in addresses if a.startswith("did:")]
    handles = list(dict.fromkeys(a for a in addresses if a and not a.startswith("did:")))
    entries = [Entry(did, person=Person(did)) for did in dids]
    files = list(portable_files(Collection.FOLLOWING, entries))
    if handles:
        files.append(("following_handles.txt", "".join(f"{h}\n" for h in handles)))
    return files


def server_of(account: Account) -> str:
    """Where to resolve handles for `account`: its own server, else the public App View."""
    return (account.service or PUBLIC_SERVER).rstrip("/")


def token_of(fields: Mapping[str, str]) -> str | None:
    return None  # resolving a handle needs no session


def lookup(server: Server, key: str) -> str | None:
    """The DID a handle resolves to on `server` (com.atproto.identity.resolveHandle), None when
    it does not resolve there; PlatformError when the server cannot be asked."""
    url = f"{server.url.rstrip('/')}/xrpc/com.atproto.identity.resolveHandle"
    try:
        answer = httpx.get(url, params={"handle": key}, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise PlatformError(f"cannot reach {server.url} ({type(error).__name__})") from None
    if answer.status_code == 400:  # "Unable to resolve handle"
        return None
    if answer.status_code == 429:
        raise PlatformError(f"{server.url} asks to slow down (429)")
    if answer.status_code != 200:
        raise PlatformError(f"{server.url} answered {answer.status_code} to resolveHandle")
    did = (
        answer.json().get("did")
        if answer.headers.get("content-type", "").startswith("application/json")
        else None
    )
    return did if isinstance(did, str) and did.startswith("did:") else None
