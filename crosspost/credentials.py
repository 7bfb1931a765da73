"""Secrets per account: the OS keyring (https://pypi.org/project/keyring/), or one environment
variable per account on machines without a keyring (headless Linux, CI).

What each platform needs, and how a bare secret spells its fields, is its registry entry's
(`PlatformSpec.credentials`: an app password, an access token, OAuth1 keys ...).

The environment variable (named by `Account.secret_env`, e.g. `CROSSPOST_SECRET_ART`) holds either
a JSON object with those fields, or the platform's bare spelling (a password or token; for OAuth1
the keys joined by ":"). It wins over the keyring.

Secret values never appear in `repr`, messages, logs or files crosspost writes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from crosspost.accounts import Account
from crosspost.errors import CredentialsError, KeyringUnavailableError
from crosspost.model import Platform
from crosspost.platforms.registry import spec
from crosspost.platforms.spec import CredentialRules

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

KEYRING_SERVICE = "crosspost"


class Source(StrEnum):
    ENV = "environment"
    KEYRING = "keyring"


@dataclass(frozen=True, slots=True)
class Credentials:
    """The secret fields of one account. Its repr names the fields, never their values."""

    account: str
    fields: Mapping[str, str]
    source: Source

    def __repr__(self) -> str:
        return f"Credentials({self.account!r}, fields={sorted(self.fields)}, source={self.source})"

    __str__ = __repr__

    def __getitem__(self, key: str) -> str:
        return self.fields[key]

    def get(self, key: str) -> str | None:
        return self.fields.get(key)

    def missing_for_writing(self, platform: Platform) -> list[str]:
        """The fields publishing needs that these credentials lack (e.g. a bare Tumblr key)."""
        return [name for name in spec(platform).credentials.write if not self.fields.get(name)]


@dataclass(frozen=True, slots=True)
class Status:
    """Whether an account has credentials, and from where, for `config check` and `accounts`."""

    source: Source | None
    problem: str = ""

    def describe(self) -> str:
        if self.source is not None:
            return f"credentials: {self.source.value}"
        return f"credentials: missing ({self.problem})"


def keyring_user(account: Account) -> str:
    """Keyring entries are keyed by platform identity, so renaming an account keeps them."""
    return account.spec


class Secrets:
    """Reads and writes credentials; `backend` and `environ` are injectable for tests."""

    def __init__(
        self,
        backend: KeyringBackend | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._backend = backend
        self._environ = os.environ if environ is None else environ

    def _keyring(self) -> KeyringBackend:
        if self._backend is None:
            import keyring  # imported here: it is slow to import and most commands never need it

            self._backend = keyring.get_keyring()
        return self._backend

    def keyring_problem(self) -> str | None:
        """Why the keyring cannot be used here, or None when it can."""
        from keyring.backends import fail

        backend = self._keyring()
        if isinstance(backend, fail.Keyring):
            return "no OS keyring is available on this machine"
        return None

    def load(self, account: Account) -> Credentials | None:
        raw = self._environ.get(account.secret_env)
        if raw:
            return Credentials(account.name, parse_secret_text(account, raw), Source.ENV)
        if self.keyring_problem():
            return None
        stored = self._keyring_call(
            "read", lambda: self._keyring().get_password(KEYRING_SERVICE, keyring_user(account))
        )
        if stored is None:
            return None
        return Credentials(account.name, _parse_stored(account, stored), Source.KEYRING)

    def require(self, account: Account) -> Credentials:
        credentials = self.load(account)
        if credentials is None:
            raise CredentialsError(
                f"no credentials for {account.name} ({account.spec}): {self._how_to_add(account)}"
            )
        return credentials

    def status(self, account: Account) -> Status:
        try:
            credentials = self.load(account)
        except CredentialsError as error:
            return Status(None, str(error))
        if credentials is not None:
            return Status(credentials.source)
        return Status(None, self._how_to_add(account))

    def save(self, account: Account, fields: Mapping[str, str]) -> None:
        missing = [name for name in _rules(account).required if not fields.get(name)]
        if missing:
            raise CredentialsError(f"cannot store {account.name}: missing {', '.join(missing)}")
        self._require_keyring(account)
        value = json.dumps(dict(fields), sort_keys=True)
        self._keyring_call(
            "write",
            lambda: self._keyring().set_password(KEYRING_SERVICE, keyring_user(account), value),
        )

    def delete(self, account: Account) -> bool:
        """Forget an account's stored credentials; False when there were none."""
        self._require_keyring(account)
        from keyring.errors import PasswordDeleteError

        try:
            self._keyring().delete_password(KEYRING_SERVICE, keyring_user(account))
        except PasswordDeleteError:
            return False
        return True

    def _require_keyring(self, account: Account) -> None:
        problem = self.keyring_problem()
        if problem:
            raise KeyringUnavailableError(
                f"{problem}, so credentials cannot be stored; set {account.secret_env} instead "
                "(README: 'Credentials on machines without a keyring')"
            )

    def _how_to_add(self, account: Account) -> str:
        if self.keyring_problem():
            return f"no OS keyring on this machine: set {account.secret_env}"
        return f"run `crosspost login {account.name}` or set {account.secret_env}"

    def _keyring_call(self, what: str, call: Any) -> Any:
        from keyring.errors import KeyringError

        try:
            return call()
        except KeyringError as error:
            # The backend's message names the backend, never the secret.
            raise CredentialsError(
                f"the OS keyring refused to {what} credentials ({type(error).__name__}: {error})"
            ) from None


def parse_secret_text(account: Account, raw: str) -> dict[str, str]:
    """Secret fields from the environment-variable format (also what `login --stdin` reads)."""
    raw = raw.strip()
    if raw.startswith("{"):
        return _fields_from_json(account, raw, f"the secret for {account.name}")
    return _rules(account).parse_plain(raw)


def _rules(account: Account) -> CredentialRules:
    return spec(account.platform).credentials


def _parse_stored(account: Account, stored: str) -> dict[str, str]:
    return _fields_from_json(account, stored, f"the keyring entry for {account.spec}")


def _fields_from_json(account: Account, raw: str, where: str) -> dict[str, str]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        # Never echo the value: it is a secret.
        raise CredentialsError(f"{where} is not valid JSON; store it again") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{where} must be a JSON object")
    rules = _rules(account)
    allowed = rules.required + rules.optional
    unknown = sorted(set(data) - set(allowed))
    missing = [name for name in rules.required if not data.get(name)]
    if unknown or missing:
        detail = "; ".join(
            part
            for part in (
                f"unknown fields {', '.join(unknown)}" if unknown else "",
                f"missing {', '.join(missing)}" if missing else "",
            )
            if part
        )
        raise CredentialsError(f"{where}: {detail} (expected {', '.join(allowed)})")
    return {str(key): str(value) for key, value in data.items()}
