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
from sandbox.openapi import Operation, field_name


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
        unfit = _unfit(raw)
        if unfit is not None:
            where, problem = unfit
            raise InvalidInput(f"{where}: {problem}", field=where) from None
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
    except json_slices.Unfit as unfit:  # NaN, a number out of range, a lone surrogate
        where = field_name(unfit.path) if unfit.path else "body"
        raise InvalidInput(f"{where}: {unfit.problem}", field=where) from None
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # nesting the scanner refuses
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


def _unfit(raw: bytes) -> tuple[str, str] | None:
    """The field (and its problem) of a value JSON's grammar allows and orjson refuses, if
    that is what made the body unparseable: a number too large for a double (1e999, an
    integer of thousands of digits), a lone surrogate (`"\\ud800"`). The slow path runs only
    for bodies already refused, of at most SLICED_BYTES (larger ones are named as they are
    parsed, by json_slices)."""
    try:  # every number as a double: one too large is infinite
        document = json.loads(raw, parse_constant=_refuse, parse_int=float)
    except (ValueError, RecursionError):
        return None
    path = json_slices.first_path(document, _infinite)
    if path is not None:
        return field_name(path), "number out of range"
    path = json_slices.lone_surrogate(document)
    return None if path is None else (field_name(path), json_slices.LONE_SURROGATE)


def _infinite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _refuse(constant: str) -> Any:
    raise ValueError(constant)  # NaN and Infinity literals are not JSON
