"""The `view` command: render a backup folder as a static HTML site to browse offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crosspost.cli.backup_commands import BackupArg, DirOpt, JsonOpt, QuietOpt, choose_backup
from crosspost.cli.failures import kept_on_failure
from crosspost.cli.options import ConfigOpt
from crosspost.cli.progress_bars import progress_bars
from crosspost.cli.root import app


@app.command("view")
def view(
    target: BackupArg = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Where to write the site (default: site/ in the backup folder).",
            show_default=False,
        ),
    ] = None,
    directory: DirOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Render a backup as a static HTML site to browse offline, from file:// with no server.

    An index newest first, monthly archives, tag pages, one page per post and a search box.
    Running it again after a backup rewrites only the pages that changed.
    """
    from crosspost.view import render_site

    # An account (its folder or its name) is shown in the site of the backup holding it.
    folder = choose_backup(target, directory, config).root
    with kept_on_failure(out or folder, "every page written so far"), progress_bars(quiet) as bar:
        report = render_site(folder, out, progress=bar)
    if as_json:
        from crosspost.cli.json_out import dumps, site_json

        typer.echo(dumps(site_json(report)))
        return
    if quiet:
        return
    accounts = f"{report.accounts} account{'s' if report.accounts != 1 else ''}"
    typer.echo(
        f"rendered {report.posts:,} posts from {accounts} into {report.out}: "
        f"{report.pages:,} files ({len(report.written):,} written, {report.unchanged:,} "
        f"unchanged, {len(report.removed):,} removed), {report.media:,} media files, "
        f"{_size(report.size)}"
    )
    typer.echo(f"open {report.index.resolve().as_uri()}")


def _size(size: int) -> str:
    if size < 1000:
        return f"{size:,} bytes"
    for unit, scale in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if size < scale * 1000 or unit == "GB":
            return f"{size / scale:.1f} {unit}"
    return f"{size:,} bytes"
