"""The JSON codec of the model's frozen dataclasses, driven by `dataclasses.fields()` and hints.

One rule per kind of type, so a field added to `Post` (or to anything it holds) needs no edit here:

- `str`, `int`, `float`, `bool`: written as they are; read with the type (`"title": 5` reads as
  "5", as the hand-written codec this replaces did);
- an enum: its value; an unknown value is refused naming the allowed ones;
- `datetime`: `isoformat()` and back;
- `tuple[X, ...]`: an array of X; `X | None`: null or X; `dict[str, Any]` (`Post.raw`): as it is;
- a dataclass: an object with a key per field, or, for a class marked `@json_array` (`Span`), the
  array of its field values in field order (`[start, end, kind, value]`: spans are many).

Reading, a missing or null key takes the field's default and an unknown key is ignored; malformed
input raises InvalidPostError saying where (`trail[0].media[1].kind`). A type with no rule raises
TypeError on first use, so a field the codec cannot carry fails every test instead of vanishing.

Speed: backups encode every post they save, and read every post to render or verify. So the rules
run once per class, on first use, writing the source of one encode and one decode function (as
`dataclasses` writes `__init__`). These are as fast as the hand-written codec they replace: for
the golden post (tests/golden/model/post.json) 19 us to encode and 76 us to decode, against 19 and
86; closures walking the fields at each call took 45 and 130.

This module imports nothing from the project but `crosspost.errors`, so that `crosspost.model`
can use it and stay at the bottom of the layers.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import types
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from crosspost.errors import InvalidPostError

T = TypeVar("T")
E = TypeVar("E", bound=Enum)
Convert = Callable[[Any], Any]
_ARRAYS: set[type] = set()


def json_array(cls: type[T]) -> type[T]:
    """Write instances of this dataclass as the array of their field values, in field order."""
    _ARRAYS.add(cls)
    return cls


def encode(value: Any) -> dict[str, Any]:
    """The JSON-ready dict of a dataclass instance (its nested values converted too)."""
    function = _ENCODERS.get(type(value)) or _compiled(type(value), _ENCODERS, _write_encoder)
    result: dict[str, Any] = function(value)
    return result


def decode(cls: type[T], data: Mapping[str, Any]) -> T:
    """An instance of `cls` from its `encode` form; InvalidPostError when it is malformed."""
    function = _DECODERS.get(cls) or _compiled(cls, _DECODERS, _write_decoder)
    try:
        result: T = function(data)
    except _Malformed as error:
        raise InvalidPostError(error.message()) from None
    except InvalidPostError:  # the model's own checks (a span outside its text, ...)
        raise
    except (TypeError, ValueError) as error:  # a value no rule expected: still the data's fault
        raise InvalidPostError(f"post JSON is malformed: {error!r}") from None
    return result


def enum_member(enum: type[E], value: object) -> E:
    """The member of `enum` with this value; InvalidPostError naming the allowed ones."""
    try:
        return enum(str(value)) if isinstance(value, str) else enum(value)
    except (ValueError, TypeError):
        raise InvalidPostError(_unknown(enum, value)) from None


def _unknown(enum: type[Enum], value: object) -> str:
    what = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", enum.__name__).lower()  # PostKind: "post kind"
    allowed = ", ".join(str(member.value) for member in enum)
    return f"unknown {what} {value!r} (expected one of: {allowed})"


class _Malformed(Exception):
    """Malformed input; the path to it is collected while the error unwinds, innermost first."""

    def __init__(self, before: str, after: str = "") -> None:
        super().__init__(before, after)
        self.before, self.after = before, after
        self.path: list[str | int] = []

    def message(self) -> str:
        where = ""
        for step in reversed(self.path):
            where += f"[{step}]" if isinstance(step, int) else f".{step}" if where else step
        return f"{self.before}{where or 'post'}{self.after}"


# --- what the generated functions call -----------------------------------------------------------

_MALFORMED = "post JSON is malformed: "


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _Malformed(_MALFORMED, f" must be an integer, not {value!r}") from None


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _Malformed(_MALFORMED, f" must be a number, not {value!r}") from None


def _datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _Malformed("", " must be an ISO 8601 string")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _Malformed("", f" {value!r} is not an ISO 8601 datetime") from None


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _Malformed("", " must be a JSON object")
    return dict(value)


def _enum(members: Mapping[Any, Enum], enum: type[Enum], value: Any) -> Enum:
    try:
        return members[value]
    except (KeyError, TypeError):
        try:
            return enum(value)  # an alias, or a member of a subclass
        except (ValueError, TypeError):
            raise _Malformed(_unknown(enum, value) + " at ") from None


def _tuple(item: Convert, value: Any) -> tuple[Any, ...]:
    try:
        values = iter(value)  # like the hand-written codec: any iterable
    except TypeError:
        raise _Malformed(_MALFORMED, " must be a JSON array") from None
    result = []
    for index, each in enumerate(values):
        try:
            result.append(item(each))
        except _Malformed as error:
            error.path.append(index)
            raise
    return tuple(result)


# --- the rules, written out as source once per class ---------------------------------------------

_NAMESPACE: dict[str, Any] = {
    "Mapping": Mapping,
    "_Malformed": _Malformed,
    "_MISSING": dataclasses.MISSING,
    "_MALFORMED": _MALFORMED,
    "_int": _int,
    "_float": _float,
    "_datetime": _datetime,
    "_dict": _dict,
    "_enum": _enum,
    "_tuple": _tuple,
}
_ENCODERS: dict[type, Convert] = {}
_DECODERS: dict[type, Convert] = {}
_NAMES: dict[tuple[str, type], str] = {}  # (encode/decode, class): its function's global name
_LOCK = threading.RLock()


def _compiled(cls: type, done: dict[type, Convert], write: Callable[[type], str]) -> Convert:
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"the model's JSON codec reads and writes dataclasses, not {cls!r}")
    with _LOCK:
        name = write(cls)
        done[cls] = _NAMESPACE[name]
    return done[cls]


def _function(kind: str, cls: type, write_source: Callable[[str], str]) -> str:
    """The name of the generated function of this kind for `cls`, writing it the first time. The
    name is taken before the source is written: a class may hold itself (`Post.trail`)."""
    key = (kind, cls)
    if key in _NAMES:
        return _NAMES[key]
    name = _NAMES[key] = f"_{kind}_{len(_NAMES)}_{cls.__name__}"
    try:
        source = write_source(name)
        exec(compile(source, f"<model_codec {kind} {cls.__qualname__}>", "exec"), _NAMESPACE)
    except BaseException:
        del _NAMES[key]
        raise
    return name


def _constant(value: Any) -> str:
    name = f"_c{len(_NAMESPACE)}"
    _NAMESPACE[name] = value
    return name


def _optional(hint: Any) -> Any:
    """X for `X | None`, else None."""
    args = get_args(hint)
    if get_origin(hint) in (Union, types.UnionType) and len(args) == 2 and type(None) in args:
        return args[0] if args[1] is type(None) else args[1]
    return None


def _element(hint: Any) -> Any:
    """X for `tuple[X, ...]`, else None."""
    args = get_args(hint)
    return args[0] if get_origin(hint) is tuple and len(args) == 2 and args[1] is ... else None


def _is_enum(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, Enum)


def _is_dataclass(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _no_rule(hint: Any) -> TypeError:
    return TypeError(f"the model's JSON codec has no rule for {hint!r}; add one to model_codec")


def _fields(cls: type) -> list[tuple[str, Any, bool]]:
    """(name, type hint, required) of each field."""
    hints = get_type_hints(cls)
    return [(f.name, hints[f.name], _no_default(f)) for f in dataclasses.fields(cls)]


def _no_default(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _write_encoder(cls: type) -> str:
    def source(name: str) -> str:
        values = [(field, _encoding(hint, f"value.{field}", 0)) for field, hint, _ in _fields(cls)]
        if cls in _ARRAYS:
            body = "[" + ", ".join(expression for _, expression in values) + "]"
        else:
            body = "{" + ", ".join(f"{field!r}: {expression}" for field, expression in values) + "}"
        return f"def {name}(value):\n    return {body}\n"

    return _function("encode", cls, source)


def _encoding(hint: Any, value: str, depth: int) -> str:
    """A Python expression writing `value`, of type `hint`, as JSON."""
    if hint in (str, int, float, bool) or get_origin(hint) is dict:
        return value
    if _is_enum(hint):
        return f"{value}.value"
    if hint is datetime:
        return f"{value}.isoformat()"
    if (inner := _optional(hint)) is not None:
        written = _encoding(inner, value, depth)
        return value if written == value else f"(None if {value} is None else {written})"
    if (element := _element(hint)) is not None:
        item = f"_{depth}"
        written = _encoding(element, item, depth + 1)
        return f"list({value})" if written == item else f"[{written} for {item} in {value}]"
    if _is_dataclass(hint):
        return f"{_write_encoder(hint)}({value})"
    raise _no_rule(hint)


def _write_decoder(cls: type) -> str:
    def source(name: str) -> str:
        fields = _fields(cls)
        lines = [f"def {name}(data):", *_decode_check(cls, fields), "    values = {}"]
        lines += ["    at = None", "    try:", "        pass"]
        for index, (field, hint, required) in enumerate(fields):
            lines += _decode_field(cls in _ARRAYS, index, field, hint, required)
        lines += [
            "    except _Malformed as error:",
            "        error.path.append(at)",
            "        raise",
            f"    return {_constant(cls)}(**values)",
        ]
        return "\n".join(lines) + "\n"

    return _function("decode", cls, source)


def _decode_check(cls: type, fields: list[tuple[str, Any, bool]]) -> list[str]:
    """The first lines of a decoder: is `data` an object (or, for a json_array class, an array of
    the right length)?"""
    if cls not in _ARRAYS:
        return [
            "    if not isinstance(data, Mapping):",
            "        raise _Malformed('', ' must be a JSON object')",
            "    get = data.get",
        ]
    needed = sum(required for _, _, required in fields)
    shape = ", ".join(field for field, _, _ in fields)
    length = f"{needed} <= len(data) <= {len(fields)}"
    return [
        f"    if not isinstance(data, (list, tuple)) or not {length}:",
        f"        raise _Malformed(_MALFORMED, ' must be an array [{shape}]')",
    ]


def _decode_field(array: bool, index: int, field: str, hint: Any, required: bool) -> list[str]:
    """The lines reading one field into `values`. A field with a default keeps it when its key is
    missing or null (`"tags": null` reads as no tags)."""
    if not array:
        read = f"get({field!r}, _MISSING)"
    else:
        read = (
            f"data[{index}]" if required else f"data[{index}] if len(data) > {index} else _MISSING"
        )
    lines = [f"        at = {field!r}", f"        v = {read}"]
    store = f"values[{field!r}] = {_decoding(hint, 'v')}"
    if required and not array:
        lines += [
            "        if v is _MISSING:",
            "            raise _Malformed(_MALFORMED, ' is missing')",
        ]
    if required:
        return [*lines, f"        {store}"]
    return [*lines, "        if v is not _MISSING and v is not None:", f"            {store}"]


def _decoding(hint: Any, value: str) -> str:
    """A Python expression reading `value` (a name) as `hint`, raising _Malformed."""
    if hint is str:
        return f"({value} if type({value}) is str else str({value}))"
    if hint is int:
        return f"({value} if type({value}) is int else _int({value}))"
    if hint is float:
        return f"({value} if type({value}) is float else _float({value}))"
    if hint is bool:
        return f"bool({value})"
    if hint is datetime:
        return f"_datetime({value})"
    if get_origin(hint) is dict:
        return f"_dict({value})"
    if _is_enum(hint):
        members = _constant({member.value: member for member in hint})
        return f"_enum({members}, {_constant(hint)}, {value})"
    if (inner := _optional(hint)) is not None:
        return f"(None if {value} is None else {_decoding(inner, value)})"
    if (element := _element(hint)) is not None:
        item = _write_decoder(element) if _is_dataclass(element) else _item_function(element)
        return f"_tuple({item}, {value})"
    if _is_dataclass(hint):
        return f"{_write_decoder(hint)}({value})"
    raise _no_rule(hint)


def _item_function(hint: Any) -> str:
    """A function reading one item of a tuple of `hint`."""
    name = f"_item{len(_NAMESPACE)}"
    exec(f"def {name}(v):\n    return {_decoding(hint, 'v')}\n", _NAMESPACE)
    return name
