"""Dreamwidth's registry entry: everything the rest of crosspost may know about Dreamwidth.

Journals are named by username: 1-25 of a-z, 0-9 and `_`, a hyphen read as `_`
(`LJ::canonical_username`), shown at https://USER.dreamwidth.org/ with `_` as `-`. The secret is
an API key from https://www.dreamwidth.org/manage/settings/?cat=mobile. The client and
converters load on first use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crosspost.accounts import Account
from crosspost.errors import AccountSpecError, CredentialsError
from crosspost.model import Media, Platform, Post, Visibility
from crosspost.platforms.dreamwidth.limits import CAPS, LIMITS
from crosspost.platforms.dreamwidth.profiles import claims_mention, journal_profile
from crosspost.platforms.spec import (
    ClientRequest,
    CredentialRules,
    PlatformSpec,
    Prompter,
    WriteContext,
)

if TYPE_CHECKING:
    from crosspost.platforms.base import Draft, PlatformClient
    from crosspost.platforms.bridging import BridgeRules

_USER_RE = re.compile(r"^[a-z0-9_]{1,25}$")
_HOST_SUFFIX = ".dreamwidth.org"
_API_KEYS = "https://www.dreamwidth.org/manage/settings/?cat=mobile"


def normalize_identity(value: str) -> str:
    text = value.strip().lower()
    host = urlsplit(text).hostname if "//" in text else None
    if host is not None:
        text = host
    text = text.removeprefix("~").removesuffix(_HOST_SUFFIX).replace("-", "_")
    if _USER_RE.match(text):
        return text
    raise AccountSpecError(
        f"{value!r} is not a Dreamwidth journal (expected a username such as alice, "
        "alice.dreamwidth.org or https://alice.dreamwidth.org/)"
    )


def _open_client(request: ClientRequest) -> PlatformClient:
    from crosspost.platforms.dreamwidth.client import DreamwidthClient

    key = request.credentials.get("api_key") if request.credentials else None
    if not key:
        raise CredentialsError(
            f"reading Dreamwidth needs an API key (make one at {_API_KEYS}): run `crosspost "
            f"login {request.account.name}` or set {request.account.secret_env}"
        )
    client: PlatformClient = DreamwidthClient(request.account, key, retry=request.retry)
    return client


def _no_upload(media: Media) -> None:
    return None  # entries show media by its URL: nothing is uploaded (limits.py)


def _to_post(native: Mapping[str, Any], account: str) -> Post:
    from crosspost.platforms.dreamwidth.read import to_post

    return to_post(native, account=account)


def _from_draft(draft: Draft, context: WriteContext) -> dict[str, Any]:
    from crosspost.platforms.dreamwidth.write import from_draft

    return from_draft(draft, context)


def _marker_key(native: Mapping[str, Any]) -> str | None:
    from crosspost.platforms.dreamwidth.marker import marker_key

    return marker_key(native)


def _api_key(raw: str) -> dict[str, str]:
    from crosspost.platforms.dreamwidth.login import credential_fields

    return credential_fields(raw)


def _login(account: Account, prompter: Prompter) -> dict[str, str]:
    from crosspost.platforms.dreamwidth.login import login

    return login(account, prompter)


def _bridges() -> BridgeRules:
    from crosspost.platforms.dreamwidth import bridges

    return bridges.RULES


SPEC = PlatformSpec(
    bridges=_bridges,
    platform=Platform.DREAMWIDTH,
    display_name="Dreamwidth",
    limits=LIMITS,
    caps=CAPS,
    # Public, access-locked (usemask, allowmask 1) and private entries; an unlisted or direct
    # post becomes access-locked or private, never wider.
    safe_visibility=frozenset({Visibility.PUBLIC, Visibility.FOLLOWERS, Visibility.PRIVATE}),
    backdating=True,  # postevent takes any date from 1970 to 2037; opt_backdated
    arrival="Dreamwidth keeps the original dates, and entries marked backdated stay off your "
    "readers' reading pages: a migration does not flood them",
    private_posts="private entries: only you see them",
    marker_is_link=False,  # the marker is the import_source prop, not shown in the entry
    credentials=CredentialRules(
        write=("api_key",),
        required=("api_key",),
        optional=(),
        prompts={"api_key": f"API key (make one at {_API_KEYS}; not your password)"},
        parse_plain=_api_key,
    ),
    identity_key="journal",
    identity_example="alice",
    normalize_identity=normalize_identity,
    claims_mention=claims_mention,  # Dreamwidth's and other journal sites' profiles
    profile_url=journal_profile,
    open_client=_open_client,
    to_post=_to_post,
    from_draft=_from_draft,
    placeholder_upload=_no_upload,
    marker_key=_marker_key,
    login=_login,
)
