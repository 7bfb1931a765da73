"""Help that reads as a person writes it: `--since DATE`, `ACCOUNT`, `--tag TAG`, flags with no
placeholder, and each command's one-line summary whole in the command list.

typer prints type names (`<bool>`, `<str>`, `<%Y-%m-%d>`, `{account}`) where click printed
placeholders; `readable` puts the placeholders back on a built command tree.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from enum import Enum
from typing import Any

from typer.core import TyperArgument, TyperOption


class _ReadableArgument(TyperArgument):
    """An argument shown by its placeholder alone: `ACCOUNT`, `[BACKUP]` (no type column)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")


def readable(command: Any) -> Any:
    """Give every command and option of the tree a readable placeholder; returns it."""
    if command.short_help is None and command.help:
        first = inspect.cleandoc(command.help).split("\n\n", 1)[0]
        command.short_help = " ".join(first.split())
    for param in command.params:
        _placeholder(param)
    command.get_help_option = _flag_help(command.get_help_option)
    for sub in (getattr(command, "commands", None) or {}).values():
        readable(sub)
    return command


def _flag_help(get: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """-h/--help is made when help is asked for: it is a flag, shown without a placeholder."""

    def help_option(ctx: Any) -> Any:
        option = get(ctx)
        if option is not None:
            option.metavar = ""
        return option

    return help_option


def _placeholder(param: object) -> None:
    if isinstance(param, TyperArgument):
        if param.metavar is None:
            param.metavar = (param.name or "value").upper()
        param.__class__ = _ReadableArgument
        return
    if not isinstance(param, TyperOption) or param.metavar is not None:
        return
    if param.is_flag or param.count:
        param.metavar = ""
        return
    param.metavar = _metavar(param)


def _metavar(option: TyperOption) -> str:
    choices = _choices(option)
    if choices:
        return "|".join(choices)
    long = [opt for opt in option.opts if opt.startswith("--")]
    name = long[0] if long else (option.name or "value")
    return name.lstrip("-").replace("-", "_").upper()


def _choices(option: TyperOption) -> list[str]:
    kind = option.type_descriptor
    if not kind.is_choice or not kind.choices:
        return []
    return [c.value if isinstance(c, Enum) else str(c) for c in kind.choices]
