"""Each community user's secrets in a file of their own, encrypted under a key that is theirs
alone: the keyring backend `crosspost.credentials.Secrets` is given for that user.

One master key (32 random bytes, urlsafe base64: the CROSSPOST_SECRETS_KEY variable or the key
file the community file names) is never used as it is: each user's key is derived from it and
the user's name (HKDF-SHA256), and every value in `SECRETS/USER.json` is a Fernet token under
that key (https://cryptography.io/en/latest/fernet/). A file copied to another user's name, or
read with another user's key, does not decrypt; a value moved to another entry of the same file
is refused too (each token names its own entry). The file is written atomically, 0600, under a
lock, so worker processes that refresh one user's sessions side by side keep each other's.

Secret values never appear in messages or logs; a wrong key is named as such, with what to do.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

from crosspost.errors import CredentialsError

KEY_ENV = "CROSSPOST_SECRETS_KEY"
FORMAT = 1
USER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_KEY_INFO = b"crosspost user secrets v1\x00"
_KEY_ID_INFO = b"crosspost master key id v1"


class SecretsKeyError(CredentialsError):
    """The master key is missing or malformed, or a user's file was written under another key."""


def new_master_key() -> str:
    """A fresh master key, as the key file and CROSSPOST_SECRETS_KEY spell it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def parse_master_key(text: str, where: str) -> bytes:
    """The 32 bytes of a master key written as `new_master_key` writes it."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raw = b""
    if len(raw) != 32:
        # Never echo the text: it may be a key with a typo.
        raise SecretsKeyError(
            f"{where} is not a crosspost master key (32 bytes, urlsafe base64); "
            "`crosspost community init DIR` writes one to a key file"
        )
    return raw


def write_key_file(path: Path) -> bool:
    """Write a new master key to `path` (0600) unless it exists; whether one was written."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(new_master_key() + "\n")
    return True


def _hkdf(master: bytes, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def user_key(master: bytes, user: str) -> bytes:
    """The Fernet key (urlsafe base64) of `user`'s file: HKDF-SHA256 of the master key, with the
    user's name as the context. Knowing it opens that one user's file, no other."""
    return base64.urlsafe_b64encode(_hkdf(master, _KEY_INFO + user.encode("utf-8")))


def key_id(master: bytes) -> str:
    """A short name of the master key, kept in each file: a wrong key is told apart from a file
    that is not the user's. It says nothing of the key itself (an HKDF output)."""
    return _hkdf(master, _KEY_ID_INFO)[:8].hex()


class UserSecrets(KeyringBackend):
    """The keyring of one community user: entries (service, name) in `path`, each value a
    Fernet token under `user_key(master, user)`."""

    @properties.classproperty
    def priority(cls) -> float:
        # Never chosen by keyring's own look for a backend: it is handed to Secrets directly.
        raise RuntimeError("a community user's store is opened by crosspost, not by keyring")

    def __init__(self, path: Path, user: str, master: bytes) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring leaves __init__ unannotated
        if not USER_RE.fullmatch(user):
            raise CredentialsError(
                f"{user!r} is not a user name (letters, digits, '-' and '_' only)"
            )
        from cryptography.fernet import Fernet

        self.path, self.user = path, user
        self._fernet = Fernet(user_key(master, user))
        self._key_id = key_id(master)

    def __repr__(self) -> str:
        return f"UserSecrets({self.user!r}, {str(self.path)!r})"

    # --- the keyring interface ------------------------------------------------------------------

    def get_password(self, service: str, username: str) -> str | None:
        token = self._read().get(_entry(service, username))
        return None if token is None else self._decrypt(token, service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._locked():
            entries = self._read()
            entries[_entry(service, username)] = self._encrypt(password, service, username)
            self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        with self._locked():
            entries = self._read()
            if entries.pop(_entry(service, username), None) is None:
                raise PasswordDeleteError(f"no {service} entry for {username} of {self.user}")
            self._write(entries)

    # --- what the keyring interface does not say -------------------------------------------------

    def entries(self) -> list[tuple[str, str]]:
        """(service, name) of every entry, values left encrypted."""
        names = [tuple(key.split("\x00", 1)) for key in self._read()]
        return sorted((service, name) for service, name in names)

    def check(self) -> None:
        """Decrypt every entry once: raise SecretsKeyError now rather than in a job."""
        for service, name in self.entries():
            self.get_password(service, name)

    # --- the file ---------------------------------------------------------------------------------

    def _encrypt(self, value: str, service: str, username: str) -> str:
        plain = json.dumps({"entry": _entry(service, username), "value": value})
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def _decrypt(self, token: str, service: str, username: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            plain = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError, UnicodeEncodeError):
            raise self._not_theirs() from None
        if not isinstance(plain, dict) or plain.get("entry") != _entry(service, username):
            raise SecretsKeyError(
                f"{self.path}: an entry of {self.user}'s secrets was moved from another; "
                f"run `crosspost login ACCOUNT --user {self.user}` again for that account"
            )
        return str(plain["value"])

    def _not_theirs(self) -> SecretsKeyError:
        return SecretsKeyError(
            f"{self.path} does not decrypt with {self.user}'s key: it was copied from another "
            f"user's file or altered; remove it and run `crosspost login ACCOUNT --user "
            f"{self.user}` for each of {self.user}'s accounts"
        )

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise CredentialsError(
                f"{self.path}: {self.user}'s secrets cannot be read ({error.strerror})"
            ) from None
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            raise CredentialsError(
                f"{self.path} is not a crosspost secrets file; move it away and run "
                f"`crosspost login ACCOUNT --user {self.user}` again"
            )
        if data.get("key") != self._key_id:
            raise SecretsKeyError(
                f"{self.path}: {self.user}'s secrets were stored under another master key: set "
                f"{KEY_ENV} (or the community file's secrets_key_file) to the key they were "
                f"stored with, or remove the file and log {self.user}'s accounts in again"
            )
        if data.get("user") != self.user:
            raise self._not_theirs()
        return {str(key): str(value) for key, value in data["entries"].items()}

    def _write(self, entries: dict[str, str]) -> None:
        document = {"format": FORMAT, "user": self.user, "key": self._key_id, "entries": entries}
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer of the file at a time, across processes (read, change, replace)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = self.path.with_name(f".{self.path.name}.lock")
        descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)


def _entry(service: str, username: str) -> str:
    return f"{service}\x00{username}"
