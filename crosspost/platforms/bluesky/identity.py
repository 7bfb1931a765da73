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
from crosspost.platforms.bluesky.xrpc import GAVE_UP, TRANSIENT_STATUSES
from crosspost.platforms.retry import (
    Fatal,
    Ok,
    RateLimited,
    RetryPolicy,
    Transient,
    Verdict,
    call_with_retry,
)

PLC_DIRECTORY = "https://plc.directory"
Fetch = Callable[[str, Mapping[str, str]], Any]  # GET url with params -> parsed JSON


@dataclass(frozen=True, slots=True)
class Identity:
    did: str
    pds: str


def pds_of_document(doc: Mapping[str, Any]) -> str | None:
    """The `#atproto_pds` endpoint a DID document names (did:plc or did:web), read by the atproto
    SDK's DID document model; None when it names none (a feed generator's document)."""
    from atproto_core.did_doc import DidDocument

    endpoint = DidDocument.from_dict(dict(doc)).get_pds_endpoint()
    return str(endpoint).rstrip("/") if endpoint else None


def resolve_pds(did: str, plc: str = PLC_DIRECTORY, timeout: float = 10.0) -> str | None:
    """The PDS of a DID, through the atproto SDK's resolver (https://atproto.com/specs/did:
    did:plc from the PLC directory, did:web from its host's /.well-known/did.json)."""
    from atproto_identity.did.resolver import DidResolver
    from atproto_identity.exceptions import (
        AtProtocolError,
        PoorlyFormattedDidError,
        UnsupportedDidMethodError,
    )

    try:
        doc = DidResolver(plc_url=plc.rstrip("/"), timeout=timeout).resolve(did)
    except (PoorlyFormattedDidError, UnsupportedDidMethodError):
        raise PlatformError(f"{did}: only did:plc and did:web identities are supported") from None
    except AtProtocolError as error:
        cause = error.__cause__ or error
        raise PlatformError(
            f"cannot read the DID document of {did} ({type(cause).__name__}); check the network "
            "connection, or give the account's PDS as `service`"
        ) from None
    if doc is None:
        raise PlatformError(f"{did} has no DID document: check the DID")
    endpoint = doc.get_pds_endpoint()
    return str(endpoint).rstrip("/") if endpoint else None


def http_fetch(timeout: float = 10.0, retry: RetryPolicy | None = None) -> Fetch:
    """GET and parse JSON, within the shared retry policy: a 5xx or a dropped connection is
    tried again, a 429 waited out (a run must not stop on a gateway's hiccup at sign-in)."""
    policy = retry or RetryPolicy()

    def fetch(url: str, params: Mapping[str, str]) -> Any:
        def get() -> httpx.Response:
            return httpx.get(url, params=dict(params), timeout=timeout, follow_redirects=True)

        def classify(outcome: httpx.Response | Exception) -> Verdict[Any]:
            if isinstance(outcome, httpx.TransportError):
                return Transient(f"the connection failed ({type(outcome).__name__})", GAVE_UP)
            if isinstance(outcome, Exception):
                return Fatal(PlatformError(f"cannot reach {url}: {type(outcome).__name__}"))
            if outcome.status_code == 429:
                after = outcome.headers.get("Retry-After", "")
                return RateLimited(float(after) if after.isdigit() else None)
            if outcome.status_code in TRANSIENT_STATUSES:
                return Transient(f"the server answered {outcome.status_code}", GAVE_UP)
            if outcome.status_code != 200:
                return Fatal(PlatformError(f"{url} answered {outcome.status_code}"))
            return Ok(outcome.json())

        return call_with_retry(get, classify, policy, what=f"read {url}", repeatable=True)

    return fetch


def resolve_identity(
    account: Account,
    *,
    fetch: Fetch | None = None,
    resolve_handle: Callable[[str], str | None] | None = None,
    pds_of: Callable[[str], str | None] | None = None,
    retry: RetryPolicy | None = None,
) -> Identity:
    """The account's DID and PDS. `account.service` wins (a self-hosted or local PDS): the handle
    is resolved by that server. Otherwise the handle resolves through DNS or HTTPS and the DID
    document names the PDS (both with the atproto SDK's resolvers)."""
    get = fetch or http_fetch(retry=retry)
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
    pds = (pds_of or resolve_pds)(did)
    if pds is None:
        raise PlatformError(f"the DID document of {did} names no PDS")
    return Identity(did, pds)


def _resolve_on(get: Fetch, base: str, handle: str) -> str:
    try:
        data = get(f"{base}/xrpc/com.atproto.identity.resolveHandle", {"handle": handle})
    except PlatformError as error:
        if "answered 400" not in str(error):
            raise
        raise PlatformError(
            f"{base} does not know the handle {handle} (asked com.atproto.identity."
            "resolveHandle): check the spelling, and that the account lives on this PDS "
            "(`service` in the config)"
        ) from None
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
