"""Turns compiled operations into Starlette routes: one generic request path for every vendor.

request -> body limit -> JSON parse -> credentials -> parameter and body validation
        -> vendor handler -> JSON reply; any ApiError is rendered in the operation's envelope.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox import errors
from sandbox.clock import iso, monotonic, wall_now
from sandbox.errors import ApiError, InvalidInput, MethodNotAllowed, NotFound, PayloadTooLarge
from sandbox.spec import YAML_LOADER, Operation
from sandbox.store import Store, TenantData

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    if status == 204:  # No Content: HTTP forbids a body
        return Response(status_code=204, headers=headers)
    return Response(_encode(body), status, headers, media_type="application/json")


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
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

    @property
    def data(self) -> TenantData:
        assert self.tenant is not None, f"{self.op.operation_id} needs an authenticated tenant"
        return self.tenant

    @property
    def now(self) -> datetime:
        return self.tenant.clock.now() if self.tenant is not None else wall_now()


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


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body exceeds {limit} bytes", field="body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


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
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidInput("request body is not UTF-8 encoded JSON", field="body") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            field="body",
        ) from None
    except RecursionError:
        raise InvalidInput("request body is nested too deeply", field="body") from None


class OperationEndpoint:
    """Serves every method of one path of one vendor."""

    def __init__(
        self, vendor: Vendor, operations: Sequence[Operation], store: Store, max_body: int
    ) -> None:
        self.vendor = vendor
        self.by_method = {op.method: op for op in operations}
        self.store = store
        self.max_body = max_body

    async def handle(self, request: Request) -> Response:
        started = monotonic()
        op = self.by_method.get(request.method)
        if op is None:
            allowed = ", ".join(sorted(self.by_method))
            error = MethodNotAllowed(f"{request.method} is not allowed here; use {allowed}")
            return json_response(
                errors.render(self.vendor.envelope, error), 405, {"Allow": allowed}
            )
        tenant: TenantData | None = None
        ctx: Context | None = None
        try:
            if op.secured:
                tenant = self.vendor.authenticate(request.headers, self.store)
            query = op.parse_parameters("query", request.query_params, _multi(request))
            path = op.parse_parameters("path", request.path_params, None)
            body: Any = None
            item_errors: dict[tuple[str | int, ...], ApiError] = {}
            if op.body_schema is not None or request.method in {"POST", "PUT", "PATCH"}:
                raw = await read_body(request, self.max_body)
                if raw.strip():  # whatever it parses to, `null` included, is validated
                    body = op.unwrap_body(
                        parse_body(raw, request.headers.get("content-type", ""), op)
                    )
                    item_errors = op.validate_body(body)
                elif op.body_required:
                    raise InvalidInput("request body is required", field="body")
            ctx = Context(op, self.store, tenant, query, path, request.headers, body, item_errors)
            reply = self.vendor.handlers[op.operation_id](ctx)
            status, response = reply.status, json_response(reply.body, reply.status, reply.headers)
        except ApiError as error:
            status = error.http_status
            response = json_response(errors.render(op.envelope, error), status, error.headers)
        tenant = ctx.tenant if ctx is not None else tenant
        if tenant is not None:
            tenant.requests.append(
                {
                    "method": request.method,
                    "path": request.url.path,
                    "query": request.url.query,
                    "status": status,
                    "operationId": op.operation_id,
                    "vendor": self.vendor.name,
                    "time": iso(tenant.clock.now()),
                    "duration_ms": round((monotonic() - started) * 1000, 3),
                    "message_ids": ctx.message_ids if ctx is not None else [],
                }
            )
        return response


def _multi(request: Request) -> dict[str, list[str]]:
    multi: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        multi.setdefault(key, []).append(value)
    return multi


_PARAM = re.compile(r"\{[^}]+\}")


def build_routes(
    vendor: Vendor, operations: Sequence[Operation], store: Store, max_body: int
) -> list[BaseRoute]:
    """One route per path; literal paths before templated ones so /lookup beats /{id}."""
    by_path: dict[str, list[Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, []).append(op)
    ordered = sorted(by_path, key=lambda p: (len(_PARAM.findall(p)), p))
    routes: list[BaseRoute] = [
        Route(
            path,
            OperationEndpoint(vendor, by_path[path], store, max_body).handle,
            methods=["GET", "PUT", "POST", "DELETE", "PATCH"],
        )
        for path in ordered
    ]
    routes.append(
        Route(
            "/{rest:path}",
            _not_found(vendor.envelope),
            methods=["GET", "PUT", "POST", "DELETE", "PATCH"],
        )
    )
    return routes


def _not_found(envelope: str) -> Callable[[Request], Awaitable[Response]]:
    async def not_found(request: Request) -> Response:
        error = NotFound(f"no operation at {request.method} {request.url.path}", field="path")
        return json_response(errors.render(envelope, error), 404)

    return not_found
