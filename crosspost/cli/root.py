"""The typer app, its root group and root options. Nothing here names a command: each command
module registers its commands on `app` when imported, `crosspost.cli.commands` says which module
holds which, and the root group imports a command's module only when that command is run,
completed or its own help shown: `crosspost --help` and `crosspost status` import only what
they need."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, MutableMapping
from gettext import gettext as _
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from crosspost import __version__
from crosspost.cli.commands import ENTRIES, import_command_module


def _build(name: str) -> Any:
    """The click command `name`, its module imported (it registers the command on the app)."""
    import_command_module(ENTRIES[name].module)
    for info in app.registered_commands:
        if (info.name or typer.main.get_command_name(info.callback.__name__)) == name:  # type: ignore[union-attr]
            return typer.main.get_command_from_info(
                info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
    for group in app.registered_groups:
        if group.name == name:
            return typer.main.get_group_from_info(
                group,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
    raise LookupError(f"crosspost.cli.{ENTRIES[name].module} registers no command {name!r}")


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands: those built already, and every other one of `COMMANDS`, built on
    first access. `prepare` (the CLI's `readable`) is given each command once, when reached."""

    def __init__(self, built: MutableMapping[str, Any]) -> None:
        # A group built before its commands' module registered them (`config`) is built again.
        self._built = {
            name: command
            for name, command in built.items()
            if name not in ENTRIES or f"crosspost.cli.{ENTRIES[name].module}" in sys.modules
        }
        self._ready: set[str] = set()
        self._prepare: Callable[[Any], Any] | None = None

    def prepare_with(self, prepare: Callable[[Any], Any]) -> None:
        self._prepare = prepare
        self._ready.clear()

    def is_built(self, name: str) -> bool:
        return name in self._built

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in ENTRIES:
                raise KeyError(name)
            self._built[name] = _build(name)
        command = self._built[name]
        if self._prepare is not None and name not in self._ready:
            self._ready.add(name)
            self._prepare(command)
        return command

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command
        self._ready.discard(name)

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from ENTRIES
        yield from (name for name in self._built if name not in ENTRIES)

    def __len__(self) -> int:
        return len(ENTRIES) + sum(1 for name in self._built if name not in ENTRIES)

    def __contains__(self, name: object) -> bool:
        return name in ENTRIES or name in self._built


class LazyGroup(TyperGroup):
    """The root group: its command list and summaries from `COMMANDS`; a command built (its
    module imported) when it is run, completed or its own help shown."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        commands = self.commands
        assert isinstance(commands, LazyCommands)
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in ENTRIES and not commands.is_built(name):
                rows.append((name, ENTRIES[name].summary))
                continue
            command = commands[name]
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)


# Help fills the terminal up to 120 columns (click's default stops at 80).
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 120}

# Plain help, as click writes it: typer's rich panels import rich, markdown-it and pygments
# (about half of `crosspost --help`: 0.30 s against 0.16 s) to draw boxes around the same text.
# Progress bars still use rich, imported by the commands that show them.
app = typer.Typer(
    name="crosspost",
    help="Back up, cross-post and migrate your writing between Tumblr, Bluesky, Mastodon and "
    "Dreamwidth.",
    context_settings=CONTEXT,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
    cls=LazyGroup,
)
config_app = typer.Typer(
    help="Check the config file.", context_settings=CONTEXT, rich_markup_mode=None
)
app.add_typer(config_app, name="config")


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
    """Back up, cross-post and migrate your writing between Tumblr, Bluesky, Mastodon and
    Dreamwidth."""
