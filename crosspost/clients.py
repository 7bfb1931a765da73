"""One way to open a platform client for an account, whatever its platform.

The engines call `open_client`; only here do the three adapters meet. Reading a public Bluesky
or Mastodon account needs no credentials; Tumblr always needs at least the consumer key (its API
key), and publishing needs full credentials everywhere.
"""

from __future__ import annotations

from crosspost.accounts import Account
from crosspost.credentials import CredentialStore
from crosspost.errors import CredentialsError
from crosspost.model import Platform
from crosspost.platforms.base import PlatformClient, RetryPolicy


def open_client(
    account: Account,
    *,
    store: CredentialStore | None = None,
    retry: RetryPolicy | None = None,
    for_writing: bool = False,
) -> PlatformClient:
    """A client for `account`. Raises CredentialsError (saying how to add them) when the work
    needs credentials the account does not have."""
    store = store or CredentialStore()
    retry = retry or RetryPolicy()
    credentials = store.require(account) if for_writing else store.load(account)
    if for_writing and credentials is not None:
        missing = credentials.missing_for_writing(account.platform)
        if missing:
            raise CredentialsError(
                f"publishing to {account.name} needs {', '.join(missing)}, which its "
                f"credentials lack: run `crosspost login {account.name}`"
            )
    if account.platform is Platform.BLUESKY:
        from crosspost.platforms.bluesky.client import BlueskyClient

        return BlueskyClient(account, credentials=store, retry=retry)
    if account.platform is Platform.MASTODON:
        from crosspost.platforms.mastodon.client import MastodonClient

        token = credentials["access_token"] if credentials else ""
        return MastodonClient(account, token, retry=retry)
    from crosspost.platforms.tumblr.client import TumblrClient

    if credentials is None:
        raise CredentialsError(
            f"reading Tumblr needs at least your app's consumer key: run `crosspost login "
            f"{account.name}` or set {account.secret_env}"
        )
    return TumblrClient.from_credentials(account, credentials, retry=retry)  # type: ignore[no-any-return]
