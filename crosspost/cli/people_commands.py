"""The `people` command: a backup's followed accounts as the target network's import file and a
report of where each can be followed from there (Bridgy Fed's addresses, looked up on request).

A command of its own rather than `migrate --people`: it needs only a backup (no target account,
no ledger, nothing posted), and it is useful before a migration as much as after one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crosspost.cli.backup_commands import BackupArg, DirOpt, JsonOpt, QuietOpt, choose_backup
from crosspost.cli.options import ConfigOpt, one_of
from crosspost.cli.root import app
from crosspost.model import Platform

if TYPE_CHECKING:
    from crosspost.backup.people import PeopleReport
    from crosspost.platforms.bridging import Server

ToOpt = Annotated[
    Platform,
    typer.Option(
        "--to",
        help="The network you are moving to.",
        show_default=False,
        **one_of(Platform, "platform"),
    ),
]


@app.command("people")
def people_command(
    to: ToOpt,
    target: BackupArg = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Where to write the files (default: people-NETWORK/ in the account's folder).",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        str | None,
        typer.Option(
            "--check",
            metavar="ACCOUNT|URL",
            help="Ask this server of the target network whether each bridged account is there: "
            "an account of yours (its server and token), or a server's URL. Without it nothing "
            "is looked up and bridged addresses say 'not checked'.",
            show_default=False,
        ),
    ] = None,
    directory: DirOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Write the accounts a backup follows as the target's own import file, and where each
    can be followed from there.

    Mastodon gets following_accounts.csv (Preferences > Import and export > Import); Bluesky,
    which has no import, following_dids.txt and following_handles.txt. people.csv and people.md
    list every account: its address on the target (its Bridgy Fed address where it lives on the
    other network), and whether it is known to be there.
    """
    from crosspost.backup.people import people

    chosen = choose_backup(target, directory, config)
    if len(chosen.accounts) != 1:
        names = ", ".join(f"{b.platform.value}/{b.folder.name}" for b in chosen.accounts)
        raise typer.BadParameter(
            f"name one account's backup (found {len(chosen.accounts)}: {names or 'none'})",
            param_hint="BACKUP",
        )
    (backup,) = chosen.accounts
    server = _server(check, to, config) if check else None
    folder = out or backup.folder / f"people-{to.value}"
    report = people(backup, to, folder, server=server)
    if as_json:
        from crosspost.cli.json_out import dumps

        typer.echo(dumps(_json(report)))
        return
    if quiet:
        return
    typer.echo(report.summary())
    if report.check_error:
        typer.echo(f"the lookups stopped: {report.check_error}", err=True)
    for path in report.files:
        typer.echo(f"wrote {path}")


def _server(check: str, to: Platform, config: Path | None) -> Server:
    from crosspost.accounts import check_service_url
    from crosspost.backup.people import server_for
    from crosspost.config import load_config
    from crosspost.credentials import Secrets
    from crosspost.platforms.bridging import Server
    from crosspost.platforms.registry import spec

    if check.startswith(("http://", "https://")):
        return Server(check_service_url(check))
    account = load_config(config, required=False).account(check)
    if account.platform is not to:
        raise typer.BadParameter(
            f"{check} is a {spec(account.platform).display_name} account; --check needs one on "
            f"{spec(to).display_name}, the --to network",
            param_hint="--check",
        )
    credentials = Secrets().load(account)
    return server_for(account, credentials.fields if credentials is not None else None)


def _json(report: PeopleReport) -> dict[str, Any]:
    from crosspost.backup.people import display_status

    return {
        "kind": "people",
        "source": f"{report.source.platform.value}/{report.source.account}",
        "target": report.target.value,
        "checked_on": report.checked_on,
        "check_error": report.check_error,
        "counts": report.counts(),
        "summary": report.summary(),
        "files": [str(p) for p in report.files],
        "people": [
            {
                "handle": row.person.handle,
                "id": row.person.id,
                "network": row.network,
                "address": row.address,
                "route": row.where.route.value,
                "status": display_status(row),
                "note": row.where.note,
            }
            for row in report.rows
        ],
    }
