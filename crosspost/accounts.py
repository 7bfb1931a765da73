"""Accounts: who a command talks to, named in config or given ad hoc as `platform:identity`.

Each platform's identity syntax is its registry entry's (`PlatformSpec.normalize_identity`);
parsing `platform:identity` is `crosspost.platforms.registry.parse_account_spec`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from crosspost.errors import AccountSpecError
from crosspost.model import Platform

# A host name, with an optional port.
HOSTNAME_RE = re.compile(
    r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?(:[0-9]{1,5})?$",
    re.IGNORECASE,
)


# Where a server may be: a host name (a single label such as `localhost` too), an IPv4 address or
# a bracketed IPv6 one, with an optional port. For self-hosted and local servers.
SERVER_RE = re.compile(
    r"^(([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Account:
    """One account on one platform.

    `identity` is normalised by its platform's rules (e.g. a handle in lower case). `service`
    overrides where the platform is reached (a self-hosted server, a local test server).
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
    def secret_env(self) -> str:
        """The environment variable that may hold this account's secret (headless fallback)."""
        return "CROSSPOST_SECRET_" + re.sub(r"[^A-Z0-9]+", "_", self.name.upper()).strip("_")


def check_service_url(value: str) -> str:
    """A `service` must be an http(s) base URL; returned without a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AccountSpecError(
            f"service {value!r} is not an http(s) URL (e.g. https://bsky.social)"
        )
    return value.rstrip("/")
