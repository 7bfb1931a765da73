"""How Mastodon accounts are named: `user@domain`, as WebFinger addresses them.

https://docs.joinmastodon.org/spec/webfinger/ and Mastodon's `Account::USERNAME_RE`. The
server may be an IP address or carry a port (`alice@127.0.0.1:3000`): a self-hosted or local
server, reached at the account's `service` URL.
"""

from __future__ import annotations

import re

from crosspost.accounts import SERVER_RE, Account
from crosspost.errors import AccountSpecError

_USER_RE = re.compile(r"^[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?$", re.IGNORECASE)


def normalize_identity(value: str) -> str:
    user, at, domain = value.removeprefix("@").partition("@")
    if not at or not _USER_RE.match(user) or not SERVER_RE.match(domain):
        raise AccountSpecError(
            f"{value!r} is not a Mastodon account (expected user@server, e.g. "
            "alice@mastodon.social)"
        )
    return f"{user}@{domain.lower()}"


def server_domain(account: Account) -> str:
    """The account's server (`mastodon.social` for `alice@mastodon.social`)."""
    return account.identity.rpartition("@")[2]
