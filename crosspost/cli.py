"""The `crosspost` command line: parse, load config, call one function, print.

The only module that imports typer (and, for progress, rich). Known errors become one line on
stderr and a documented exit code; a traceback only with CROSSPOST_DEBUG=1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from crosspost import __version__
from crosspost.accounts import Account
from crosspost.config import Config, FitModeName, SyncRule, load_config
from crosspost.credentials import REQUIRED_FIELDS, CredentialStore
from crosspost.errors import CredentialsError, CrosspostError, ExitCode
from crosspost.model import Platform

CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="crosspost",
    help="Back up, cross-post and migrate your writing between Tumblr, Bluesky and Mastodon.",
    context_settings=CONTEXT,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Check the config file.", context_settings=CONTEXT)
app.add_typer(config_app, name="config")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (default: CROSSPOST_CONFIG, then the user config dir).",
        show_default=False,
    ),
]
AccountArg = Annotated[
    str,
    typer.Argument(
        help="An account named in the config, or PLATFORM:IDENTITY "
        "(bluesky:alice.bsky.social, mastodon:alice@mastodon.social, tumblr:staff).",
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crosspost {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Back up, cross-post and migrate your writing between Tumblr, Bluesky and Mastodon."""


@config_app.command("check")
def config_check(config: ConfigOpt = None) -> None:
    """Validate the config; list each account (and whether it has credentials) and rule."""
    loaded = load_config(config)
    store = CredentialStore()
    typer.echo(f"config: {loaded.path}")
    _print_accounts(loaded, store)
    typer.echo("rules:" if loaded.rules else "rules: none")
    for rule in loaded.rules:
        typer.echo(f"  {rule.name}: {_describe_rule(rule)}")
    typer.echo("config is valid")


@app.command("accounts")
def accounts(config: ConfigOpt = None) -> None:
    """List the configured accounts and whether their credentials are present."""
    loaded = load_config(config)
    _print_accounts(loaded, CredentialStore())


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
            help="Tumblr: type all four OAuth1 values instead of authorising in the browser.",
        ),
    ] = False,
) -> None:
    """Store an account's secret in the OS keyring (app password, access token or OAuth1 keys).

    For Tumblr, give your app's consumer key and secret (tumblr.com/oauth/apps), then open the
    address shown, allow crosspost, and paste back the verifier.
    """
    target = load_config(config, required=False).account(account)
    store = CredentialStore()
    problem = store.keyring_problem()
    if problem:
        raise CredentialsError(
            f"{problem}, so `login` cannot store anything; set {target.secret_env} instead "
            "(README: 'Credentials on machines without a keyring')"
        )
    if stdin:
        fields = _read_secret_stdin(target)
    elif target.platform is Platform.TUMBLR and not manual:
        fields = _tumblr_oauth_login(target)
    else:
        fields = _prompt_secret(target)
    store.save(target, fields)
    typer.echo(f"stored credentials for {target.name} ({target.spec}) in the OS keyring")


@app.command("logout")
def logout(account: AccountArg, config: ConfigOpt = None) -> None:
    """Forget an account's credentials stored in the OS keyring."""
    target = load_config(config, required=False).account(account)
    removed = CredentialStore().delete(target)
    typer.echo(
        f"removed the stored credentials of {target.name}"
        if removed
        else f"no stored credentials for {target.name}"
    )


@app.command("fit")
def fit(
    text: Annotated[
        str,
        typer.Argument(
            help="The post's text, or - to read it from standard input.", show_default=False
        ),
    ],
    to: Annotated[Platform, typer.Option("--to", help="The platform to fit the post to.")],
    mode: Annotated[
        FitModeName, typer.Option(help="thread: split into posts; truncate: cut, link back.")
    ] = FitModeName.THREAD,
    numbering: Annotated[bool, typer.Option(help='Number thread posts like " (1/3)".')] = True,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="A tag of the post as written (repeatable)."),
    ] = None,
    link_back: Annotated[
        str | None,
        typer.Option(help="URL of the original post (truncate mode ends with it)."),
    ] = None,
    max_chars: Annotated[
        int | None,
        typer.Option(help="The server's character limit (Mastodon instances differ; default 500)."),
    ] = None,
) -> None:
    """Show how a post would be fitted to a platform: the chunks, their counts, tags and notes.

    Nothing is sent. URLs and #hashtags in the text are found as a platform would find them.
    """
    from crosspost.text.preview import describe_fit

    body = sys.stdin.read() if text == "-" else text
    typer.echo(
        describe_fit(
            body,
            to,
            mode=mode.value,
            numbering=numbering,
            tags=tuple(tag or ()),
            link_back=link_back,
            max_chars=max_chars,
        )
    )


@app.command("convert")
def convert(
    source: Annotated[
        Platform, typer.Option("--from", help="The platform the native post comes from.")
    ],
    target: Annotated[Platform, typer.Option("--to", help="The platform to convert it for.")],
    file: Annotated[
        str,
        typer.Argument(help="A native post as JSON (a file, or - for standard input)."),
    ] = "-",
    mode: Annotated[
        FitModeName, typer.Option(help="thread: split into posts; truncate: cut, link back.")
    ] = FitModeName.THREAD,
    numbering: Annotated[bool, typer.Option(help='Number thread posts like " (1/3)".')] = True,
) -> None:
    """Print the payloads the target would be sent for one native post: one JSON object per line,
    one line per post of the thread. Nothing is sent; media show as placeholders to upload.

    The input is a Bluesky record or post view, a Mastodon status, or a Tumblr post (NPF),
    as their APIs return them. Notes about what could not be carried go to standard error.
    """
    import json
    from datetime import UTC, datetime

    from crosspost.convert import convert_native
    from crosspost.text.fit import FitMode, FitOptions

    text = sys.stdin.read() if file == "-" else _read_text(Path(file))
    options = FitOptions(mode=FitMode(mode.value), numbering=numbering)
    result = convert_native(text, source, target, options, datetime.now(UTC))
    for payload in result.payloads:
        typer.echo(json.dumps(payload, ensure_ascii=False, sort_keys=True))
    for note in result.plan.notes:
        typer.echo(f"note: {note}", err=True)
    for part in result.post.unsupported:
        typer.echo(f"not carried: {part.kind}: {part.reason}", err=True)


def _read_text(path: Path) -> str:
    from crosspost.errors import DataError

    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read the file: {error}") from None


def _print_accounts(config: Config, store: CredentialStore) -> None:
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
    if rule.since:
        parts.append(f"since {rule.since.date().isoformat()}")
    return "; ".join(parts)


_PROMPTS = {
    "app_password": "App password (Bluesky: Settings > Privacy and security > App passwords)",
    "access_token": "Access token (Mastodon: Preferences > Development > your application)",
    "consumer_key": "OAuth consumer key (tumblr.com/oauth/apps)",
    "consumer_secret": "OAuth consumer secret",
    "oauth_token": "OAuth token",
    "oauth_token_secret": "OAuth token secret",
}


def _prompt_secret(account: Account) -> dict[str, str]:
    return {
        name: typer.prompt(_PROMPTS[name], hide_input=True).strip()
        for name in REQUIRED_FIELDS[account.platform]
    }


def _tumblr_oauth_login(account: Account) -> dict[str, str]:
    from crosspost.platforms.tumblr.oauth import WWW_URL, credential_fields
    from crosspost.platforms.tumblr.oauth import login as oauth_login

    consumer_key = typer.prompt(_PROMPTS["consumer_key"], hide_input=True).strip()
    consumer_secret = typer.prompt(_PROMPTS["consumer_secret"], hide_input=True).strip()
    keys = oauth_login(
        consumer_key,
        consumer_secret,
        ask=lambda prompt: str(typer.prompt(prompt.rstrip(": "))),
        say=typer.echo,
        base_url=account.service or WWW_URL,
    )
    return credential_fields(keys)


def _read_secret_stdin(account: Account) -> dict[str, str]:
    from crosspost.credentials import parse_secret_text

    return parse_secret_text(account, sys.stdin.read())


def main() -> None:
    """Entry point: run the app, turning known errors into one line and an exit code."""
    try:
        app()
    except CrosspostError as error:
        if os.environ.get("CROSSPOST_DEBUG") == "1":
            raise
        typer.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


__all__ = ["ExitCode", "Platform", "app", "main"]
