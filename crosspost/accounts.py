"""Accounts: who a command talks to, named in config or given ad hoc as `platform:identity`.

Identity syntax follows each platform's rules: atproto handles and DIDs
(https://atproto.com/specs/handle, https://atproto.com/specs/did), Mastodon `user@domain`
(https://docs.joinmastodon.org/spec/webfinger/), Tumblr blog names or blog hostnames
(https://www.tumblr.com/docs/en/api/v2#blog-identifiers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from crosspost.errors import AccountSpecError
from crosspost.identifiers import is_did, is_handle
from crosspost.model import Platform

# Mastodon's Account::USERNAME_RE, and a host name for the domain.
_MASTODON_USER_RE = re.compile(r"^[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?$", re.IGNORECASE)
_HOSTNAME_RE = re.compile(
    r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?(:[0-9]{1,5})?$",
    re.IGNORECASE,
)
# Tumblr blog names: letters, digits and hyphens, at most 32 characters.
_TUMBLR_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", re.IGNORECASE)

PLATFORM_NAMES = ", ".join(p.value for p in Platform)


@dataclass(frozen=True, slots=True)
class Account:
    """One account on one platform.

    `identity` is normalised: a Bluesky handle (lower case) or DID, a Mastodon `user@domain`,
    a Tumblr blog name or blog host name. `service` overrides where the platform is reached
    (a self-hosted or local PDS, a Mastodon server's API base URL, a Tumblr API host).
    """

    name: str
    platform: Platform
    identity: str
    service: str | None = None

    @property
    def spec(self) -> str:
        """The ad hoc spelling of this account, e.g. `bluesky:alice.bsky.social`."""
        return f"{self.platform.value}:{self.identity}"

    @property
    def is_did(self) -> bool:
        return self.platform is Platform.BLUESKY and self.identity.startswith("did:")

    @property
    def domain(self) -> str:
        """The Mastodon server's domain (`mastodon.social` for `alice@mastodon.social`)."""
        return self.identity.rpartition("@")[2]

    @property
    def base_url(self) -> str | None:
        """Where the account's server is reached, when that follows from the account alone."""
        if self.service:
            return self.service
        if self.platform is Platform.MASTODON:
            return f"https://{self.domain}"
        return None

    @property
    def secret_env(self) -> str:
        """The environment variable that may hold this account's secret (headless fallback)."""
        return "CROSSPOST_SECRET_" + re.sub(r"[^A-Z0-9]+", "_", self.name.upper()).strip("_")


def normalize_identity(platform: Platform, identity: str) -> str:
    """Check an identity against its platform's syntax and return its normal spelling."""
    value = identity
    if platform is Platform.BLUESKY:
        return _bluesky_identity(value)
    if platform is Platform.MASTODON:
        return _mastodon_identity(value)
    return _tumblr_identity(value)


def _bluesky_identity(value: str) -> str:
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


def _mastodon_identity(value: str) -> str:
    user, at, domain = value.removeprefix("@").partition("@")
    if not at or not _MASTODON_USER_RE.match(user) or not _HOSTNAME_RE.match(domain):
        raise AccountSpecError(
            f"{value!r} is not a Mastodon account (expected user@server, e.g. "
            "alice@mastodon.social)"
        )
    return f"{user}@{domain.lower()}"


def _tumblr_identity(value: str) -> str:
    name = value.lower().removesuffix(".tumblr.com")
    if _TUMBLR_NAME_RE.match(name) or ("." in name and _HOSTNAME_RE.match(name)):
        return name
    raise AccountSpecError(
        f"{value!r} is not a Tumblr blog (expected a blog name such as staff, "
        "staff.tumblr.com, or the blog's own domain)"
    )


def check_service_url(value: str) -> str:
    """A `service` must be an http(s) base URL; returned without a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AccountSpecError(
            f"service {value!r} is not an http(s) URL (e.g. https://bsky.social)"
        )
    return value.rstrip("/")


def parse_platform(value: str) -> Platform:
    try:
        return Platform(value.strip().lower())
    except ValueError:
        raise AccountSpecError(
            f"unknown platform {value!r} (expected one of: {PLATFORM_NAMES})"
        ) from None


def parse_account_spec(spec: str) -> Account:
    """Parse an ad hoc account: `bluesky:alice.bsky.social`, `bluesky:did:plc:...`,
    `mastodon:alice@mastodon.social`, `tumblr:staff`."""
    platform_name, colon, identity = spec.partition(":")
    if not colon or not identity:
        raise AccountSpecError(
            f"{spec!r} is neither an account named in the config nor PLATFORM:IDENTITY "
            "(e.g. bluesky:alice.bsky.social, mastodon:alice@mastodon.social, tumblr:staff)"
        )
    platform = parse_platform(platform_name)
    normalized = normalize_identity(platform, identity)
    return Account(name=f"{platform.value}:{normalized}", platform=platform, identity=normalized)
