"""The typer app, its root options, and the option types the commands share."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from crosspost import __version__
from crosspost.model import Platform
from crosspost.platforms.registry import spec

# Help fills the terminal up to 120 columns (click's default stops at 80).
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 120}

# Plain help, as click writes it: typer's rich panels import rich, markdown-it and pygments
# (about half of `crosspost --help`: 0.30 s against 0.16 s) to draw boxes around the same text.
# Progress bars still use rich, imported by the commands that show them.
app = typer.Typer(
    name="crosspost",
    help="Back up, cross-post and migrate your writing between Tumblr, Bluesky and Mastodon.",
    context_settings=CONTEXT,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
)
config_app = typer.Typer(
    help="Check the config file.", context_settings=CONTEXT, rich_markup_mode=None
)
app.add_typer(config_app, name="config")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="FILE",
        help="Config file (default: CROSSPOST_CONFIG, then the user config dir).",
        show_default=False,
    ),
]
AccountArg = Annotated[
    str,
    typer.Argument(
        help="An account named in the config, or PLATFORM:IDENTITY "
        f"({', '.join(f'{p.value}:{spec(p).identity_example}' for p in Platform)}).",
        show_default=False,
    ),
]


E = TypeVar("E", bound=StrEnum)


def one_of(kind: type[E], what: str) -> dict[str, Any]:
    """typer.Option arguments for a choice among an enum's values: the values as placeholder,
    completed by the shell, and a wrong one answered with the list (not a validator's text)."""
    names = [member.value for member in kind]

    def parse(value: str | E) -> E:
        if isinstance(value, kind):
            return value
        try:
            return kind(str(value).strip().lower())
        except ValueError:
            raise typer.BadParameter(
                f"{value!r} is not a {what}; expected one of: {', '.join(names)}"
            ) from None

    def complete(incomplete: str) -> list[str]:
        return [name for name in names if name.startswith(incomplete.lower())]

    parser: Callable[[str], E] = parse
    return {"parser": parser, "metavar": "|".join(names), "autocompletion": complete}


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
