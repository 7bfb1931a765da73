"""The OAuth1 login dance for Tumblr: request token, authorize URL, verifier, token pair.

API docs: https://github.com/tumblr/docs/blob/master/api.md#oauth1-authorization
"""

from __future__ import annotations

from collections.abc import Callable

import requests
from requests_oauthlib import OAuth1Session
from requests_oauthlib.oauth1_session import TokenRequestDenied

from crosspost.errors import CredentialsError
from crosspost.platforms.tumblr.http import OAuthKeys

WWW_URL = "https://www.tumblr.com"
# Out-of-band: the user copies the verifier from the page Tumblr shows (or from the callback URL).
CALLBACK = "oob"


def login(
    consumer_key: str,
    consumer_secret: str,
    *,
    ask: Callable[[str], str],
    say: Callable[[str], None],
    base_url: str = WWW_URL,
    timeout: float = 30.0,
) -> OAuthKeys:
    """Run the three legs and return the full key set; `ask`/`say` are the CLI's input/output.

    `ask` gets a prompt and returns what the user typed: the `oauth_verifier`, or the whole URL
    Tumblr redirected to (the verifier is read out of it). Secrets are never passed to `say`.
    """
    base = base_url.rstrip("/")
    session = OAuth1Session(consumer_key, client_secret=consumer_secret, callback_uri=CALLBACK)
    try:
        session.fetch_request_token(f"{base}/oauth/request_token", timeout=timeout)
        say("Open this address, sign in to Tumblr and allow crosspost:")
        say(session.authorization_url(f"{base}/oauth/authorize"))
        answer = ask("Paste the oauth_verifier (or the whole address you were sent to): ").strip()
        if not answer:
            raise CredentialsError("no verifier given; Tumblr login cancelled")
        verifier = None
        if answer.startswith(("http://", "https://")):
            session.parse_authorization_response(answer)  # also checks the returned token
        else:
            verifier = answer
        tokens = session.fetch_access_token(
            f"{base}/oauth/access_token", verifier=verifier, timeout=timeout
        )
    except TokenRequestDenied as error:
        raise CredentialsError(
            f"Tumblr refused the login (HTTP {error.status_code}); "
            "check the consumer key and secret"
        ) from None
    except (requests.ConnectionError, requests.Timeout) as error:
        raise CredentialsError(
            f"could not reach Tumblr to log in ({type(error).__name__})"
        ) from None
    except ValueError as error:  # oauthlib: a malformed answer or redirect URL
        raise CredentialsError(f"Tumblr login failed: {error}") from None
    return OAuthKeys(
        consumer_key, consumer_secret, tokens["oauth_token"], tokens["oauth_token_secret"]
    )


def credential_fields(keys: OAuthKeys) -> dict[str, str]:
    """The fields `Secrets.save` takes for a Tumblr account."""
    return {
        "consumer_key": keys.consumer_key,
        "consumer_secret": keys.consumer_secret,
        "oauth_token": keys.oauth_token,
        "oauth_token_secret": keys.oauth_token_secret,
    }
