"""The platforms crosspost knows, one registry line each: `spec(platform)` answers every question
the rest of the house has about a platform (see `crosspost.platforms.spec`).

A new platform is a folder under `crosspost/platforms/` with a `spec.py`, a member of the
`Platform` enum, and one line in `_SPECS` (docs/adding-a-platform.md). The order of `_SPECS`
is the order mentions are claimed in: a network whose mentions are URLs on its own hosts comes
before one that takes any profile URL (Mastodon, last).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from crosspost.accounts import Account
from crosspost.errors import AccountSpecError
from crosspost.model import Limits, Platform
from crosspost.platforms.bluesky.spec import SPEC as BLUESKY
from crosspost.platforms.dreamwidth.spec import SPEC as DREAMWIDTH
from crosspost.platforms.mastodon.spec import SPEC as MASTODON
from crosspost.platforms.spec import PlatformSpec
from crosspost.platforms.tumblr.spec import SPEC as TUMBLR

_SPECS: tuple[PlatformSpec, ...] = (
    BLUESKY,
    TUMBLR,
    DREAMWIDTH,
    MASTODON,  # last: it claims every profile URL no other network claims
)


@cache
def spec(platform: Platform) -> PlatformSpec:
    """The registry entry of `platform`, its limits carrying text rules that know every
    network's mentions."""
    found = next((s for s in _SPECS if s.platform is platform), None)
    if found is None:  # a Platform member without a registry line: a bug, said plainly
        raise LookupError(f"platform {platform.value!r} has no entry in the registry")
    return replace(found, limits=_with_mentions(found.limits))


def specs() -> tuple[PlatformSpec, ...]:
    """Every platform's entry, in registry order."""
    return tuple(spec(s.platform) for s in _SPECS)


def mention_platform(value: str) -> Platform | None:
    """The network a mention's value (a DID, a profile URL) names a person on."""
    return next((s.platform for s in _SPECS if s.claims_mention(value)), None)


def profile_url(value: str) -> str | None:
    """Where the person a mention names has their profile, whatever their network."""
    owner = mention_platform(value)
    entry = next((s for s in _SPECS if s.platform is owner), None)
    return entry.profile_url(value) if entry is not None else None


def with_platform_rules(limits: Limits) -> Limits:
    """Limits as a client read them (from its server), with what only the registry knows: which
    mentions belong to the limits' platform, and where a profile lives. Fitting a post needs
    both, or a mention of a neighbour on the same network is written as a link."""
    if limits.text.mention_is_local is not None and limits.text.profile_url is not None:
        return limits
    return _with_mentions(limits)


def _with_mentions(limits: Limits) -> Limits:
    platform = limits.platform

    def is_local(value: str) -> bool:
        return mention_platform(value) is platform

    text = replace(limits.text, mention_is_local=is_local, profile_url=profile_url)
    return replace(limits, text=text)


def default_limits(platform: Platform) -> Limits:
    return spec(platform).limits


def platform_names() -> str:
    return ", ".join(p.value for p in Platform)


def parse_platform(value: str) -> Platform:
    try:
        return Platform(value.strip().lower())
    except ValueError:
        raise AccountSpecError(
            f"unknown platform {value!r} (expected one of: {platform_names()})"
        ) from None


def normalize_identity(platform: Platform, identity: str) -> str:
    """Check an identity against its platform's syntax and return its normal spelling."""
    return spec(platform).normalize_identity(identity)


def parse_account_spec(text: str) -> Account:
    """Parse an ad hoc account: `PLATFORM:IDENTITY`, e.g. `bluesky:alice.bsky.social`."""
    platform_name, colon, identity = text.partition(":")
    if not colon or not identity:
        examples = ", ".join(f"{p.value}:{spec(p).identity_example}" for p in Platform)
        raise AccountSpecError(
            f"{text!r} is neither an account named in the config nor PLATFORM:IDENTITY "
            f"(e.g. {examples})"
        )
    platform = parse_platform(platform_name)
    normalized = normalize_identity(platform, identity)
    return Account(name=f"{platform.value}:{normalized}", platform=platform, identity=normalized)
