"""Commands about the config and accounts: config check, accounts, login, logout."""

from __future__ import annotations

import json
import shlex
import sys
from typing import Annotated

import typer

from crosspost.accounts import Account
from crosspost.cli.community_scope import scope
from crosspost.cli.options import AccountArg, CommunityOpt, ConfigOpt, UserOpt
from crosspost.cli.root import app, config_app
from crosspost.config import Config, SyncRule
from crosspost.credentials import Secrets
from crosspost.errors import CredentialsError
from crosspost.platforms.registry import spec


@config_app.command("check")
def config_check(
    config: ConfigOpt = None, community: CommunityOpt = None, user: UserOpt = None
) -> None:
    """Validate the config; list each account (and whether it has credentials) and rule."""
    found = scope(community, user, config, None)
    loaded, store = found.config, found.secrets()
    typer.echo(f"config: {loaded.path}")
    _print_accounts(loaded, store)
    typer.echo("rules:" if loaded.rules else "rules: none")
    for rule in loaded.rules:
        typer.echo(f"  {rule.name}: {_describe_rule(rule)}")
    typer.echo("config is valid")


@app.command("accounts")
def accounts(
    config: ConfigOpt = None, community: CommunityOpt = None, user: UserOpt = None
) -> None:
    """List the configured accounts and whether their credentials are present."""
    found = scope(community, user, config, None)
    _print_accounts(found.config, found.secrets())


@app.command("login")
def login(
    account: AccountArg,
    config: ConfigOpt = None,
    stdin: Annotated[
        bool,
        typer.Option(
            "--stdin",
            help="Read the secret from standard input, in the environment-variable format "
            "(README: 'Credentials').",
        ),
    ] = False,
    manual: Annotated[
        bool,
        typer.Option(
            "--manual",
            help="Type every secret field (Tumblr: all four OAuth1 values) instead of authorising "
            "in the browser.",
        ),
    ] = False,
    community: CommunityOpt = None,
    user: UserOpt = None,
) -> None:
    """Store an account's secret in the OS keyring (app password, access token or OAuth1 keys).

    For Tumblr, give your app's consumer key and secret (tumblr.com/oauth/apps), then open the
    address shown, allow crosspost, and paste back the verifier.
    """
    found = scope(community, user, config, None, required=False)
    target, store = found.config.account(account), found.secrets()
    problem = store.keyring_problem()
    interactive = None if stdin or manual else spec(target.platform).login
    if problem and interactive is None:
        raise CredentialsError(
            f"{problem}, so `login` cannot store anything; set {target.secret_env} instead "
            "(README: 'Credentials on machines without a keyring')"
        )
    if stdin:
        fields = _read_secret_stdin(target)
    elif interactive is not None:
        fields = interactive(target, _TyperPrompter())
    else:
        fields = _prompt_secret(target)
    if problem:
        # A headless machine: the authorisation is done, but only the environment can keep it.
        value = shlex.quote(json.dumps(fields, sort_keys=True))
        typer.echo(f"{problem}: nothing was stored. Set this in the environment crosspost runs in:")
        typer.echo(f"{target.secret_env}={value}")
        return
    store.save(target, fields)
    typer.echo(f"stored credentials for {target.name} ({target.spec}) in {found.where}")


@app.command("logout")
def logout(
    account: AccountArg,
    config: ConfigOpt = None,
    community: CommunityOpt = None,
    user: UserOpt = None,
) -> None:
    """Forget an account's credentials stored in the OS keyring."""
    found = scope(community, user, config, None, required=False)
    target = found.config.account(account)
    removed = found.secrets().delete(target)
    typer.echo(
        f"removed the stored credentials of {target.name}"
        if removed
        else f"no stored credentials for {target.name}"
    )


def _print_accounts(config: Config, store: Secrets) -> None:
    if not config.accounts:
        typer.echo("accounts: none")
        return
    typer.echo("accounts:")
    rows = [
        (
            name,
            account.platform.value,
            account.identity + (f" via {account.service}" if account.service else ""),
            store.status(account).describe(),
        )
        for name, account in config.accounts.items()
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        typer.echo("  " + "  ".join([*cells, row[3]]))


def _describe_rule(rule: SyncRule) -> str:
    tags = [f"+{tag}" for tag in rule.include_tags] + [f"-{tag}" for tag in rule.exclude_tags]
    parts = [
        f"{rule.source} -> {', '.join(rule.targets)}",
        f"tags {' '.join(tags) or '(all posts)'}",
        f"kinds {', '.join(kind.value for kind in rule.kinds)}",
        f"visibility {', '.join(v.value for v in rule.visibility)}",
        f"mode {rule.options.mode.value}",
    ]
    for target in rule.targets:
        options = rule.options_for(target)
        if options.mode is not rule.options.mode:
            parts.append(f"mode {options.mode.value} on {target}")
        if options.digest.value != "none":
            parts.append(f"{options.digest.value} digest on {target} ({options.digest_timezone})")
    if rule.since:
        parts.append(f"since {rule.since.date().isoformat()}")
    return "; ".join(parts)


def _prompt_secret(account: Account) -> dict[str, str]:
    rules = spec(account.platform).credentials
    return {
        name: typer.prompt(rules.prompts.get(name, name), hide_input=True).strip()
        for name in rules.write
    }


class _TyperPrompter:
    """Prompts for a platform's interactive login, in the terminal."""

    def ask(self, prompt: str, *, secret: bool) -> str:
        return str(typer.prompt(prompt, hide_input=secret))

    def say(self, message: str) -> None:
        typer.echo(message)


def _read_secret_stdin(account: Account) -> dict[str, str]:
    from crosspost.credentials import parse_secret_text

    return parse_secret_text(account, sys.stdin.read())
