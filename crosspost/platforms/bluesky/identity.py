"""Where an account lives: handle -> DID -> DID document -> PDS, as the network resolves it.

https://atproto.com/specs/handle#handle-resolution and https://atproto.com/specs/did
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from crosspost.accounts import Account
from crosspost.errors import PlatformError

PLC_DIRECTORY = "https://plc.directory"
Fetch = Callable[[str, Mapping[str, str]], Any]  # GET url with params -> parsed JSON


@dataclass(frozen=True, slots=True)
class Identity:
    did: str
    pds: str


def pds_from_did_doc(doc: Mapping[str, Any]) -> str | None:
    """The `#atproto_pds` service endpoint of a DID document (did:plc or did:web)."""
    did = str(doc.get("id", ""))
    for service in doc.get("service") or ():
        if not isinstance(service, Mapping):
            continue
        ident = str(service.get("id", ""))
        if ident not in ("#atproto_pds", f"{did}#atproto_pds"):
            continue
        endpoint = service.get("serviceEndpoint")
        if service.get("type") == "AtprotoPersonalDataServer" and isinstance(endpoint, str):
            return endpoint.rstrip("/")
    return None


def did_doc_url(did: str, plc: str = PLC_DIRECTORY) -> str:
    """Where a DID's document is published (https://atproto.com/specs/did#blessed-did-methods)."""
    if did.startswith("did:plc:"):
        return f"{plc.rstrip('/')}/{did}"
    if did.startswith("did:web:"):
        host = did.removeprefix("did:web:").replace("%3A", ":")
        return f"https://{host}/.well-known/did.json"
    raise PlatformError(f"{did}: only did:plc and did:web identities are supported")


def http_fetch(timeout: float = 10.0) -> Fetch:
    def fetch(url: str, params: Mapping[str, str]) -> Any:
        try:
            response = httpx.get(url, params=dict(params), timeout=timeout, follow_redirects=True)
        except httpx.HTTPError as error:
            raise PlatformError(f"cannot reach {url}: {type(error).__name__}") from None
        if response.status_code != 200:
            raise PlatformError(f"{url} answered {response.status_code}")
        return response.json()

    return fetch


def resolve_identity(
    account: Account,
    *,
    fetch: Fetch | None = None,
    resolve_handle: Callable[[str], str | None] | None = None,
    plc: str = PLC_DIRECTORY,
) -> Identity:
    """The account's DID and PDS. `account.service` wins (a self-hosted or local PDS): the handle
    is resolved by that server. Otherwise the handle resolves through DNS or HTTPS (the atproto
    SDK's resolver) and the DID document names the PDS."""
    get = fetch or http_fetch()
    if account.service:
        base = account.service.rstrip("/")
        did = (
            account.identity
            if account.identity.startswith("did:")
            else _resolve_on(get, base, account.identity)
        )
        return Identity(did, base)
    did = (
        account.identity
        if account.identity.startswith("did:")
        else _resolve_handle(account.identity, resolve_handle)
    )
    doc = get(did_doc_url(did, plc), {})
    pds = pds_from_did_doc(doc) if isinstance(doc, Mapping) else None
    if pds is None:
        raise PlatformError(f"the DID document of {did} names no PDS")
    return Identity(did, pds)


def _resolve_on(get: Fetch, base: str, handle: str) -> str:
    data = get(f"{base}/xrpc/com.atproto.identity.resolveHandle", {"handle": handle})
    did = data.get("did") if isinstance(data, Mapping) else None
    if not isinstance(did, str):
        raise PlatformError(f"{base} could not resolve the handle {handle}")
    return did


def _resolve_handle(handle: str, resolver: Callable[[str], str | None] | None) -> str:
    if resolver is None:
        from atproto_identity.handle.resolver import HandleResolver

        resolver = HandleResolver(timeout=10).resolve
    did = resolver(handle)
    if not did:
        raise PlatformError(
            f"the handle {handle} does not resolve to a DID (asked DNS for _atproto.{handle} "
            f"and https://{handle}/.well-known/atproto-did): check the spelling and the "
            "network connection, or give the account's DID or its PDS as `service`"
        )
    return did
