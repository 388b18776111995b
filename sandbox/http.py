"""Turns compiled operations into ASGI endpoints: one generic request path for every vendor.

request -> operation (O(1) for literal paths) -> body limit -> JSON parse -> credentials
        -> parameter and body validation -> vendor handler -> JSON reply;
any ApiError is rendered in the operation's envelope.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
import yaml
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox import errors
from sandbox.clock import iso, monotonic, wall_now
from sandbox.errors import (
    ApiError,
    InternalError,
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from sandbox.spec import YAML_LOADER, Operation, field_name
from sandbox.store import Store, TenantData

log = logging.getLogger(__name__)


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    if status == 204:  # No Content: HTTP forbids a body
        return Response(status_code=204, headers=headers)
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Context:
    """Everything a vendor handler may use; handlers never touch the Starlette request."""

    op: Operation
    store: Store
    tenant: TenantData | None
    query: dict[str, Any]
    path: dict[str, Any]
    headers: Mapping[str, str]
    body: Any
    item_errors: dict[tuple[str | int, ...], ApiError]
    message_ids: list[str] = field(default_factory=list)
    _now: datetime | None = None
    _stamp: str | None = None

    @property
    def data(self) -> TenantData:
        assert self.tenant is not None, f"{self.op.operation_id} needs an authenticated tenant"
        return self.tenant

    @property
    def now(self) -> datetime:
        """The tenant's time, read once per request: everything a request writes shares it."""
        if self._now is None:
            self._now = self.tenant.clock.now() if self.tenant is not None else wall_now()
        return self._now

    @property
    def stamp(self) -> str:
        """`now` in ISO 8601, formatted once per request."""
        if self._stamp is None:
            self._stamp = iso(self.now)
        return self._stamp


Handler = Callable[[Context], Reply]
Authenticator = Callable[[Mapping[str, str], Store], TenantData]


class Handlers(dict[str, Handler]):
    """operationId -> handler; `@handlers("sendMessage")` registers one."""

    def __call__(self, operation_id: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if operation_id in self:
                raise ValueError(f"two handlers for {operation_id}")
            self[operation_id] = handler
            return handler

        return register


@dataclass(frozen=True)
class Vendor:
    name: str
    handlers: Mapping[str, Handler]
    authenticate: Authenticator
    envelope: str  # for errors outside any operation (unknown path, wrong method)


class RawHeaders(Mapping[str, str]):
    """ASGI headers, decoded only when read (a request reads three or four of them). Names
    arrive lower-cased; the first of repeated headers wins."""

    __slots__ = ("_raw",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = dict(raw[::-1])

    def get(self, name: str, default: Any = None) -> Any:
        value = self._raw.get(name.encode("latin-1"))
        return default if value is None else value.decode("latin-1")

    def __getitem__(self, name: str) -> str:
        return self._raw[name.encode("latin-1")].decode("latin-1")

    def __iter__(self) -> Iterator[str]:
        return (name.decode("latin-1") for name in self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class Incoming:
    """The parts of an ASGI HTTP request the sandbox reads, taken straight from the scope
    (no Starlette Request: on the hot path every object counts)."""

    __slots__ = ("headers", "method", "path", "query_string", "receive")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query_string: bytes = scope["query_string"]
        self.receive = receive
        self.headers = RawHeaders(scope["headers"])

    def query(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        """(last value of each parameter, every value of each parameter)."""
        if not self.query_string:
            return {}, {}
        text = self.query_string.decode("latin-1")
        if not any(c in text for c in "&%+;"):  # the common ?channel=sms: no parsing needed
            key, _, value = text.partition("=")
            return {key: value}, {key: [value]}
        multi: dict[str, list[str]] = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            multi.setdefault(key, []).append(value)
        return {key: values[-1] for key, values in multi.items()}, multi


async def read_body(incoming: Incoming, limit: int) -> bytes:
    """The body, straight from ASGI `receive`, refused as soon as it passes `limit`."""
    declared = incoming.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body exceeds {limit} bytes", field="body")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await incoming.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes", field="body")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def send_json(
    send: Send, status: int, body: Any, headers: Mapping[str, str] | None = None
) -> None:
    """A JSON answer as two ASGI messages (a 204 carries no body, as HTTP requires)."""
    raw = b"" if status == 204 else orjson.dumps(body)
    fields = [] if status == 204 else [_JSON, (b"content-length", b"%d" % len(raw))]
    if headers:
        fields.extend(
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        )
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": raw})


_JSON = (b"content-type", b"application/json")


def parse_body(raw: bytes, content_type: str, op: Operation) -> Any:
    if op.accepts_yaml and "yaml" in content_type.lower():
        return parse_yaml(raw)
    return parse_json(raw)


def parse_yaml(raw: bytes) -> Any:
    try:
        return yaml.load(raw, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"request body is not valid YAML: {exc}", field="body") from None
    except RecursionError:
        raise InvalidInput("request body is nested too deeply", field="body") from None


def parse_json(raw: bytes) -> Any:
    """RFC 8259 JSON: no NaN or Infinity, numbers that fit a double, nesting up to 1024."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        where = _out_of_range(raw)
        if where is not None:
            raise InvalidInput(f"{where}: number out of range", field=where) from None
        raise InvalidInput(
            f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            field="body",
        ) from None


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


class PathEndpoint:
    """Serves every method of one path of one vendor."""

    def __init__(
        self, vendor: Vendor, operations: Sequence[Operation], store: Store, max_body: int
    ) -> None:
        self.vendor = vendor
        self.by_method = {op.method: op for op in operations}
        self.allowed = ", ".join(sorted(self.by_method))
        self.envelope = operations[0].envelope  # a path's operations share one API version
        self.store = store
        self.max_body = max_body

    def reads_body(self, method: str) -> bool:
        op = self.by_method.get(method)
        return op is not None and (op.body_schema is not None or method in _BODY_METHODS)

    def answer(
        self,
        incoming: Incoming,
        path_params: dict[str, str],
        raw: bytes,
        too_large: ApiError | None,
        started: float,
    ) -> Answer:
        """Everything between reading the body and writing the answer, synchronously: one
        request is one uninterrupted step of the event loop, so handlers need no locking."""
        op = self.by_method.get(incoming.method)
        if op is None:
            error = MethodNotAllowed(f"{incoming.method} is not allowed here; use {self.allowed}")
            return 405, errors.render(self.envelope, error), {"Allow": self.allowed}
        tenant: TenantData | None = None
        ctx: Context | None = None
        headers = incoming.headers
        extra: Mapping[str, str] | None
        try:
            try:
                if op.secured:
                    tenant = self.vendor.authenticate(headers, self.store)
                last, multi = incoming.query()
                query = (
                    op.parse_parameters("query", last, multi) if last or op.query_required else {}
                )
                path = op.parse_parameters("path", path_params, None) if path_params else {}
                body: Any = None
                item_errors: dict[tuple[str | int, ...], ApiError] = {}
                if too_large is not None:
                    raise too_large
                if raw.strip():  # whatever it parses to, `null` included, is validated
                    body = op.unwrap_body(parse_body(raw, headers.get("content-type", ""), op))
                    item_errors = op.validate_body(body)
                elif op.body_required:
                    raise InvalidInput("request body is required", field="body")
                ctx = Context(op, self.store, tenant, query, path, headers, body, item_errors)
                reply = self.vendor.handlers[op.operation_id](ctx)
                status, answer, extra = reply.status, reply.body, reply.headers
            except ApiError as error:
                status, extra = error.http_status, error.headers
                answer = errors.render(op.envelope, error)
        except Exception:  # a bug: answer in the vendor's envelope, log the traceback
            log.exception("%s %s failed", incoming.method, incoming.path)
            status, extra = 500, None
            answer = errors.render(op.envelope, InternalError())
        tenant = ctx.tenant if ctx is not None else tenant
        if tenant is not None:  # kept raw; the control plane formats entries when read
            tenant.requests.append(
                (
                    incoming.method,
                    incoming.path,
                    incoming.query_string,
                    status,
                    op.operation_id,
                    self.vendor.name,
                    ctx.now if ctx is not None else tenant.clock.now(),
                    monotonic() - started,
                    ctx.message_ids if ctx is not None else [],
                )
            )
        return status, answer, extra


Answer = tuple[int, Any, Mapping[str, str] | None]  # status, JSON body, extra headers
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


_PARAM = re.compile(r"\{([^}]+)\}")


class OperationRouter:
    """Dispatches one vendor's paths: literal paths from a dict, templated paths through
    compiled patterns (literal segments first), anything else a 404 in the envelope of the
    API version the path names (/v1.1/... answers like v1.1)."""

    def __init__(
        self, vendor: Vendor, operations: Sequence[Operation], store: Store, max_body: int
    ) -> None:
        self.vendor = vendor
        by_path: dict[str, list[Operation]] = {}
        for op in operations:
            by_path.setdefault(op.path, []).append(op)
        self.literal: dict[str, PathEndpoint] = {}
        self.templated: list[tuple[re.Pattern[str], PathEndpoint]] = []
        for path in sorted(by_path, key=lambda p: (len(_PARAM.findall(p)), p)):
            endpoint = PathEndpoint(vendor, by_path[path], store, max_body)
            if _PARAM.search(path):
                self.templated.append((_compile_template(path), endpoint))
            else:
                self.literal[path] = endpoint
        self.version_envelopes = _version_envelopes(operations)

    def resolve(self, path: str) -> tuple[PathEndpoint, dict[str, str]] | None:
        endpoint = self.literal.get(path)
        if endpoint is not None:
            return endpoint, {}
        for pattern, candidate in self.templated:
            match = pattern.match(path)
            if match:
                return candidate, match.groupdict()
        return None

    def not_found(self, incoming: Incoming, path: str) -> Answer:
        version = path.lstrip("/").split("/", 1)[0]
        envelope = self.version_envelopes.get(version, self.vendor.envelope)
        error = NotFound(f"no operation at {incoming.method} {incoming.path}", field="path")
        return 404, errors.render(envelope, error), None


def _version_envelopes(operations: Sequence[Operation]) -> dict[str, str]:
    """First path segment (e.g. "v1.1") -> the envelope most of its operations answer in."""
    counts: dict[str, dict[str, int]] = {}
    for op in operations:
        version = op.path.lstrip("/").split("/", 1)[0]
        tally = counts.setdefault(version, {})
        tally[op.envelope] = tally.get(op.envelope, 0) + 1
    return {version: max(tally, key=tally.__getitem__) for version, tally in counts.items()}


class PrefixDispatcher:
    """The sandbox's ASGI application: /<prefix>/... goes to that prefix's OperationRouter by
    a dict lookup, anything else (lifespan, /openapi) to the wrapped Starlette app. Vendor
    requests skip the layers they do not need; every vendor path (a newline in a segment
    included) is answered in that vendor's envelope."""

    def __init__(self, app: ASGIApp, routers: Mapping[str, OperationRouter], store: Store) -> None:
        self.app = app
        self.routers = routers
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            prefix, _, rest = scope["path"].lstrip("/").partition("/")
            router = self.routers.get(prefix)
            if router is not None:
                started = monotonic()
                incoming = Incoming(scope, receive)
                path = f"/{rest}"
                route = router.resolve(path)
                if route is None:
                    status, answer, headers = router.not_found(incoming, path)
                else:
                    endpoint, params = route
                    raw, too_large = b"", None
                    if endpoint.reads_body(incoming.method):
                        try:
                            raw = await read_body(incoming, endpoint.max_body)
                        except PayloadTooLarge as exc:
                            too_large = exc
                    status, answer, headers = endpoint.answer(
                        incoming, params, raw, too_large, started
                    )
                await send_json(send, status, answer, headers)
                return
        await self.app(scope, receive, send)


def _compile_template(path: str) -> re.Pattern[str]:
    """/v2/customers/{customerId}/log -> a pattern whose group customerId is one segment."""
    pieces = _PARAM.split(path)  # literal, name, literal, name, ..., literal
    regex = "".join(
        re.escape(piece) if index % 2 == 0 else f"(?P<{piece}>[^/]+)"
        for index, piece in enumerate(pieces)
    )
    return re.compile(f"^{regex}\\Z")  # not $, which also matches before a final newline
