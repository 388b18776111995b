"""JSON parsed a piece at a time, for request bodies of megabytes (a fixture or snapshot).

orjson parses a 15 MB document in about 115 ms, all of it holding the GIL: run in a worker
thread, that still stops the event loop, and every other tenant's requests, for as long. Here
the outer levels of the document are walked in Python and each value below them (one
customer, one message) is parsed by the json module's C scanner, so the worker gives the GIL
back between pieces and the server keeps answering. Large collections are long arrays of
small values and large values come in short arrays (an account's lists): so the first
WALKED_ELEMENTS elements of an array are walked into, the rest parsed whole. It is a few
times slower than orjson: `parse_json` uses it only for bodies larger than SLICED_BYTES.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import orjson

SLICED_BYTES = 1024 * 1024
# containers at these outer levels are walked; anything deeper is parsed in one piece
WALKED_LEVELS = 6
WALKED_ELEMENTS = 16

_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse)


def loads(text: str) -> Any:
    """Like json.loads (NaN and Infinity refused); raises json.JSONDecodeError or ValueError."""
    value, end = _value(text, _skip(text, 0), 0)
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


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
    return _DECODER.raw_decode(text, index)


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
        result[key], index = _value(text, _skip(text, index + 1), depth)
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
        if len(result) < WALKED_ELEMENTS:
            item, index = _value(text, index, depth)
        else:
            item, index = _DECODER.raw_decode(text, index)
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
