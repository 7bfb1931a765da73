"""`crosspost login dreamwidth:USER`: ask for an API key (never the password), check it.

Dreamwidth signs protocol calls with an API key since 2020 (`LJ::Protocol::check_login` checks
the answer against the account's keys only); keys are made and deleted on the site's mobile
settings page (`views/api.tt` points there). The key is checked with a `login` call before it is
kept, so a mistyped key is told at once, not on the first backup.
"""

from __future__ import annotations

from crosspost.accounts import Account
from crosspost.errors import CredentialsError
from crosspost.platforms.dreamwidth.protocol import API_KEYS_PAGE, SITE, Transport
from crosspost.platforms.retry import RetryPolicy
from crosspost.platforms.spec import Prompter

FIELD = "api_key"
PROMPT = f"API key (make one at {API_KEYS_PAGE}; not your password)"


def credential_fields(api_key: str) -> dict[str, str]:
    key = api_key.strip()
    if not key:
        raise CredentialsError(f"a Dreamwidth secret is an API key: make one at {API_KEYS_PAGE}")
    return {FIELD: key}


def check_key(account: Account, api_key: str, retry: RetryPolicy | None = None) -> str:
    """Sign in with `api_key`; returns the journal's display name (CredentialsError if refused)."""
    transport = Transport(
        account.service or SITE, account.identity, api_key, account_name=account.name, retry=retry
    )
    answer = transport.call("login", {}, what="check the API key")
    return str(answer.get("fullname") or account.identity)


def login(account: Account, prompter: Prompter, retry: RetryPolicy | None = None) -> dict[str, str]:
    prompter.say(
        f"Dreamwidth signs in with an API key, not your password: make one at {API_KEYS_PAGE} "
        "(Generate API key), then paste it here."
    )
    fields = credential_fields(prompter.ask(PROMPT, secret=True))
    name = check_key(account, fields[FIELD], retry)
    prompter.say(f"Signed in to {account.identity} ({name}).")
    return fields
