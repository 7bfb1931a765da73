"""Mastodon's registry entry: everything the rest of crosspost may know about Mastodon.

Accounts are `user@domain` (https://docs.joinmastodon.org/spec/webfinger/); access tokens come
from Preferences > Development (https://docs.joinmastodon.org/client/token/). The client and
converters load on first use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosspost.model import Limits, Platform, Post, Visibility
from crosspost.platforms.mastodon.identity import normalize_identity
from crosspost.platforms.mastodon.limits import CAPS, LIMITS
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


def _claims_mention(value: str) -> bool:
    """Mastodon mentions name a profile URL, on any of the fediverse's servers: every http(s)
    URL no more specific network claims (the registry asks Mastodon last)."""
    return value.startswith(("https://", "http://"))


def _open_client(request: ClientRequest) -> PlatformClient:
    from crosspost.platforms.mastodon.client import MastodonClient

    token = request.credentials["access_token"] if request.credentials else ""
    return MastodonClient(request.account, token, retry=request.retry)


def _to_post(native: Mapping[str, Any], account: str) -> Post:
    from crosspost.platforms.mastodon.read import to_post

    return to_post(native, account=account)


def _from_draft(draft: Draft, context: WriteContext) -> dict[str, Any]:
    from crosspost.platforms.mastodon.write import from_draft

    return from_draft(draft, context)


def _reserve_marker(limits: Limits) -> Limits:
    from crosspost.platforms.mastodon.instance import reserve_marker

    return reserve_marker(limits)


def _token(raw: str) -> dict[str, str]:
    return {"access_token": raw}


def _portable(kind: Collection, entries: Sequence[Entry]) -> Sequence[tuple[str, str]]:
    from crosspost.platforms.mastodon.portable import portable_files

    return portable_files(kind, entries)


def _read_archive(path: Path) -> Export:
    from crosspost.platforms.mastodon.export import read_export

    return read_export(path)


def _is_archive(names: list[str]) -> bool:
    from crosspost.platforms.mastodon.export import ARCHIVE_EXPORT

    assert ARCHIVE_EXPORT.matches_names is not None
    return ARCHIVE_EXPORT.matches_names(names)


# mastodon.export's ARCHIVE_EXPORT, its reader loaded on first use (tests/test_lazy_specs.py).
ARCHIVE_EXPORT = ExportFormat(
    kind="mastodon-archive",
    label="a Mastodon archive zip or tar.gz",
    read=_read_archive,
    matches_names=_is_archive,
    names_hint="outbox.json (Mastodon)",
)


def _bridges() -> BridgeRules:
    from crosspost.platforms.mastodon import bridges

    return bridges  # the module answers the protocol


SPEC = PlatformSpec(
    bridges=_bridges,
    platform=Platform.MASTODON,
    display_name="Mastodon",
    limits=LIMITS,
    caps=CAPS,
    safe_visibility=frozenset(Visibility),  # public, unlisted, followers-only and direct
    backdating=False,  # a status always has the time it was posted
    arrival="Mastodon cannot backdate: every post arrives as new, in your followers' home "
    "feeds, with a line saying when it first appeared",
    private_posts="direct posts: only you, and anyone a post mentions (who is notified), see "
    "them, and Mastodon cannot widen them later",
    marker_is_link=True,  # "Crossposted from URL" ends the text
    credentials=CredentialRules(
        write=("access_token",),
        required=("access_token",),
        optional=(),
        prompts={
            "access_token": "Access token (Mastodon: Preferences > Development > your application)"
        },
        parse_plain=_token,
    ),
    identity_key="handle",
    identity_example="alice@mastodon.social",
    normalize_identity=normalize_identity,
    claims_mention=_claims_mention,
    open_client=_open_client,
    to_post=_to_post,
    from_draft=_from_draft,
    placeholder_upload=upload_placeholder,
    reserve_marker=_reserve_marker,
    exports=(ARCHIVE_EXPORT,),
    portable=_portable,
)
