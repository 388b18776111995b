"""Request bodies: JSON (RFC 8259, numbers that fit a double, nesting bounded, megabytes
parsed in slices) or, where an operation accepts it, YAML (sandbox/yaml_documents.py). Every
refusal is an InvalidInput naming the field.

Where an operation takes both, the Content-Type decides; a type that names neither (none at
all, or curl's `application/x-www-form-urlencoded` for `--data-binary @fixture.yaml`) leaves it
to the body: JSON if it parses as JSON, else YAML (YAML reads most JSON too, but JSON's own
errors and limits are the ones a JSON document should meet). A body that is neither, or one
whose Content-Type contradicts it, is refused saying which Content-Type to send."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from sandbox import json_slices, yaml_documents
from sandbox.errors import InvalidInput, Unparsed
from sandbox.openapi import Operation, field_name

YAML_HINT = "(for a YAML document send Content-Type: application/yaml)"
UNSAID_HINT = (
    "(no Content-Type said which: send Content-Type: application/json or application/yaml)"
)


def parse_body(raw: bytes, content_type: str, op: Operation) -> Any:
    if not op.accepts_yaml:
        return parse_json(raw)
    said = content_type.split(";", 1)[0].strip().lower()
    if "yaml" in said:
        return parse_yaml(raw)
    if said == "application/json" or said.endswith("+json"):
        try:
            return parse_json(raw)
        except Unparsed as refused:
            raise Unparsed(f"{refused.message} {YAML_HINT}", field=refused.field) from None
    return _by_content(raw)


def _by_content(raw: bytes) -> Any:
    """A document whose Content-Type does not say: JSON if it parses as JSON, else YAML; the
    error of the syntax it looks like (JSON's when it opens with a bracket) if neither."""
    try:
        return parse_json(raw)
    except Unparsed as not_json:
        try:
            return parse_yaml(raw)
        except Unparsed as not_yaml:
            refused = not_json if raw.lstrip()[:1] in (b"{", b"[") else not_yaml
            raise Unparsed(f"{refused.message} {UNSAID_HINT}", field=refused.field) from None


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
        raise Unparsed(f"request body is not valid JSON: {problem}", field="body") from None
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
