"""The `view` command: render a backup folder as a static HTML site to browse offline."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from crosspost.cli.app import app


class RichProgress:
    """crosspost.progress.Progress drawn as transient rich bars on stderr."""

    def __init__(self) -> None:
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bars.stop()

    def start(self, task: str, total: int | None = None) -> None:
        self._tasks[task] = self._bars.add_task(task, total=total)

    def advance(self, task: str, amount: int = 1) -> None:
        if task in self._tasks:
            self._bars.advance(self._tasks[task], amount)

    def finish(self, task: str) -> None:
        if task in self._tasks:
            self._bars.remove_task(self._tasks.pop(task))

    def note(self, message: str) -> None:
        self._bars.console.print(message, markup=False, highlight=False)


@app.command("view")
def view(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A backup folder (the one holding bluesky/, mastodon/, tumblr/).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the site (default: FOLDER/site).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Render a backup as a static HTML site to browse offline, from file:// with no server.

    An index newest first, monthly archives, tag pages, one page per post and a search box.
    Running it again after a backup rewrites only the pages that changed.
    """
    from crosspost.progress import NoProgress
    from crosspost.view import render_site

    if quiet:
        report = render_site(folder, out, progress=NoProgress())
    else:
        with RichProgress() as progress:
            report = render_site(folder, out, progress=progress)
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
