"""A community: many people's configs run by one set of workers (README: "Running it for a
community").

The community file (TOML) says where everything is; relative paths are relative to it:

    users = "users"            # one USER.toml each: an ordinary crosspost config
    state = "state"            # the users' ledgers and sessions, and the embedded queue files
    secrets = "secrets"        # one encrypted file of credentials per user (secrets_store.py)
    secrets_key_file = "secrets.key"     # the master key, unless CROSSPOST_SECRETS_KEY is set
    queue = "redis://127.0.0.1:6379/0"   # optional: the queue, locks and budgets on Redis
    ledger = "postgresql://crosspost@127.0.0.1/crosspost"   # optional: ledgers on PostgreSQL

A user is named by their config file (`users/alice.toml` is alice): letters, digits, '-' and
'_'. Each user's ledger is `STATE/users/USER/state.sqlite3`, their credentials and kept sessions
are in `SECRETS/USER.json` and nowhere else: the per-account environment variables of a single
user's setup are not read for them (one process serves everyone, and a variable named for an
account would be every user's account of that name).

One user's broken config never stops the others: `configs()` gives each user's config or the
error that names their file and key.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosspost.config import Config, load_config
from crosspost.errors import ConfigError, CredentialsError

if TYPE_CHECKING:
    from crosspost.credentials import Secrets
    from crosspost.worker.settings import Settings

COMMUNITY_ENV = "CROSSPOST_COMMUNITY"
KEY_ENV = "CROSSPOST_SECRETS_KEY"  # as crosspost.secrets_store names it
QUEUE_STATE = "community.sqlite3"  # the embedded queue files are named after it, in STATE
_KEYS = ("users", "state", "secrets", "secrets_key_file", "queue", "ledger")
_USER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_NAME_CHARS = "letters, digits, '-' and '_'"


def valid_user(name: str) -> bool:
    return _USER_RE.fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class Community:
    path: Path  # the community file
    users_dir: Path
    state_dir: Path
    secrets_dir: Path
    secrets_key_file: Path | None = None
    queue_url: str | None = None
    ledger_url: str | None = None

    # --- users -----------------------------------------------------------------------------

    def users(self) -> list[str]:
        """The users, by name, sorted: every `USERS/NAME.toml` whose name is a user name."""
        return sorted(path.stem for path in self._files() if valid_user(path.stem))

    def misnamed(self) -> list[Path]:
        """Config files in the users folder whose names are not user names (never run)."""
        return [path for path in self._files() if not valid_user(path.stem)]

    def _files(self) -> list[Path]:
        try:
            return sorted(p for p in self.users_dir.iterdir() if p.suffix == ".toml")
        except OSError as error:
            raise ConfigError(
                f"the users folder {self.users_dir} cannot be read ({error.strerror}); create "
                "it, or fix `users` in the community file",
                path=str(self.path),
            ) from None

    def require(self, user: str) -> str:
        """`user`, if the community has them; else a ConfigError that says who it has."""
        if not valid_user(user):
            raise ConfigError(
                f"{user!r} is not a user name ({_NAME_CHARS} only)", path=str(self.path)
            )
        if not self.config_path(user).is_file():
            known = ", ".join(self.users()) or "none yet"
            raise ConfigError(
                f"no user {user!r} in the community (users: {known}); add "
                f"{self.config_path(user)} (an ordinary crosspost config)",
                path=str(self.path),
            )
        return user

    def config_path(self, user: str) -> Path:
        return self.users_dir / f"{user}.toml"

    def load(self, user: str) -> Config:
        """The user's config (ConfigError naming their file, key or line when it is wrong)."""
        return load_config(self.config_path(self.require(user)))

    def configs(self, users: list[str] | None = None) -> Iterator[tuple[str, Config | ConfigError]]:
        """Each user's config, or the error that stops it: the others go on."""
        for user in self.users() if users is None else users:
            try:
                yield user, self.load(user)
            except ConfigError as error:
                yield user, error

    # --- where each user's things are -------------------------------------------------------

    def state_path(self, user: str) -> Path:
        """The user's SQLite ledger (their sync cursors, mirrors and run lock)."""
        return self.state_dir / "users" / user / "state.sqlite3"

    def session_dir(self, user: str) -> Path:
        return self.state_dir / "users" / user / "sessions"

    def queue_state(self) -> Path:
        """What the embedded queue, locks and budgets are named after (crosspost.worker.files)."""
        return self.state_dir / QUEUE_STATE

    def secrets_path(self, user: str) -> Path:
        return self.secrets_dir / f"{user}.json"

    # --- secrets ----------------------------------------------------------------------------

    def master_key(self) -> bytes:
        """The master key: CROSSPOST_SECRETS_KEY, else the key file (the owner's alone)."""
        from crosspost.secrets_store import SecretsKeyError, parse_master_key

        text = os.environ.get(KEY_ENV, "").strip()
        if text:
            return parse_master_key(text, KEY_ENV)
        if self.secrets_key_file is None:
            raise SecretsKeyError(
                f"{self.path}: no master key for the users' secrets: set {KEY_ENV}, or name a "
                "key file as secrets_key_file (`crosspost community init DIR` writes one)"
            )
        key_file = self.secrets_key_file
        try:
            mode = key_file.stat().st_mode
            text = key_file.read_text(encoding="ascii")
        except FileNotFoundError:
            raise SecretsKeyError(
                f"{key_file}: no such key file (secrets_key_file in {self.path}); "
                "`crosspost community init DIR` writes a new one, but only the key the "
                "secrets were stored with opens them"
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise SecretsKeyError(f"{key_file}: the key file cannot be read ({error})") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretsKeyError(
                f"{key_file}: the key file may be read by others; `chmod 600 {key_file}`"
            )
        return parse_master_key(text, str(key_file))

    def secrets(self, user: str) -> Secrets:
        """The user's credentials and sessions: their encrypted file, nothing else."""
        from crosspost.credentials import Secrets
        from crosspost.secrets_store import UserSecrets

        backend = UserSecrets(self.secrets_path(user), user, self.master_key())
        return Secrets(
            backend=backend,
            environ={},
            session_dir=self.session_dir(user),
            login_options=f"--community {self.path} --user {user}",
        )

    # --- the worker's settings --------------------------------------------------------------

    def settings(self) -> Settings:
        """What every job of a worker for this community shares (crosspost.worker.settings)."""
        from crosspost.worker.settings import Settings

        return Settings(
            None,
            self.queue_state(),
            queue_url=self.queue_url,
            ledger_url=self.ledger_url,
            community=self,
        )


def resolve_community_path(option: str | Path | None) -> Path | None:
    """The community file named by the option or CROSSPOST_COMMUNITY; None for one user."""
    if option:
        return Path(option).expanduser()
    named = os.environ.get(COMMUNITY_ENV, "").strip()
    return Path(named).expanduser() if named else None


def load_community(option: str | Path | None) -> Community:
    """Read and check the community file (ConfigError naming the file and key)."""
    path = resolve_community_path(option)
    if path is None:
        raise ConfigError(f"no community file: pass --community FILE or set {COMMUNITY_ENV}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            "no such community file; `crosspost community init DIR` writes one",
            path=str(path),
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"not valid TOML: {error}; fix the syntax there", path=str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the file: {error}", path=str(path)) from None
    return parse_community(data, path)


def parse_community(data: dict[str, Any], path: Path) -> Community:
    where = str(path)
    for key in data:
        if key not in _KEYS:
            raise ConfigError(
                f"unknown key; the community file takes {', '.join(_KEYS)}", path=where, key=key
            )
    for key, value in data.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"must be a non-empty string, not {value!r}", path=where, key=key)
    base = path.parent

    def folder(key: str, default: str) -> Path:
        return base / Path(data.get(key, default)).expanduser()

    users = folder("users", "users")
    if not users.is_dir():
        raise ConfigError(
            f"the users folder {users} does not exist; create it (one USER.toml per user) or "
            "fix the path",
            path=where,
            key="users",
        )
    key_file = data.get("secrets_key_file")
    queue, ledger = data.get("queue"), data.get("ledger")
    _check_url(queue, ("redis://", "rediss://", "unix://"), "queue", where)
    _check_url(ledger, ("postgresql://", "postgres://"), "ledger", where)
    return Community(
        path=path,
        users_dir=users,
        state_dir=folder("state", "state"),
        secrets_dir=folder("secrets", "secrets"),
        secrets_key_file=folder("secrets_key_file", key_file) if key_file else None,
        queue_url=queue,
        ledger_url=ledger,
    )


def _check_url(url: str | None, schemes: tuple[str, ...], key: str, where: str) -> None:
    if url is not None and not url.startswith(schemes):
        raise ConfigError(
            f"{url!r} is not a URL crosspost can use here ({' or '.join(schemes)}...)",
            path=where,
            key=key,
        )


STARTER = """\
# crosspost community file (README: "Running it for a community").
# One USER.toml per user in the users folder: an ordinary crosspost config of that user's
# accounts and [[sync]] rules. Relative paths are relative to this file.
users = "users"
state = "state"
secrets = "secrets"
secrets_key_file = "secrets.key"
# Several machines: the queue, locks and budgets on Redis, the ledgers on PostgreSQL.
# queue = "redis://127.0.0.1:6379/0"
# ledger = "postgresql://crosspost@127.0.0.1/crosspost"
"""


def init_community(folder: Path) -> list[str]:
    """Write a starter community in `folder`: the file, the users, state and secrets folders and
    a master key file (0600). What exists is kept. What was done, one line each."""
    from crosspost.secrets_store import write_key_file

    done: list[str] = []
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "community.toml"
    if path.exists():
        done.append(f"kept {path}")
    else:
        path.write_text(STARTER, encoding="utf-8")
        done.append(f"wrote {path}")
    for name, mode in (("users", 0o755), ("state", 0o700), ("secrets", 0o700)):
        sub = folder / name
        if not sub.is_dir():
            sub.mkdir(mode=mode)
            os.chmod(sub, mode)  # the umask may have taken bits away
            done.append(f"made {sub}/")
    key = folder / "secrets.key"
    if write_key_file(key):
        done.append(f"wrote a new master key to {key} (0600): keep a copy somewhere safe")
    else:
        done.append(f"kept the master key {key}")
    return done


def check_user(community: Community, user: str) -> list[str]:
    """What stops a user's jobs, one line each: their config, then their secrets file."""
    try:
        config = community.load(user)
    except ConfigError as error:
        return [str(error)]
    problems: list[str] = []
    try:
        store = community.secrets(user)
        for account in config.accounts.values():
            store.load(account)
    except CredentialsError as error:
        problems.append(str(error))
    return problems
