"""The items of a JSON collection document (outbox.json, likes.json: `{..., "orderedItems":
[...]}`), read from a stream one item at a time, never the whole document in memory.

Hand-written over the json module's own decoder (`raw_decode`, in C), so no dependency is
added: the reader walks the top-level object's keys itself and decodes one value at a time
from a buffer it refills in chunks. An item larger than `max_item`, nested too deep to decode,
or not JSON is skipped (scanned past, never decoded) and reported; the rest are read.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

CHUNK = 1 << 20
_SPACE = re.compile(r"[ \t\n\r]*")
_OUTSIDE = re.compile(r'["\[\]{}]')  # what changes the nesting outside a string
_INSIDE = re.compile(r'["\\]')  # what can end a string
_STRING_CUT = "Unterminated string"


class JsonStreamError(ValueError):
    """The document is not JSON from here on (not a value that can be skipped)."""


@dataclass(frozen=True, slots=True)
class BadItem:
    """An item left out: why ("larger than ...", "nested too deep", "not JSON")."""

    number: int
    reason: str


PairsHook = Callable[[list[tuple[str, Any]]], Any]


class _Reader:
    def __init__(self, stream: IO[bytes], hook: PairsHook | None, max_item: int) -> None:
        self._stream = stream
        self._text = codecs.getincrementaldecoder("utf-8")()
        self._decoder = json.JSONDecoder(object_pairs_hook=hook)
        self._max = max_item
        self.buf = ""
        self.pos = 0
        self.done = False

    def fill(self, at_least: int = CHUNK) -> bool:
        """More text into the buffer (the part before `pos` dropped); False at the end."""
        if self.done:
            return False
        data = self._stream.read(max(at_least, CHUNK))
        try:
            text = self._text.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise JsonStreamError(f"not UTF-8 ({error.reason})") from None
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        self.done = not data
        return True

    def peek(self) -> str:
        """The next non-space character ("" at the end)."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def expect(self, characters: str) -> str:
        found = self.peek()
        if not found or found not in characters:
            where = f"{found!r}" if found else "the end"
            raise JsonStreamError(f"expected one of {characters!r}, found {where}")
        self.pos += 1
        return found

    def value(self) -> tuple[bool, Any]:
        """(True, the value) or (False, why it was skipped)."""
        self.peek()
        while True:
            try:
                decoded, end = self._decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                self.skip()
                return False, "nested too deep"
            except json.JSONDecodeError as error:
                incomplete = error.msg.startswith(_STRING_CUT) or error.pos >= len(self.buf) - 1
                if incomplete and not self.done and len(self.buf) - self.pos <= self._max:
                    self.fill(len(self.buf) - self.pos)  # twice the buffer: linear, not square
                    continue
                if incomplete and self.done:
                    raise JsonStreamError(f"cut off: {error.msg}") from None
                self.skip()
                return False, "larger than the limit" if incomplete else f"not JSON ({error.msg})"
            if end == len(self.buf) and not self.done:  # a number may go on in the next chunk
                self.fill()
                continue
            if end - self.pos > self._max:
                self.pos = end
                return False, "larger than the limit"
            self.pos = end
            return True, decoded

    def skip(self) -> None:
        """Past one value, without decoding it: brackets counted outside strings."""
        depth = 0
        first = self.peek()
        if first not in '[{"':
            while True:  # a bare word or number: up to the next delimiter
                match = re.compile(r"[,\]} \t\n\r]").search(self.buf, self.pos)
                if match:
                    self.pos = match.start()
                    return
                self.pos = len(self.buf)
                if not self.fill():
                    return
        while True:
            match = _OUTSIDE.search(self.buf, self.pos)
            if match is None:
                self.pos = len(self.buf)
                if not self.fill():
                    raise JsonStreamError("cut off inside a value")
                continue
            self.pos = match.end()
            character = match.group()
            if character == '"':
                self._skip_string()
            elif character in "[{":
                depth += 1
            else:
                depth -= 1
            if depth <= 0:
                return

    def _skip_string(self) -> None:
        while True:
            match = _INSIDE.search(self.buf, self.pos)
            if match is None or (match.group() == "\\" and match.end() >= len(self.buf)):
                self.pos = len(self.buf) if match is None else match.start()
                if not self.fill():
                    raise JsonStreamError("cut off inside a string")
                continue
            if match.group() == "\\":
                self.pos = match.end() + 1
                continue
            self.pos = match.end()
            return


def iter_items(
    stream: IO[bytes],
    key: str = "orderedItems",
    *,
    max_item: int,
    hook: PairsHook | None = None,
    keys: Callable[[str, Any], None] | None = None,
) -> Iterator[Any | BadItem]:
    """Each item of the list under `key` in the top-level object (a BadItem for one left
    out); `keys(name, value)` is told every other top-level key (a value too large: None).
    JsonStreamError when the document is no object, or stops being JSON."""
    reader = _Reader(stream, hook, max_item)
    reader.expect("{")
    if reader.peek() == "}":
        return
    while True:
        found, name = reader.value()
        if not found or not isinstance(name, str):
            raise JsonStreamError("a key of the top-level object is not a string")
        reader.expect(":")
        if name == key and reader.peek() == "[":
            if keys is not None:
                keys(name, [])
            yield from _items(reader)
        else:
            found, value = reader.value()
            if keys is not None:
                keys(name, value if found else None)
        if reader.expect(",}") == "}":
            return


def _items(reader: _Reader) -> Iterator[Any | BadItem]:
    reader.expect("[")
    if reader.peek() == "]":
        reader.pos += 1
        return
    number = 0
    while True:
        found, value = reader.value()
        yield value if found else BadItem(number, value)
        number += 1
        if reader.expect(",]") == "]":
            return
