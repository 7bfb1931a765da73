"""The `crosspost` command line: parse, load config, call one function, print.

The only package that imports typer (and, for progress, rich). Known errors become one line on
stderr and a documented exit code; a traceback only with CROSSPOST_DEBUG=1. Each command group
lives in its own module and registers itself on the root app when imported; `main` imports only
the module of the command being run (`crosspost.cli.commands`), so `crosspost --help` and
`crosspost status` start quickly. `app` (for tests and tools) is the app with every command
registered: asking for it imports them all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crosspost.errors import CrosspostError, ExitCode, Interrupted

if TYPE_CHECKING:
    import typer

    app: typer.Typer

__all__ = [
    "accounts_commands",
    "app",
    "backup_commands",
    "main",
    "people_commands",
    "repair_commands",
    "site_commands",
    "sync_commands",
    "text_commands",
    "view_commands",
]


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from crosspost.cli.commands import import_all
    from crosspost.cli.root import app

    import_all()
    globals()["app"] = app
    return app


def main() -> None:
    """Entry point: run the app, turning known errors into one line and an exit code."""
    import typer.main

    from crosspost.cli.failures import files_error, is_file_error
    from crosspost.cli.readable import readable
    from crosspost.cli.root import app

    command = readable(typer.main.get_command(app))
    command.invoke = _interruptible(command.invoke)
    try:
        command.main(prog_name="crosspost")
    except CrosspostError as error:
        if os.environ.get("CROSSPOST_DEBUG") == "1":
            raise
        typer.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    except OSError as error:
        if os.environ.get("CROSSPOST_DEBUG") == "1" or not is_file_error(error):
            raise
        typer.echo(f"error: {files_error(error)}", err=True)
        sys.exit(ExitCode.FILES)


def _interruptible(invoke: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Ctrl-C in a command that does not say more itself: what was done is kept, and how to
    go on (typer would exit 130 without a word)."""

    def guarded(ctx: Any) -> Any:
        from crosspost.cli.failures import same_command

        try:
            return invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted: what was done before is kept; run `{same_command()}` again to go on"
            ) from None

    return guarded
