"""What every job of one worker shares: the config and state it runs against, and where the
queue, locks, budgets and ledger live (crosspost.worker.backends).

A worker for a community (crosspost.community) runs many people's jobs: each job names its user,
and the user's config, ledger and credentials are found through `Settings.community`. Without
one, every job is the one user's of `config` and `state`, as before."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from crosspost.credentials import Secrets


class Users(Protocol):
    """Where each user's things are (crosspost.community.Community)."""

    def users(self) -> list[str]: ...

    def config_path(self, user: str) -> Path: ...

    def state_path(self, user: str) -> Path: ...

    def secrets(self, user: str) -> Secrets: ...


@dataclass(frozen=True, slots=True)
class Settings:
    config: Path | None
    state: Path | None  # the ledger file (None: the default in the user data dir)
    lock_retry: float = 5.0  # a job another worker holds is tried again this much later
    queue_url: str | None = None  # redis://...: queue, locks and budgets on a Redis server
    ledger_url: str | None = None  # postgresql://...: the ledger on a PostgreSQL database
    community: Users | None = None  # many people's jobs: a job's user says whose

    def users(self) -> list[str]:
        """Whose jobs this worker runs: the community's users, or "" (one user)."""
        return self.community.users() if self.community is not None else [""]

    def state_for(self, user: str = "") -> Path | None:
        """The SQLite ledger of `user` ("" for a single user)."""
        if self.community is not None and user:
            return self.community.state_path(user)
        return self.state

    def config_for(self, user: str = "") -> Path | None:
        """The config file `user`'s rules are in."""
        if self.community is not None and user:
            return self.community.config_path(user)
        return self.config

    def secrets_for(self, user: str = "") -> Secrets | None:
        """The credentials of `user` (None: the OS keyring and environment of one user)."""
        if self.community is not None and user:
            return self.community.secrets(user)
        return None
