"""Loads the OpenAPI documents once at start-up and compiles everything a request needs.

Each operation gets compiled validators for its parameters and JSON body, the vendor envelope
its errors are rendered in, and the error codes its schema assigns to fields
(`x-sandbox-error-code`). Routing is derived from the same documents (see `http.py`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from sandbox import spelling
from sandbox.errors import ApiError, InvalidInput

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
# query strings an operation keeps parsed (`Operation.parsed_query`), each up to QUERY_KEPT
# bytes: the few a client sends on every call, not every page of a listing
QUERIES_KEPT = 64
QUERY_KEPT = 200

try:  # libyaml parses the documents ~10x faster than the pure-Python loader
    YAML_LOADER: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    YAML_LOADER = yaml.SafeLoader


def load_document(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        doc = yaml.load(handle, Loader=YAML_LOADER)
    if not isinstance(doc, dict) or "paths" not in doc:
        raise ValueError(f"{path} is not an OpenAPI document")
    return doc


def resolve_refs(node: Any, root: Mapping[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline every local `$ref` so each schema stands alone (the documents are acyclic)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in seen:
                raise ValueError(f"cyclic $ref {ref}")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            merged = {k: v for k, v in node.items() if k != "$ref"}
            resolved = resolve_refs(target, root, (*seen, ref))
            return {**resolved, **resolve_refs(merged, root, seen)} if merged else resolved
        return {k: resolve_refs(v, root, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_refs(item, root, seen) for item in node]
    return node


def field_name(path: list[str | int] | tuple[str | int, ...], prefix: str = "") -> str:
    """['root', 'sms', 0, 'to'] -> 'root.sms[0].to'."""
    text = prefix
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


_PLAIN_KEYS = frozenset({"type", "minimum", "maximum", "minLength", "maxLength", "description"})


def _plain_check(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """The check of a schema that is one integer range or one string length, in plain Python
    (a validator call costs more than the comparison); None for any other schema."""
    if not set(schema) <= _PLAIN_KEYS:
        return None
    low, high = schema.get("minimum"), schema.get("maximum")
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength")
    if schema.get("type") == "integer" and "minLength" not in schema and "maxLength" not in schema:
        return lambda value: (
            type(value) is int and (low is None or value >= low) and (high is None or value <= high)
        )
    if schema.get("type") == "string" and low is None and high is None:
        return lambda value: (
            type(value) is str
            and len(value) >= shortest
            and (longest is None or len(value) <= longest)
        )
    return None


@dataclass
class Parameter:
    name: str
    location: str  # query | path
    required: bool
    schema: dict[str, Any]
    validator: Any
    kinds: tuple[Any, ...] = field(init=False)  # the schema's types, read once

    def __post_init__(self) -> None:
        kind = self.schema.get("type")
        self.kinds = tuple(kind) if isinstance(kind, list) else (kind,)
        # a plain integer or string schema is checked without the validator (path
        # parameters mostly are)
        self.is_valid: Callable[[Any], bool] = _plain_check(self.schema) or self.validator.is_valid

    def coerce(self, raw: str) -> Any:
        """Query strings are text; give the validator the type the schema asks for."""
        kinds = self.kinds
        try:
            if "integer" in kinds:
                return int(raw)
            if "number" in kinds:
                return float(raw)
        except ValueError:
            return raw  # the validator names the type error
        if "boolean" in kinds and raw.lower() in {"true", "false"}:
            return raw.lower() == "true"
        return raw


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    vendor: str
    envelope: str
    secured: bool
    parameters: list[Parameter]
    body_schema: dict[str, Any] | None
    body_required: bool
    body_validator: Any
    # where per-item results live (v1.1 batches, sendMessage lists): a bad item fails alone
    item_pointers: tuple[tuple[str, ...], ...]
    unwrap: str | None  # a wrapper key some of the vendor's own examples add (v2 "root")
    accepts_yaml: bool
    query_required: bool  # some query parameter is required
    definition: dict[str, Any] = field(repr=False)
    # parsed, validated and handled in a worker thread (x-sandbox-offload): large documents
    # that would otherwise stall every other tenant's requests
    offload: bool = False
    # an undeclared query parameter is a 400 naming it (`x-sandbox-strict-query`: the control
    # plane); vendors' own paths ignore what they do not read, as the vendors do
    strict_query: bool = False
    # the vendor's error code -> its message, which starts a refusal of a field with that code
    error_messages: Mapping[int, str] = field(default_factory=dict, repr=False)
    _items_validators: dict[int, Any] = field(default_factory=dict, repr=False)
    # query string -> its parameters as parsed and validated (`parsed_query`): clients send
    # the same few on every call (`?channel=sms`); at most QUERIES_KEPT
    _queries: dict[bytes, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    # parameters -----------------------------------------------------------------------------
    def parse_parameters(
        self, location: str, values: Mapping[str, str], multi: Mapping[str, list[str]] | None
    ) -> dict[str, Any]:
        if location == "query" and self.strict_query:
            self._refuse_undeclared(values, multi)
        parsed: dict[str, Any] = {}
        for param in self.located[location]:
            raw = values.get(param.name)
            if raw is None:
                if param.required:
                    raise InvalidInput(
                        f"{location} parameter '{param.name}' is required", field=param.name
                    )
                continue
            value: Any
            if "array" in param.kinds and multi is not None:
                value = [param.coerce(v) for v in multi.get(param.name, [raw])]
            else:
                value = param.coerce(raw)
            if not param.is_valid(value):  # the fast check; errors only when invalid
                error = next(iter(param.validator.iter_errors(value)))
                raise self.schema_error(error, param.schema, prefix=param.name, what=location)
            parsed[param.name] = value
        return parsed

    def parsed_query(
        self, query_string: bytes, read: Callable[[], tuple[dict[str, str], dict[str, list[str]]]]
    ) -> dict[str, Any]:
        """The query parameters of `query_string` parsed and validated (`read` splits it:
        the last value of each parameter, every value of those given more than once), each
        time a new dict; one seen before is not parsed again (at most QUERIES_KEPT kept).
        Raises InvalidInput as `parse_parameters` does (a refused one is never kept)."""
        parsed = self._queries.get(query_string)
        if parsed is not None:
            return dict(parsed)  # (a handler may change its own)
        last, multi = read()
        if not last and not self.query_required:
            return {}
        parsed = self.parse_parameters("query", last, multi)
        if len(self._queries) < QUERIES_KEPT and len(query_string) <= QUERY_KEPT:
            self._queries[query_string] = dict(parsed)
        return parsed

    @cached_property
    def located(self) -> dict[str, list[Parameter]]:
        """The parameters by where they are given (query, path, header, cookie)."""
        by: dict[str, list[Parameter]] = {"query": [], "path": [], "header": [], "cookie": []}
        for param in self.parameters:
            by.setdefault(param.location, []).append(param)
        return by

    @cached_property
    def query_parameters(self) -> dict[str, Parameter]:
        return {p.name: p for p in self.parameters if p.location == "query"}

    def _refuse_undeclared(
        self, values: Mapping[str, str], multi: Mapping[str, list[str]] | None
    ) -> None:
        """A query parameter the operation does not declare, or one that takes a single value
        given several times, is refused rather than ignored."""
        declared = self.query_parameters
        for name in values:
            param = declared.get(name)
            if param is None:
                raise InvalidInput(spelling.unknown("query parameter", name, declared), field=name)
            times = len(multi.get(name, ())) if multi is not None else 1
            if times > 1 and "array" not in param.kinds:
                raise InvalidInput(
                    f"query parameter '{name}' is given {times} times; it takes one value",
                    field=name,
                )

    # body -----------------------------------------------------------------------------------
    def unwrap_body(self, body: Any) -> Any:
        """`{"root": {...}}` -> `{...}` where the vendor's examples wrap bodies both ways."""
        if (
            self.unwrap
            and isinstance(body, dict)
            and len(body) == 1
            and isinstance(body.get(self.unwrap), dict)
        ):
            return body[self.unwrap]
        return body

    def validate_body(self, body: Any) -> dict[tuple[str | int, ...], ApiError]:
        """Raise for an invalid request; return the errors of single bad items in a batch,
        keyed by the item's path (e.g. ("root", "request", 2))."""
        if self.body_validator is None or self.body_validator.is_valid(body):
            return {}
        item_errors: dict[tuple[str | int, ...], ApiError] = {}
        for error in self.body_validator.iter_errors(body):
            path = tuple(error.instance_path)
            item = self._item_of(path)
            if item is None:
                raise self.schema_error(error, self.body_schema)
            item_errors.setdefault(item, self.schema_error(error, self.body_schema))
        return item_errors

    def validate_in_pieces(self, body: Any) -> None:
        """`validate_body` for documents of megabytes, from a worker thread: long arrays are
        validated apart, a slice of items per call, so that no single call into the validator
        holds the GIL for long (one call over 80,000 customers takes 90-140 ms here)."""
        long_lists: list[tuple[dict[str, Any], list[Any], list[str | int]]] = []
        assert self.body_schema is not None
        skeleton = _skeleton(self.body_schema, body, [], long_lists)
        self.validate_body(skeleton)
        for items_schema, items, path in long_lists:
            validator = self._items_validators.get(id(items_schema))
            if validator is None:
                validator = self._items_validators[id(items_schema)] = compile_schema(items_schema)
            for start in range(0, len(items), _SLICE):
                for index in range(start, min(start + _SLICE, len(items))):
                    if not validator.is_valid(items[index]):
                        error = next(iter(validator.iter_errors(items[index])))
                        prefix = field_name([*path, index])
                        raise self.schema_error(error, items_schema, prefix=prefix)
                time.sleep(0)  # the GIL, back to the event loop between slices

    def _item_of(self, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
        for pointer in self.item_pointers:
            size = len(pointer)
            if len(path) > size and path[:size] == pointer and isinstance(path[size], int):
                return path[: size + 1]
        return None

    def schema_error(
        self, error: Any, schema: Any, prefix: str = "", what: str = "body"
    ) -> InvalidInput:
        """Turn a validation error into an InvalidInput naming the field and the problem."""
        path = list(error.instance_path)
        kind = error.kind
        name = getattr(kind, "name", "")
        if name == "required":
            path.append(kind.property)
        elif name == "additionalProperties" and kind.unexpected:
            path.append(kind.unexpected[0])
        where = field_name(path, prefix)
        schema_path = list(error.schema_path)
        node = _schema_node(schema, schema_path)
        code = _error_code(schema, schema_path)
        if name == "required" and isinstance(node, dict):
            # a missing field answers with the code its own schema declares, if any
            node = node.get("properties", {}).get(kind.property, node)
            if isinstance(node, dict) and "x-sandbox-error-code" in node:
                code = node["x-sandbox-error-code"]
        if name == "required":
            message = f"{where} is required"
        elif name == "enum":
            allowed = ", ".join(json.dumps(v) for v in kind.options)
            message = f"{where}: {_show(error.instance)} is not one of the allowed values {allowed}"
        elif name == "type":
            message = f"{where}: {_show(error.instance)} is not of type {' or '.join(kind.types)}"
        elif name == "additionalProperties":
            message = f"{where} is not a known field"
        elif name == "anyOf" and isinstance(node, dict) and "x-sandbox-form" in node:
            # a field of several forms: the validator's words name none of them
            message = f"{where}: {_show(error.instance)} is not {node['x-sandbox-form']}"
        else:
            message = f"{where}: {error.message}"
        code_message = self.error_messages.get(code) if isinstance(code, int) else None
        if code_message:
            # the real problem first, the vendor's words for its code after: a missing SMS
            # body is "sms[0].body is required (Invalid mobile number)", as Capillary's one
            # code 4203 covers both
            message = f"{message} ({code_message})"
        if what != "body" and not prefix:
            message = f"{what} {message}"
        return InvalidInput(message, field=where, code=code)


# arrays longer than this are validated apart, _SLICE items at a time
_LONG = 1000
_SLICE = 500


def _skeleton(
    schema: Any,
    value: Any,
    path: list[str | int],
    long_lists: list[tuple[dict[str, Any], list[Any], list[str | int]]],
) -> Any:
    """`value` with each long array its schema describes item by item replaced by [] (and
    noted in `long_lists`), so the rest validates in one short call."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        properties = schema["properties"]
        return {
            key: _skeleton(properties[key], item, [*path, key], long_lists)
            if key in properties
            else item
            for key, item in value.items()
        }
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, dict):
        if len(value) > _LONG and not {"minItems", "maxItems", "uniqueItems"} & set(schema):
            long_lists.append((items, value, path))
            return []
        return [
            _skeleton(items, item, [*path, index], long_lists) for index, item in enumerate(value)
        ]
    return value


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _walk(schema: Any, schema_path: list[Any]) -> Iterator[Any]:
    """Yield each schema node along a validator's schema path."""
    node = schema
    yield node
    for part in schema_path:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            node = node[part]
        else:
            return
        yield node


def _schema_node(schema: Any, schema_path: list[Any]) -> Any:
    nodes = list(_walk(schema, schema_path[:-1] if schema_path else []))
    return nodes[-1] if nodes else None


def _error_code(schema: Any, schema_path: list[Any]) -> int | str | None:
    """The innermost `x-sandbox-error-code` on the way to the failing keyword."""
    code = None
    for node in _walk(schema, schema_path):
        if isinstance(node, dict) and "x-sandbox-error-code" in node:
            code = node["x-sandbox-error-code"]
    return code


def compile_schema(schema: dict[str, Any]) -> Any:
    """A validator of `schema`: a parameter's, a body's, or one an operation names in an x-
    extension (`format` is not checked)."""
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=False)


def compile_document(
    doc: dict[str, Any], vendor: str, error_messages: Mapping[int, str] | None = None
) -> list[Operation]:
    """Every operation of an OpenAPI document, with its validators compiled; a field's
    `x-sandbox-error-code` is looked up in the vendor's `error_messages`."""
    operations: list[Operation] = []
    default_envelope = doc.get("x-sandbox-envelope", vendor)
    strict_query = bool(doc.get("x-sandbox-strict-query", False))
    doc_security = doc.get("security", [])
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            op = resolve_refs(op, doc)
            params = [resolve_refs(p, doc) for p in shared] + op.get("parameters", [])
            parameters = [
                Parameter(
                    name=p["name"],
                    location=p["in"],
                    required=bool(p.get("required", p["in"] == "path")),
                    schema=p.get("schema", {}),
                    validator=compile_schema(p.get("schema", {})),
                )
                for p in params
                if p["in"] in {"query", "path"}  # headers: each vendor's authenticate reads them
            ]
            body = op.get("requestBody")
            schema = None
            media = body.get("content", {}) if body is not None else {}
            if media:
                schema = media.get("application/json", {}).get("schema")
            pointers = op.get("x-sandbox-items", [])
            if isinstance(pointers, str):
                pointers = [pointers]
            operations.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    vendor=vendor,
                    envelope=op.get("x-sandbox-envelope", default_envelope),
                    secured=bool(op.get("security", doc_security)),
                    parameters=parameters,
                    body_schema=schema,
                    body_required=bool(body and body.get("required")),
                    body_validator=compile_schema(schema) if schema is not None else None,
                    item_pointers=tuple(tuple(p.strip("/").split("/")) for p in pointers),
                    unwrap=op.get("x-sandbox-unwrap"),
                    accepts_yaml=any("yaml" in media_type for media_type in media),
                    query_required=any(p.location == "query" and p.required for p in parameters),
                    error_messages=error_messages or {},
                    definition=op,
                    offload=bool(op.get("x-sandbox-offload", False)),
                    strict_query=bool(op.get("x-sandbox-strict-query", strict_query)),
                )
            )
    return operations
