"""`crosspost repair`: quarantine what `verify` finds damaged; the next backup fetches it again."""

from __future__ import annotations

import json

import typer

from crosspost.cli.backup_commands import BackupArg, DirOpt, JsonOpt, choose_backup
from crosspost.cli.options import ConfigOpt
from crosspost.cli.root import app


@app.command("repair")
def repair(
    target: BackupArg = None,
    directory: DirOpt = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Move damaged files (media whose hash no longer matches, post files that do not parse)
    to the account's quarantine/ folder, so the next backup fetches them again.

    Nothing is deleted. Run `crosspost verify` first to see what is damaged, then
    `crosspost backup ACCOUNT` to fetch it again.
    """
    from crosspost.backup.repair import repair_backup

    chosen = choose_backup(target, directory, config)
    report = repair_backup(chosen.root, chosen.accounts if chosen.named else None)
    if as_json:
        typer.echo(json.dumps(report.to_json(), sort_keys=True))
        return
    if not report.moved:
        typer.echo(f"checked {report.accounts} account(s) in {chosen.root}: nothing damaged")
        return
    count = len(report.moved)
    typer.echo(
        f"quarantined {count} damaged file{'' if count == 1 else 's'} in {chosen.root} "
        "(moved to quarantine/ in each account's folder, not deleted)"
    )
    for path in report.moved:
        typer.echo(f"  {path}")
    for line in report.kept:
        typer.echo(f"  kept: {line}")
    typer.echo(
        f"the next backup fetches {report.posts} post(s) and {report.media} media file(s) again"
    )
