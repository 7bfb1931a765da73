"""The `site` command: render a backup's public posts as a static site to put on the web."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from crosspost.cli.backup_commands import BackupArg, DirOpt, JsonOpt, QuietOpt, choose_backup
from crosspost.cli.failures import kept_on_failure
from crosspost.cli.options import ConfigOpt
from crosspost.cli.progress_bars import progress_bars
from crosspost.cli.root import app
from crosspost.cli.view_commands import _size

if TYPE_CHECKING:  # the viewer is imported by the command alone (tests/test_startup.py)
    from crosspost.view.public import PublicOptions, PublicReport


class RobotsChoice(StrEnum):
    INDEX = "index"
    NOINDEX = "noindex"


@app.command("site")
def site(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Where to write the site (a new folder).",
            show_default=False,
        ),
    ],
    target: BackupArg = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            help="The address the site will have (https://you.example/): Atom feeds need it.",
        ),
    ] = None,
    robots: Annotated[
        RobotsChoice,
        typer.Option("--robots", help="Let search engines index the site, or ask them not to."),
    ] = RobotsChoice.INDEX,
    tumblr_redirects: Annotated[
        bool,
        typer.Option(
            "--tumblr-redirects",
            help="Also write post/ID/ and post/ID/SLUG/ pages that lead to each post's new "
            "page, for a site that takes over a Tumblr blog's address.",
        ),
    ] = False,
    directory: DirOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Render the public posts of a backup as a static site to upload anywhere.

    Followers-only, direct, draft, queued, private and deleted posts are left out, and so are
    likes, follows, bookmarks, lists, mutes and blocks. Links are relative; with --url each
    account and tag gets an Atom feed. Running it again rewrites only the pages that changed.
    """
    from crosspost.view.public import PublicOptions, Robots, render_public_site

    options = PublicOptions(_site_url(url), Robots(robots.value), tumblr_redirects)
    folder = choose_backup(target, directory, config).root
    with kept_on_failure(out, "every page written so far"), progress_bars(quiet) as bar:
        report = render_public_site(folder, out, options, progress=bar)
    if as_json:
        from crosspost.cli.json_out import dumps

        typer.echo(dumps(_json(report, options)))
        return
    if not quiet:
        for line in _lines(report, options):
            typer.echo(line)


def _site_url(url: str | None) -> str | None:
    if url is None:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise typer.BadParameter("give the site's address as https://host/ or https://host/path/")
    if parts.query or parts.fragment:
        raise typer.BadParameter("the site's address takes no ?query or #fragment")
    return url.strip() if url.strip().endswith("/") else url.strip() + "/"


def _lines(report: PublicReport, options: PublicOptions) -> list[str]:
    accounts = f"{report.accounts} account{'s' if report.accounts != 1 else ''}"
    lines = [
        f"published {report.posts:,} public posts from {accounts} into {report.out} "
        f"({report.left_out:,} not public left out): {report.files:,} files "
        f"({len(report.written):,} written, {report.unchanged:,} unchanged, "
        f"{len(report.removed):,} removed), {report.media:,} media files, {_size(report.size)}"
    ]
    if options.url is None:
        lines.append(
            "no Atom feeds: their ids and links must be absolute; give --url https://you.example/"
        )
    else:
        lines.append(f"{report.feeds:,} Atom feeds, under {options.url}feeds/")
    if options.old_addresses:
        lines.append(f"{report.redirects:,} pages at the posts' old addresses (post/ID/)")
    lines.append(f"robots: {options.robots.value}; upload the folder {report.out} as it is")
    return lines


def _json(report: PublicReport, options: PublicOptions) -> dict[str, object]:
    return {
        "out": str(report.out),
        "url": options.url,
        "posts": report.posts,
        "left_out": report.left_out,
        "accounts": report.accounts,
        "files": report.files,
        "written": len(report.written),
        "unchanged": report.unchanged,
        "removed": len(report.removed),
        "media": report.media,
        "bytes": report.size,
        "feeds": report.feeds,
        "redirects": report.redirects,
        "robots": options.robots.value,
    }
