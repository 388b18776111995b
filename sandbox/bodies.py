"""Request bodies: JSON (RFC 8259, numbers that fit a double, nesting bounded, megabytes
parsed in slices) or, where an operation accepts it, YAML (sandbox/yaml_documents.py). Every
refusal is an InvalidInput naming the field."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from sandbox import json_slices, yaml_documents
from sandbox.errors import InvalidInput
from sandbox.spec import Operation, field_name


def parse_body(raw: bytes, content_type: str, op: Operation) -> Any:
    if op.accepts_yaml and "yaml" in content_type.lower():
        return parse_yaml(raw)
    return parse_json(raw)


def parse_yaml(raw: bytes) -> Any:
    return yaml_documents.load(raw)


# Nesting a body may have: far more than any vendor document uses, and few enough that every
# answer that echoes part of a body can still be encoded (orjson stops at 255 levels).
MAX_DEPTH = yaml_documents.MAX_DEPTH


def parse_json(raw: bytes) -> Any:
    """RFC 8259 JSON: no NaN or Infinity, numbers that fit a double, nesting up to MAX_DEPTH
    (refused before anything is stored, so nothing is recorded that cannot be answered).
    Bodies of megabytes are parsed in slices (json_slices) to give the GIL back as they go."""
    try:
        value = orjson.loads(raw) if len(raw) <= json_slices.SLICED_BYTES else _sliced(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = _out_of_range(raw)
        if where is not None:
            raise InvalidInput(f"{where}: number out of range", field=where) from None
        problem = (
            f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise InvalidInput(f"request body is not valid JSON: {problem}", field="body") from None
    # a body too short to hold MAX_DEPTH brackets, or with fewer, cannot nest past it: most
    # bodies need no walk at all
    if len(raw) > MAX_DEPTH and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        _check_depth(value)
    return value


def _sliced(raw: bytes) -> Any:
    try:
        return json_slices.loads(raw.decode("utf-8"))
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # NaN, Infinity, nesting the scanner refuses
        raise json.JSONDecodeError(str(exc), "", 0) from None


def _check_depth(value: Any) -> None:
    """InvalidInput naming the first path nested deeper than MAX_DEPTH. One pass with no
    paths built; only a refused body pays for a second pass that finds the path."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    where = field_name(_path_deeper_than(value, MAX_DEPTH))
                    raise InvalidInput(
                        f"{where}: nested more than {MAX_DEPTH} levels deep", field=where
                    )
                stack.append((child, depth + 1))


def _path_deeper_than(value: Any, limit: int) -> list[str | int]:
    path: list[str | int] = []
    node = value
    while len(path) <= limit:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(child, dict | list) and _depth_exceeds(child, limit - len(path) - 1):
                path.append(key)
                node = child
                break
        else:
            break
    return path


def _depth_exceeds(value: Any, remaining: int) -> bool:
    if remaining < 0:
        return True
    children = value.values() if isinstance(value, dict) else value
    return any(
        isinstance(child, dict | list) and _depth_exceeds(child, remaining - 1)
        for child in children
    )


def _out_of_range(raw: bytes) -> str | None:
    """The field holding a number too large for a double (e.g. 1e999), if that is what
    made the body unparseable; the slow path runs only for bodies already refused."""
    try:
        document = json.loads(raw, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return field_name(path)
        if isinstance(node, dict):
            stack.extend((value, [*path, key]) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, [*path, index]) for index, value in enumerate(node))
    return None


def _refuse(constant: str) -> Any:
    raise ValueError(constant)  # NaN and Infinity literals are not JSON
