"""The `crosspost` command line: parse, load config, call one function, print.

The only package that imports typer (and, for progress, rich). Known errors become one line on
stderr and a documented exit code; a traceback only with CROSSPOST_DEBUG=1. Each command group
lives in its own module and registers itself on `app` when imported here.
"""

from __future__ import annotations

import os
import sys

import typer

from crosspost.cli import (
    accounts_commands,
    backup_commands,
    repair_commands,
    sync_commands,
    text_commands,
    view_commands,
)
from crosspost.cli.app import app
from crosspost.errors import CrosspostError

__all__ = [
    "accounts_commands",
    "app",
    "backup_commands",
    "main",
    "repair_commands",
    "sync_commands",
    "text_commands",
    "view_commands",
]


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
