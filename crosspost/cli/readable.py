"""Help that reads as a person writes it: `--since DATE`, `ACCOUNT`, `--tag TAG`, flags with no
placeholder, and each command's one-line summary whole in the command list. Text and path
values are taken as they are, with typer's own path checks, without building a pydantic
TypeAdapter: pydantic is a tenth of a second to import, more than `crosspost status` takes.

typer prints type names (`<bool>`, `<str>`, `<%Y-%m-%d>`, `{account}`) where click printed
placeholders; `readable` puts the placeholders back on a built command tree.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from typer import BadParameter
from typer._coercion import RuntimeParam
from typer._param_types import coerce_cli_path
from typer.core import TyperArgument, TyperOption

from crosspost.cli.root import LazyCommands


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
    subcommands = getattr(command, "commands", None) or {}
    if isinstance(subcommands, LazyCommands):  # each made readable when first reached
        subcommands.prepare_with(readable)
        return command
    for sub in subcommands.values():
        readable(sub)
    return command


def _flag_help(get: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """-h/--help is made when help is asked for: it is a flag, shown without a placeholder."""

    def help_option(ctx: Any) -> Any:
        option = get(ctx)
        if option is not None:
            option.metavar = ""
            _plain_values(option)
        return option

    return help_option


@dataclass(frozen=True)
class _Plain(RuntimeParam):
    """A text or path value as given (typer's own checks for paths), with no pydantic."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        if self.annotation is bool:
            return _flag(value, param, ctx)
        if self.annotation is str:
            return value.decode() if isinstance(value, bytes) else str(value)
        path = value if isinstance(value, Path) else Path(value)
        return coerce_cli_path(path, self.parameter_info, path_type=Path, param=param, ctx=ctx)


_YES = frozenset({"1", "true", "t", "yes", "y", "on"})
_NO = frozenset({"", "0", "false", "f", "no", "n", "off"})


def _flag(value: Any, param: Any, ctx: Any) -> bool:
    if isinstance(value, bool):
        return value
    said = str(value).strip().lower()
    if said in _YES or said in _NO:
        return said in _YES
    raise BadParameter(f"{value!r} is not a valid boolean", ctx=ctx, param=param)


def _plain_values(param: object) -> None:
    """Flag, text and path parameters (no parser of their own) coerce without pydantic."""
    kind = getattr(param, "type_descriptor", None)
    if kind is None or kind.annotation not in (bool, str, Path) or kind.parameter_info.parser:
        return
    if getattr(param, "_runtime_param", True) is None:
        param._runtime_param = _Plain(kind.parameter_info, kind.annotation)  # type: ignore[attr-defined]


def _placeholder(param: object) -> None:
    _plain_values(param)
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
