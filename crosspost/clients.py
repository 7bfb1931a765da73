"""One way to open a platform client for an account, whatever its platform.

The engines call `open_client`, which loads the account's credentials and hands them to its
platform's registry entry. What reading needs differs by platform (a public account may need
none, or only an API key); publishing needs the platform's full write fields everywhere.
"""

from __future__ import annotations

from crosspost.accounts import Account
from crosspost.credentials import Secrets
from crosspost.errors import CredentialsError
from crosspost.platforms.base import PlatformClient, RetryPolicy
from crosspost.platforms.registry import spec
from crosspost.platforms.spec import ClientRequest


def open_client(
    account: Account,
    *,
    store: Secrets | None = None,
    retry: RetryPolicy | None = None,
    for_writing: bool = False,
) -> PlatformClient:
    """A client for `account`. Raises CredentialsError (saying how to add them) when the work
    needs credentials the account does not have."""
    store = store or Secrets()
    retry = retry or RetryPolicy()
    credentials = store.require(account) if for_writing else store.load(account)
    if for_writing and credentials is not None:
        missing = credentials.missing_for_writing(account.platform)
        if missing:
            raise CredentialsError(
                f"publishing to {account.name} needs {', '.join(missing)}, which its "
                f"credentials lack: run `crosspost login {account.name}`"
            )
    return spec(account.platform).open_client(ClientRequest(account, credentials, store, retry))
