"""JSON parsed a piece at a time, for request bodies of megabytes (a fixture or snapshot).

orjson parses a 15 MB document in about 115 ms, all of it holding the GIL: run in a worker
thread, that still stops the event loop, and every other tenant's requests, for as long. Here
the outer levels of the document are walked in Python and each value below them (one
customer, one message) is parsed by the json module's C scanner, so the worker gives the GIL
back between pieces and the server keeps answering. Large collections are long arrays of
small values and large values come in short arrays (an account's lists): so the first
WALKED_ELEMENTS elements of an array are walked into, the rest parsed whole. It is a few
times slower than orjson: `parse_json` uses it only for bodies larger than SLICED_BYTES.

What JSON allows and the store cannot keep is refused with its path (`Unfit`): NaN and
Infinity, an integer of more digits than Python converts, a string holding a lone surrogate
(`\\ud800`, which no UTF-8 encoder writes back).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson

SLICED_BYTES = 1024 * 1024
# containers at these outer levels are walked; anything deeper is parsed in one piece
WALKED_LEVELS = 6
WALKED_ELEMENTS = 16

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# a surrogate code point in a decoded string: the decoder joins a valid pair into one
# character, so any left is alone
_SURROGATE = re.compile("[\ud800-\udfff]")
LONE_SURROGATE = "a lone surrogate (\\ud800-\\udfff) is not text"
# values looked at between two short sleeps, walking a document for a lone surrogate
_WALKED_PER_SLEEP = 20_000


class Unfit(ValueError):
    """A value JSON's grammar allows and the store cannot keep, at `path` (keys and indexes
    from the document's root)."""

    def __init__(self, path: list[str | int], problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse)


class _Bad:
    """Where a value the decoder refused stood, when a piece is decoded again to find it."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


# the most digits Python converts to an int (0: no limit)
_DIGITS = sys.get_int_max_str_digits() or sys.maxsize
# decodes what _DECODER refuses into _Bad markers (ints are not converted: only refused ones
# matter, and converting them is what fails)
_LOCATOR = json.JSONDecoder(
    parse_constant=lambda constant: _Bad(f"{constant} is not JSON"),
    parse_int=lambda digits: _Bad("number out of range") if len(digits) > _DIGITS else 0,
)


def _bad_at(node: Any, path: list[str | int]) -> _Bad:
    for step in path:
        node = node[step]
    assert isinstance(node, _Bad)
    return node


def loads(text: str) -> Any:
    """Like json.loads (NaN and Infinity refused); raises json.JSONDecodeError for bad
    syntax, Unfit (a ValueError) naming the path of a value the store cannot keep."""
    value, end = _value(text, _skip(text, 0), 0)
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    if ("\\ud" in text or "\\uD" in text) and (where := lone_surrogate(value)) is not None:
        raise Unfit(where, LONE_SURROGATE)
    return value


def lone_surrogate(value: Any) -> list[str | int] | None:
    """The path of the first string (or key) in `value` holding a lone surrogate, else None."""
    return first_path(value, lambda leaf: isinstance(leaf, str) and has_surrogate(leaf))


# the integers the store's encoder writes (orjson: signed and unsigned 64 bits)
WRITABLE_INTEGERS = range(-(2**63), 2**64)


def unwritable(value: Any) -> bool:
    """Whether `value` (a leaf of a parsed document) is one the store's encoder refuses: an
    integer past 64 bits, a string with a lone surrogate."""
    if isinstance(value, str):
        return has_surrogate(value)
    return isinstance(value, int) and value not in WRITABLE_INTEGERS


def has_surrogate(text: str) -> bool:
    """Whether `text` holds a lone surrogate: a string no UTF-8 encoder writes."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def first_path(value: Any, bad: Callable[[Any], bool]) -> list[str | int] | None:
    """The path of the first value (or key) in `value` that is `bad`, else None. Walks
    without recursion, giving the GIL back every few thousand values (a worker thread's walk
    of a document of megabytes does not stop the event loop)."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    walked = 0
    while stack:
        node, path = stack.pop()
        walked += 1
        if walked % _WALKED_PER_SLEEP == 0:
            time.sleep(0)
        if isinstance(node, dict):
            for key, item in node.items():
                if bad(key):
                    return [*path, key]
                stack.append((item, [*path, key]))
        elif isinstance(node, list):
            stack.extend((item, [*path, index]) for index, item in enumerate(node))
        elif bad(node):
            return path
    return None


def _piece(text: str, index: int) -> tuple[Any, int]:
    """One value parsed whole by the C scanner; Unfit names the path within it of a value
    the scanner refused (decoded again to find it: only a refused body pays for that)."""
    try:
        return _DECODER.raw_decode(text, index)
    except json.JSONDecodeError:
        raise
    except ValueError:  # NaN, Infinity, an integer of thousands of digits
        found, _ = _LOCATOR.raw_decode(text, index)
        where = first_path(found, lambda leaf: isinstance(leaf, _Bad))
        if where is None:
            raise
        problem = _bad_at(found, where).problem
        raise Unfit(where, problem) from None


def _skip(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _value(text: str, index: int, depth: int) -> tuple[Any, int]:
    if depth < WALKED_LEVELS:
        first = text[index : index + 1]
        if first == "{":
            return _object(text, index + 1, depth + 1)
        if first == "[":
            return _array(text, index + 1, depth + 1)
    return _piece(text, index)


def _object(text: str, index: int, depth: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    index = _skip(text, index)
    if text[index : index + 1] == "}":
        return result, index + 1
    while True:
        if text[index : index + 1] != '"':
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", text, index
            )
        key, index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        if text[index : index + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
        try:
            result[key], index = _value(text, _skip(text, index + 1), depth)
        except Unfit as unfit:
            unfit.path.insert(0, key)
            raise
        index = _skip(text, index)
        separator = text[index : index + 1]
        if separator == "}":
            return result, index + 1
        if separator != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip(text, index + 1)


def _array(text: str, index: int, depth: int) -> tuple[list[Any], int]:
    result: list[Any] = []
    index = _skip(text, index)
    if text[index : index + 1] == "]":
        return result, index + 1
    while True:
        try:
            if len(result) < WALKED_ELEMENTS:
                item, index = _value(text, index, depth)
            else:
                item, index = _piece(text, index)
        except Unfit as unfit:
            unfit.path.insert(0, len(result))
            raise
        result.append(item)
        index = _skip(text, index)
        separator = text[index : index + 1]
        if separator == "]":
            return result, index + 1
        if separator != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip(text, index + 1)


def free_in_pieces(value: Any, piece: int = 2000) -> None:
    """Empty the long lists of a parsed document a piece at a time. Dropped whole, a
    document of megabytes is freed in one cascade that holds the GIL for about 100 ms; emptied
    here, from a worker thread, the GIL is given back between pieces. The caller must hold
    the only reference that matters: the document is left empty."""
    stack = [value]
    while stack:
        node = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        stack.extend(child for child in children if isinstance(child, dict | list) and child)
        if isinstance(node, list) and len(node) > piece:
            while node:
                del node[-piece:]
                time.sleep(0)


def dumps_in_pieces(value: Any, piece: int = 2000) -> Iterator[bytes]:
    """`value` as JSON, in chunks: long lists a slice of items per chunk (with the GIL given
    back between them), where one orjson.dumps of a 12 MB document would hold it ~50 ms."""
    if isinstance(value, dict) and value:
        yield b"{"
        for number, (key, item) in enumerate(value.items()):
            yield (b"," if number else b"") + orjson.dumps(key) + b":"
            yield from dumps_in_pieces(item, piece)
        yield b"}"
    elif isinstance(value, list) and len(value) > piece:
        yield b"["
        for start in range(0, len(value), piece):
            chunk = orjson.dumps(value[start : start + piece])[1:-1]
            yield (b"," if start else b"") + chunk
            time.sleep(0)
        yield b"]"
    else:
        yield orjson.dumps(value)
