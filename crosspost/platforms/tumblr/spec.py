"""Tumblr's registry entry: everything the rest of crosspost may know about Tumblr.

Blog identifiers: https://www.tumblr.com/docs/en/api/v2#blog-identifiers. OAuth1 apps:
https://www.tumblr.com/oauth/apps (the consumer key alone, the "API key", reads public blogs).
The client and converters load on first use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crosspost.accounts import HOSTNAME_RE, Account
from crosspost.errors import AccountSpecError, CredentialsError
from crosspost.model import Media, Platform, Post, Visibility
from crosspost.platforms.spec import (
    ClientRequest,
    CredentialRules,
    ExportFormat,
    PlatformSpec,
    Prompter,
    WriteContext,
)
from crosspost.platforms.tumblr.limits import CAPS, LIMITS

if TYPE_CHECKING:
    from crosspost.platforms.base import Draft, PlatformClient
    from crosspost.platforms.bridging import BridgeRules
    from crosspost.platforms.export import Export

# Tumblr blog names: letters, digits and hyphens, at most 32 characters.
_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", re.IGNORECASE)
FIELDS = ("consumer_key", "consumer_secret", "oauth_token", "oauth_token_secret")


def normalize_identity(value: str) -> str:
    name = value.lower().removesuffix(".tumblr.com")
    if _NAME_RE.match(name) or ("." in name and HOSTNAME_RE.match(name)):
        return name
    raise AccountSpecError(
        f"{value!r} is not a Tumblr blog (expected a blog name such as staff, "
        "staff.tumblr.com, or the blog's own domain)"
    )


def _claims_mention(value: str) -> bool:
    """Tumblr mentions name the blog's URL on tumblr.com or one of its subdomains."""
    host = (urlsplit(value).hostname or "").lower()
    return host == "tumblr.com" or host.endswith(".tumblr.com")


def _open_client(request: ClientRequest) -> PlatformClient:
    from crosspost.platforms.tumblr.client import TumblrClient

    if request.credentials is None:
        raise CredentialsError(
            f"reading Tumblr needs at least your app's consumer key: run `crosspost login "
            f"{request.account.name}` or set {request.account.secret_env}"
        )
    client: PlatformClient = TumblrClient.from_credentials(
        request.account, request.credentials, retry=request.retry
    )
    return client


def _to_post(native: Mapping[str, Any], account: str) -> Post:
    from crosspost.platforms.tumblr.read import to_post

    return to_post(native, account=account)


def _from_draft(draft: Draft, context: WriteContext) -> dict[str, Any]:
    from crosspost.platforms.tumblr.write import from_draft

    return from_draft(draft, context)


def _no_upload(media: Media) -> None:
    return None  # NPF media blocks name their upload by identifier, in the request itself


def _oauth_keys(raw: str) -> dict[str, str]:
    parts = raw.split(":")
    if len(parts) not in (1, 4) or not all(parts):
        raise CredentialsError(
            "a Tumblr secret must be consumer_key:consumer_secret:oauth_token:"
            "oauth_token_secret (or the consumer key alone, to read public blogs), or a JSON "
            "object with those fields"
        )
    return dict(zip(FIELDS, parts, strict=False))


def _oauth_login(account: Account, prompter: Prompter) -> dict[str, str]:
    from crosspost.platforms.tumblr.oauth import WWW_URL, credential_fields, login

    consumer_key = prompter.ask(_PROMPTS["consumer_key"], secret=True).strip()
    consumer_secret = prompter.ask(_PROMPTS["consumer_secret"], secret=True).strip()
    keys = login(
        consumer_key,
        consumer_secret,
        ask=lambda prompt: prompter.ask(prompt.rstrip(": "), secret=False),
        say=prompter.say,
        base_url=account.service or WWW_URL,
    )
    return credential_fields(keys)


def _read_blog_export(path: Path) -> Export:
    from crosspost.platforms.tumblr.export import read_export

    return read_export(path)


def _is_blog_export(names: list[str]) -> bool:
    from crosspost.platforms.tumblr.export import is_blog_export

    return is_blog_export(names)


_PROMPTS = {
    "consumer_key": "OAuth consumer key (tumblr.com/oauth/apps)",
    "consumer_secret": "OAuth consumer secret",
    "oauth_token": "OAuth token",
    "oauth_token_secret": "OAuth token secret",
}


def _bridges() -> BridgeRules:
    from crosspost.platforms.tumblr import bridges

    return bridges.RULES


SPEC = PlatformSpec(
    bridges=_bridges,
    platform=Platform.TUMBLR,
    display_name="Tumblr",
    limits=LIMITS,
    caps=CAPS,
    # Published (public) or private: a narrower source post becomes a private post.
    safe_visibility=frozenset(
        {Visibility.PUBLIC, Visibility.FOLLOWERS, Visibility.DIRECT, Visibility.PRIVATE}
    ),
    backdating=True,  # the NPF `date`
    arrival="Tumblr keeps the original dates, but backdated posts still land on your "
    "followers' dashboards as they are posted; a new sideblog as the target has no followers "
    "to flood",
    private_posts="private posts: only you see them, on no dashboard, until you publish them",
    marker_is_link=True,  # the post's source link
    credentials=CredentialRules(
        write=FIELDS,
        required=("consumer_key",),
        optional=FIELDS[1:],
        prompts=_PROMPTS,
        parse_plain=_oauth_keys,
    ),
    identity_key="blog",
    identity_example="staff",
    normalize_identity=normalize_identity,
    claims_mention=_claims_mention,
    open_client=_open_client,
    to_post=_to_post,
    from_draft=_from_draft,
    placeholder_upload=_no_upload,
    exports=(
        ExportFormat(
            kind="tumblr-export",
            label="a Tumblr blog export zip",
            read=_read_blog_export,
            matches_names=_is_blog_export,
            names_hint="posts/ (Tumblr)",
        ),
    ),
    login=_oauth_login,
)
