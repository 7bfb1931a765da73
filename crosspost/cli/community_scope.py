"""Whose config, ledger and credentials a command works with: one user's own (--config,
--state, the OS keyring), or a community user's (--community FILE --user NAME: their config file,
ledger and encrypted secrets, crosspost.community)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from crosspost.config import Config, load_config

if TYPE_CHECKING:
    from crosspost.community import Community
    from crosspost.credentials import Secrets


@dataclass(frozen=True, slots=True)
class Scope:
    config: Config
    state: Path | None  # the ledger (None: the default in the user data dir)
    store: Secrets | None  # None: the OS keyring and environment
    user: str = ""  # "" for one user's own setup
    where: str = "the OS keyring"  # where `login` keeps the credentials, for its messages

    def secrets(self) -> Secrets:
        from crosspost.credentials import Secrets

        return self.store if self.store is not None else Secrets()


def community_of(option: Path | None, config: Path | None) -> Community | None:
    """The community named by --community (or CROSSPOST_COMMUNITY), or None for one user."""
    from crosspost.community import load_community, resolve_community_path

    if resolve_community_path(option) is None:
        return None
    if config is not None:
        raise typer.BadParameter(
            "--config and --community name two setups: a community user's config is their "
            "USERS/NAME.toml; give --user NAME instead of --config"
        )
    return load_community(option)


def scope(
    community_option: Path | None,
    user: str | None,
    config: Path | None,
    state: Path | None,
    *,
    required: bool = True,
    secrets: bool = True,
) -> Scope:
    """One user's scope: the community's user named by --user, else the single setup's."""
    community = community_of(community_option, config)
    if community is None:
        if user:
            raise typer.BadParameter(
                "--user names a user of a community: give --community FILE too (or set "
                "CROSSPOST_COMMUNITY)"
            )
        return Scope(load_config(config, required=required), state, None)
    if not user:
        raise typer.BadParameter(
            f"--community {community.path} serves several users: say whose with --user NAME "
            f"(users: {', '.join(community.users()) or 'none yet'})"
        )
    return user_scope(community, user, secrets=secrets)


def user_scope(community: Community, user: str, *, secrets: bool = True) -> Scope:
    """A community user's config, ledger and (unless `secrets` is False: the master key is then
    not needed) credentials."""
    loaded = community.load(user)
    return Scope(
        loaded,
        community.state_path(user),
        community.secrets(user) if secrets else None,
        user,
        f"{user}'s secrets ({community.secrets_path(user)})",
    )
