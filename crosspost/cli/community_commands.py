"""`crosspost community init` and `crosspost community users`: set up a community (many users'
configs, ledgers and encrypted credentials, crosspost.community) and check its users."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crosspost.cli.community_scope import community_of
from crosspost.cli.options import CommunityOpt
from crosspost.cli.root import CONTEXT, app
from crosspost.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from crosspost.accounts import Account
    from crosspost.community import Community

community_app = typer.Typer(
    help="Set up and check a community: many users' rules run by one set of workers.",
    context_settings=CONTEXT,
    rich_markup_mode=None,
)
app.add_typer(community_app, name="community")


@community_app.command("init")
def init(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="The folder to set up (made if missing).", show_default=False
        ),
    ],
) -> None:
    """Write a starter community in DIR: community.toml, the users, state and secrets folders,
    and a new master key file (0600). What is there already is kept."""
    from crosspost.community import init_community

    for line in init_community(folder):
        typer.echo(line)
    path = folder / "community.toml"
    typer.echo(
        f"next: put a user's config in {folder / 'users'}/NAME.toml, then "
        f"`crosspost login ACCOUNT --community {path} --user NAME`"
    )


@community_app.command("users")
def users(community: CommunityOpt = None) -> None:
    """List the users with their accounts, rules and stored credentials, and what stops any
    of them (exit code 3 when something does)."""
    from crosspost.community import check_user

    many = community_of(community, None)
    if many is None:
        raise ConfigError("no community file: pass --community FILE or set CROSSPOST_COMMUNITY")
    problems = 0
    names = many.users()
    for user, loaded in many.configs(names):
        if isinstance(loaded, ConfigError):
            typer.echo(f"{user}: not run: {loaded}")
            problems += 1
            continue
        found = check_user(many, user)
        stored = "?" if found else str(_stored(many, user, loaded.accounts))
        accounts = len(loaded.accounts)
        typer.echo(
            f"{user}: {accounts} account{'s' * (accounts != 1)}, {len(loaded.rules)} "
            f"rule{'s' * (len(loaded.rules) != 1)}, credentials for {stored} of {accounts}"
        )
        for problem in found:
            typer.echo(f"  problem: {problem}")
        problems += bool(found)
    for path in many.misnamed():
        typer.echo(
            f"{path.name}: not run: {path.stem!r} is not a user name (letters, digits, '-' and "
            "'_' only); rename the file"
        )
        problems += 1
    if not names and not many.misnamed():
        typer.echo(f"no users yet: add USER.toml files to {many.users_dir}")
    if problems:
        raise typer.Exit(ExitCode.CONFIG)


def _stored(community: Community, user: str, accounts: Mapping[str, Account]) -> int:
    store = community.secrets(user)
    return sum(store.load(account) is not None for account in accounts.values())
