"""Secrets per account: the OS keyring (https://pypi.org/project/keyring/), or one environment
variable per account on machines without a keyring (headless Linux, CI).

What each platform needs, and how a bare secret spells its fields, is its registry entry's
(`PlatformSpec.credentials`: an app password, an access token, OAuth1 keys ...).

The environment variable (named by `Account.secret_env`, e.g. `CROSSPOST_SECRET_ART`) holds either
a JSON object with those fields, or the platform's bare spelling (a password or token; for OAuth1
the keys joined by ":"). It wins over the keyring.

A login session a client may keep between runs (Bluesky's refreshable session, so a run every
five minutes refreshes its tokens instead of logging in) is kept apart from the credentials: in
the keyring under its own service name, else, where there is no keyring (credentials from the
environment), in a file of the state directory that only the user may read (0600).

Secret values never appear in `repr`, messages, logs or files crosspost writes (the session file
is the one exception: it holds tokens, never the password, and only its owner can read it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosspost.accounts import Account
from crosspost.errors import CredentialsError, KeyringUnavailableError
from crosspost.model import Platform
from crosspost.platforms.registry import spec
from crosspost.platforms.spec import CredentialRules

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

KEYRING_SERVICE = "crosspost"
SESSION_SERVICE = "crosspost-session"  # kept sessions: a keyring entry apart from credentials


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
    """Reads and writes credentials; `backend` and `environ` are injectable for tests. A store
    of its own (a community user's encrypted file, crosspost.secrets_store) is a `backend` too;
    `login_options` then say whose store `crosspost login` writes to, in the hints."""

    def __init__(
        self,
        backend: KeyringBackend | None = None,
        environ: Mapping[str, str] | None = None,
        session_dir: Path | None = None,
        login_options: str | None = None,
    ) -> None:
        self._backend = backend
        self._environ = os.environ if environ is None else environ
        self._session_dir = session_dir
        self._login_options = login_options

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

        self.forget_session(account)
        try:
            self._keyring().delete_password(KEYRING_SERVICE, keyring_user(account))
        except PasswordDeleteError:
            return False
        return True

    # --- kept sessions ------------------------------------------------------------------------

    def load_session(self, account: Account) -> str | None:
        """The session a client kept for the account (None: none, or it cannot be read)."""
        if not self.keyring_problem():
            stored = self._keyring_call(
                "read",
                lambda: self._keyring().get_password(SESSION_SERVICE, keyring_user(account)),
            )
            if stored:
                return str(stored)
        try:
            return self.session_path(account).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def save_session(self, account: Account, session: str) -> None:
        """Keep a session for the next run: in the keyring, else in a 0600 file of the state
        directory (CredentialsError when neither can be written)."""
        if not self.keyring_problem():
            self._keyring_call(
                "write",
                lambda: self._keyring().set_password(
                    SESSION_SERVICE, keyring_user(account), session
                ),
            )
            return
        try:
            _write_private(self.session_path(account), session)
        except OSError as error:
            raise CredentialsError(
                f"cannot keep the session of {account.name} ({type(error).__name__}); "
                "the next run logs in again"
            ) from None

    def forget_session(self, account: Account) -> None:
        if not self.keyring_problem():
            from keyring.errors import PasswordDeleteError

            with contextlib.suppress(PasswordDeleteError):
                self._keyring().delete_password(SESSION_SERVICE, keyring_user(account))
        with contextlib.suppress(OSError):
            self.session_path(account).unlink()

    def session_path(self, account: Account) -> Path:
        """The file a session is kept in without a keyring: named by a hash of the account's
        platform identity (the file name shows no handle)."""
        folder = self._session_dir
        if folder is None:
            from platformdirs import user_data_path

            folder = user_data_path("crosspost", appauthor=False) / "sessions"
        digest = hashlib.sha256(keyring_user(account).encode("utf-8")).hexdigest()[:24]
        return folder / f"{digest}.session"

    def _require_keyring(self, account: Account) -> None:
        problem = self.keyring_problem()
        if problem:
            raise KeyringUnavailableError(
                f"{problem}, so credentials cannot be stored; set {account.secret_env} instead "
                "(README: 'Credentials on machines without a keyring')"
            )

    def _how_to_add(self, account: Account) -> str:
        if self._login_options is not None:
            return f"run `crosspost login {account.name} {self._login_options}`"
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


def _write_private(path: Path, text: str) -> None:
    """Write `text` so only the user can read it (0600, in a 0700 folder), atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


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
