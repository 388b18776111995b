"""The handler's view of a request: what a vendor handler is given (Context) and returns
(Reply, or Offload for slow work), the handler table by operationId, and the tenant a
control-plane path names (`tenant_of`). The ASGI side
is sandbox/asgi.py, body parsing sandbox/bodies.py."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from sandbox import bodies, json_slices, outbox
from sandbox.clock import wall_now
from sandbox.errors import ApiError, InvalidInput, NotFound
from sandbox.openapi import Operation
from sandbox.request_log import RequestLogs
from sandbox.schedule import DueHandler, run_due
from sandbox.store import Store, TenantData


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Steps = Generator[None, None, Reply]
"""A finish with much to write: each step commits a part and yields, other requests are
served between the steps, and the generator returns the Reply."""


@dataclass
class Offload:
    """What a handler of an offloaded operation returns: `work()` runs in a worker thread (it
    must not touch shared state), then `finish(its result)` makes the Reply on the event loop
    thread, where every change to the store happens, at once or in Steps. A handler with no
    work for a thread (None) and much to write returns one for its Steps alone."""

    work: Callable[[], Any] | None
    finish: Callable[[Any], Reply | Steps]
    # run once the answer is made, whatever became of the work (an error, a cancelled
    # request): what the handler holds for it is let go here
    always: Callable[[], None] | None = None


class CatalogView(Protocol):
    """The app's vendors as a request reads them: sandbox/catalog.py's `Catalog`, built once
    by the app, described here by what the core asks of it (this module is below the vendor
    interface; the control plane narrows it with `catalog.of_request`)."""

    @property
    def operations(self) -> Mapping[str, str]:
        """operationId -> the name of its vendor."""

    @property
    def due(self) -> Mapping[str, DueHandler]:
        """vendor name -> how a message it scheduled is recorded once due."""

    @property
    def request_logs(self) -> RequestLogs:
        """Each tenant's request log."""


@dataclass
class Context:
    """Everything a vendor handler may use; handlers never touch the Starlette request.

    `data` and `now` are plain attributes once known: the request path sets them when it makes
    the context of a request whose tenant its credentials named (sandbox/request_path.py), a
    handler reads them as values (no call on each read); a login call's, whose tenant its
    handler sets, are worked out on their first read."""

    op: Operation
    store: Store
    catalog: CatalogView
    tenant: TenantData | None
    query: dict[str, Any]
    path_params: dict[str, Any]  # the path template's parameters, parsed
    headers: Mapping[str, str]
    body: Any
    item_errors: dict[tuple[str | int, ...], ApiError]
    message_ids: list[str] = field(default_factory=list)
    raw: bytes = b""  # an offloaded operation's body, parsed by `parse_body` in its worker
    _outbox: outbox.Recorder | None = None

    def parse_body(self) -> Any:
        """An offloaded operation's body, parsed and validated (InvalidInput as usual)."""
        if not self.raw:  # (a body of blanks is no JSON: refused by the parser)
            if self.op.body_required:
                raise InvalidInput("request body is required", field="body")
            return None
        body = self.op.unwrap_body(
            bodies.parse_body(self.raw, self.headers.get("content-type", ""), self.op)
        )
        if self.op.body_schema is not None and len(self.raw) > json_slices.SLICED_BYTES:
            self.op.validate_in_pieces(body)  # no one long call into the validator
        else:
            self.item_errors = self.op.validate_body(body)
        return body

    @cached_property
    def data(self) -> TenantData:
        assert self.tenant is not None, f"{self.op.operation_id} needs an authenticated tenant"
        return self.tenant

    @cached_property
    def now(self) -> datetime:
        """The tenant's time, read once per request: everything a request writes shares it."""
        return self.tenant.clock.now() if self.tenant is not None else wall_now()

    @property
    def outbox(self) -> outbox.Recorder:
        """The outbox's entrance for this request: each message it records is stamped with
        the request's time and its id goes to the request log."""
        if self._outbox is None:
            self._outbox = outbox.Recorder(self.now, self.message_ids)
        return self._outbox

    @property
    def stamp(self) -> str:
        """`now` in ISO 8601, formatted once per request."""
        return self.outbox.stamp


Handler = Callable[[Context], "Reply | Offload"]
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


def tenant_of(ctx: Context) -> TenantData:
    """The tenant a control-plane path names (`/tenants/{tenant}/...`), with what is due on its
    clock delivered first (what the call sees or changes includes it); a 404 naming it."""
    name = ctx.path_params["tenant"]
    data = ctx.store.get(name)
    if data is None:
        raise NotFound(f"no tenant named '{name}'", field="tenant")
    run_due(ctx.catalog.due, data, ctx.catalog.request_logs)
    return data
