"""The option and argument types the commands share."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from crosspost.model import Platform
from crosspost.platforms.registry import spec

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


CommunityOpt = Annotated[
    Path | None,
    typer.Option(
        "--community",
        envvar="CROSSPOST_COMMUNITY",
        metavar="FILE",
        help="A community file: many users' configs, ledgers and secrets (README: 'Running it "
        "for a community'); --config and --state are then not used.",
        show_default=False,
    ),
]
UserOpt = Annotated[
    str | None,
    typer.Option(
        "--user",
        "-u",
        metavar="NAME",
        help="The user of the community (USERS/NAME.toml) to work for.",
        show_default=False,
    ),
]
