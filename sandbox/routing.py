"""Routes requests to operations compiled from the OpenAPI documents, one generic request path
for every vendor:

request -> prefix (dict) -> operation (dict for literal paths) -> body limit -> credentials
        -> rate limit and injected fault (faults.py) -> parameters -> JSON body and validation
        -> vendor handler -> JSON answer;
any ApiError is rendered in the operation's envelope. (Login and token operations carry their
credentials in the body: their rate limit and fault are checked after the handler.)
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox import errors, faults, request_log
from sandbox.clock import monotonic
from sandbox.errors import (
    ApiError,
    InternalError,
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from sandbox.http import (
    Context,
    Incoming,
    Vendor,
    drop_connection,
    parse_body,
    read_body,
    send_json,
)
from sandbox.spec import Operation
from sandbox.store import Store, TenantData

log = logging.getLogger(__name__)


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
    ) -> Delayed:
        """Everything between reading the body and writing the answer, synchronously: one
        request is one uninterrupted step of the event loop, so handlers need no locking.
        Only the wait of an injected latency (`delay`, seconds) is left to the caller."""
        op = self.by_method.get(incoming.method)
        if op is None:
            error = MethodNotAllowed(f"{incoming.method} is not allowed here; use {self.allowed}")
            return 405, errors.render(self.envelope, error), {"Allow": self.allowed}, 0.0
        tenant: TenantData | None = None
        ctx: Context | None = None
        headers = incoming.headers
        extra: Mapping[str, str] | None
        stop: faults.Stop | None = None
        try:
            try:
                if op.secured:
                    tenant = self.vendor.authenticate(headers, self.store)
                    stop = faults.check(tenant, self.vendor.name, op.operation_id)
                    if stop is not None:
                        stop.enforce()
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
                if not op.secured and ctx.tenant is not None:
                    # a login or token call: its tenant is known only now, from credentials
                    # in its body; such handlers write nothing, so dropping the reply is safe
                    stop = faults.check(ctx.tenant, self.vendor.name, op.operation_id)
                    if stop is not None:
                        stop.enforce()
            except faults.Dropped:  # no answer at all: the connection is closed
                status, answer, extra = 0, None, None
            except ApiError as error:
                status, extra = error.http_status, error.headers
                answer = errors.render(op.envelope, error, _now(ctx, tenant))
        except Exception:  # a bug: answer in the vendor's envelope, log the traceback
            log.exception("%s %s failed", incoming.method, incoming.path)
            status, extra = 500, None
            answer = errors.render(op.envelope, InternalError(), _now(ctx, tenant))
        tenant = ctx.tenant if ctx is not None else tenant
        if tenant is not None:  # kept raw; the control plane formats entries when read
            tenant.requests.append(
                request_log.Entry.of(
                    method=incoming.method,
                    path=incoming.path,
                    query=incoming.query_string,
                    status=status,
                    operation_id=op.operation_id,
                    vendor=self.vendor.name,
                    time=ctx.now if ctx is not None else tenant.clock.now(),
                    seconds=monotonic() - started,
                    message_ids=ctx.message_ids if ctx is not None else [],
                )
            )
        return status, answer, extra, stop.delay if stop is not None else 0.0


def _now(ctx: Context | None, tenant: TenantData | None) -> datetime | None:
    """The tenant's time for an error's envelope, when the request reached a tenant."""
    if ctx is not None and ctx.tenant is not None:
        return ctx.now
    return tenant.clock.now() if tenant is not None else None


# status, body (JSON, or raw bytes), extra headers
Answer = tuple[int, Any, Mapping[str, str] | None]
# the same, then seconds to wait before answering; status 0: drop the connection instead
Delayed = tuple[int, Any, Mapping[str, str] | None, float]
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
                delay = 0.0
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
                    status, answer, headers, delay = endpoint.answer(
                        incoming, params, raw, too_large, started
                    )
                if delay:
                    await asyncio.sleep(delay)
                if status == 0:
                    await drop_connection(send)
                else:
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
