"""Bluesky's registry entry: everything the rest of crosspost may know about Bluesky.

Handles and DIDs: https://atproto.com/specs/handle, https://atproto.com/specs/did. App passwords:
https://blueskyweb.xyz/blog/8-28-2023-app-passwords. The client and converters load on first use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosspost.errors import AccountSpecError
from crosspost.identifiers import is_did, is_handle
from crosspost.model import Media, Platform, Post, PostRef, Visibility
from crosspost.platforms.bluesky.limits import CAPS, LIMITS
from crosspost.platforms.spec import (
    ClientRequest,
    CredentialRules,
    ExportFormat,
    PlatformSpec,
    WriteContext,
    upload_placeholder,
)

if TYPE_CHECKING:
    from crosspost.account_data import Collection, Entry
    from crosspost.platforms.base import Draft, PlatformClient
    from crosspost.platforms.bridging import BridgeRules
    from crosspost.platforms.export import Export

PROFILE_URL = "https://bsky.app/profile/"


def normalize_identity(value: str) -> str:
    value = value.removeprefix("@")
    if value.startswith("did:"):
        if is_did(value):
            return value
        raise AccountSpecError(
            f"{value!r} is not a valid DID (expected did:METHOD:ID, e.g. did:plc:abc123)"
        )
    if is_handle(value):
        return value.lower()
    raise AccountSpecError(
        f"{value!r} is not a valid Bluesky handle (expected a domain name such as "
        "alice.bsky.social) or DID"
    )


def _claims_mention(value: str) -> bool:
    return value.startswith("did:")


def _profile_url(value: str) -> str | None:
    return PROFILE_URL + value


def _open_client(request: ClientRequest) -> PlatformClient:
    from crosspost.platforms.bluesky.client import BlueskyClient

    return BlueskyClient(request.account, credentials=request.secrets, retry=request.retry)


def _to_post(native: Mapping[str, Any], account: str) -> Post:
    from crosspost.platforms.bluesky.read import to_post

    return to_post(native, account=account)


def _from_draft(draft: Draft, context: WriteContext) -> dict[str, Any]:
    from crosspost.platforms.bluesky.write import from_draft

    return from_draft(draft, context)


def _placeholder_blob(media: Media) -> dict[str, Any]:
    return {
        "$type": "blob",
        "ref": {"$link": upload_placeholder(media)},
        "mimeType": media.mime or "image/jpeg",
        "size": media.size or 0,
    }


def _password(raw: str) -> dict[str, str]:
    return {"app_password": raw}


def _post_ref_from_url(url: str) -> PostRef | None:
    from crosspost.platforms.bluesky.refs import ref_from_url

    return ref_from_url(url)


def _portable(kind: Collection, entries: Sequence[Entry]) -> Sequence[tuple[str, str]]:
    from crosspost.platforms.bluesky.portable import portable_files

    return portable_files(kind, entries)


def _marker_key(raw: Mapping[str, Any]) -> str | None:
    from crosspost.platforms.bluesky.marker import marker_key

    return marker_key(raw)


def _read_car(path: Path) -> Export:
    from crosspost.platforms.bluesky.export import read_export

    return read_export(path)


def _is_car_head(head: bytes) -> bool:
    from crosspost.platforms.bluesky.export import is_car_head

    return is_car_head(head)


# bluesky.export's CAR_EXPORT, its reader loaded on first use (tests/test_lazy_specs.py).
CAR_EXPORT = ExportFormat(
    kind="bluesky-car", label="a Bluesky repo.car", read=_read_car, matches_head=_is_car_head
)


def _bridges() -> BridgeRules:
    from crosspost.platforms.bluesky import bridges

    return bridges  # the module answers the protocol


SPEC = PlatformSpec(
    bridges=_bridges,
    platform=Platform.BLUESKY,
    display_name="Bluesky",
    limits=LIMITS,
    caps=CAPS,
    # Bluesky posts are all public.
    safe_visibility=frozenset({Visibility.PUBLIC}),
    backdating=True,  # createdAt is kept (shown as archived)
    arrival="Bluesky keeps the original dates; the Bluesky app shows such posts as archived "
    '("Archived from <date>": it cannot confirm a claimed date)',
    private_posts="no private posts: every Bluesky post is public",
    marker_is_link=False,  # a record field the app does not show
    credentials=CredentialRules(
        write=("app_password",),
        required=("app_password",),
        optional=("session",),  # a refreshable session, so scheduled runs do not log in each time
        prompts={
            "app_password": "App password (Bluesky: Settings > Privacy and security > "
            "App passwords)"
        },
        parse_plain=_password,
    ),
    identity_key="handle",
    identity_example="alice.bsky.social",
    normalize_identity=normalize_identity,
    claims_mention=_claims_mention,
    profile_url=_profile_url,
    open_client=_open_client,
    to_post=_to_post,
    from_draft=_from_draft,
    placeholder_upload=_placeholder_blob,
    marker_key=_marker_key,
    post_ref_from_url=_post_ref_from_url,
    exports=(CAR_EXPORT,),
    portable=_portable,
)
