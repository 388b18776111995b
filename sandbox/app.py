"""The app factory: one sub-app per vendor and the control plane, all driven by openapi/."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from sandbox import CONTROL_PREFIX, control, schedule, webhooks
from sandbox.asgi import json_response, send_json
from sandbox.catalog import Catalog
from sandbox.control import fixtures, tenant_state, tenants, vendor_schemas
from sandbox.control.guard import ControlGuard
from sandbox.doc import Doc
from sandbox.errors import Conflict, NotFound, known_envelope, render
from sandbox.events import MessageEvents
from sandbox.openapi import Operation, compile_document, load_document
from sandbox.request_log import Entry, RequestLogs, SharedRequestLogs
from sandbox.request_path import RequestPath
from sandbox.routing import OperationRouter, prefix_hint
from sandbox.schedule import DueHandler
from sandbox.settings import Settings
from sandbox.store import Store
from sandbox.ui import ui_routes
from sandbox.vendor import Vendor
from sandbox.vendors import VENDORS
from sandbox.webhooks import Delivery

log = logging.getLogger(__name__)

__all__ = ["VENDORS", "create_app"]


class HandlerMismatch(RuntimeError):
    """The spec and the handler table disagree: the app refuses to start."""


def check_handlers(vendor: Vendor, operations: list[Operation]) -> None:
    envelopes = {op.envelope for op in operations} | {vendor.envelope}
    unknown = sorted(envelope for envelope in envelopes if not known_envelope(envelope))
    if unknown:
        raise HandlerMismatch(f"{vendor.name}: no error envelope registered as {unknown}")
    documented = {op.operation_id for op in operations}
    missing = sorted(documented - set(vendor.handlers))
    orphans = sorted(set(vendor.handlers) - documented)
    if missing or orphans:
        raise HandlerMismatch(
            f"{vendor.name}: operations without a handler {missing}, handlers without an "
            f"operation {orphans}"
        )


def with_vendor_operations(control_vendor: Vendor, vendors: Sequence[Vendor]) -> Vendor:
    """The control plane with the control-plane handlers the app's vendors bring."""
    handlers = dict(control_vendor.handlers)
    for vendor in vendors:
        handlers.update(vendor.control_handlers)
    return replace(control_vendor, handlers=handlers)


def load_operations(
    settings: Settings, vendor: Vendor, sections: Sequence[Vendor] | None = None
) -> list[Operation]:
    """The vendor's operations, compiled from its document. For the control plane,
    `sections` are the vendors the app runs: its document is completed with them
    (control/vendor_schemas.py)."""
    document = load_document(settings.openapi_dir / vendor.document_name)
    if sections is not None:  # the control plane
        vendor_schemas.complete(document, sections)
    operations = compile_document(document, vendor.name, vendor.error_messages)
    check_handlers(vendor, operations)
    return operations


def ensure_demo_tenant(store: Store, catalog: Catalog, settings: Settings) -> None:
    """A fresh server holds the `demo` tenant, seeded from fixtures/demo.yaml."""
    if not store.exists(settings.demo_tenant):
        fixture = fixtures.read_file(settings.fixtures_dir / "demo.yaml")
        try:
            tenants.put_tenant(store, catalog, settings.demo_tenant, fixture)
        except Conflict:  # another process on the database created it first: that one stays
            store.get(settings.demo_tenant)
            return
        log.info("created tenant %s from fixtures/demo.yaml", settings.demo_tenant)


async def _record_due(store: Store, due: Mapping[str, DueHandler], logs: RequestLogs) -> None:
    """Messages scheduled for later are recorded when due even if nothing asks (open event
    streams and webhooks hear them then); a batch at a time, at once again while more are
    due (other requests are served between the batches)."""
    more = False
    while True:
        await asyncio.sleep(0 if more else schedule.TICK)
        more = schedule.run_all_due(store, due, logs)


def _webhook_url(store: Store, tenant: str) -> str | None:
    """The webhook tenant `tenant` has now (the event bus asks at each delivery)."""
    data = store.tenants.get(tenant)
    return tenant_state.webhook_url(data) if data is not None else None


def _log_delivery(
    tenant: str,
    url: str,
    messages: list[Doc],
    delivery: Delivery,
    *,
    store: Store,
    logs: RequestLogs,
) -> None:
    """Each webhook delivery's result is an entry of the tenant's request log."""
    data = store.tenants.get(tenant)
    if data is None:
        return
    entry = Entry(
        "POST",
        url,
        b"",
        delivery.status,
        webhooks.OPERATION,
        messages[0]["vendor"],
        data.clock.now(),
        delivery.seconds,
        [message["id"] for message in messages],
        delivery.error,
    )
    logs.append(data, entry)


def _spec_routes(documents: dict[str, bytes]) -> list[BaseRoute]:

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in documents:
            error = NotFound(f"no document {name}; have {', '.join(documents)}", field="name")
            return json_response(render("sandbox", error), 404)
        return Response(documents[name], media_type="application/yaml")

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{CONTROL_PREFIX}/ui/", status_code=307)

    return [Route("/", home), Route("/openapi/{name}", serve)]


async def _not_found(
    routers: Mapping[str, OperationRouter], scope: Scope, receive: Receive, send: Send
) -> None:
    if scope["type"] == "http":
        hint = prefix_hint(routers, scope["path"])  # a vendor's path without its prefix
        error = NotFound(f"no API at {scope['path']}{hint}", field="path")
        await send_json(send, 404, render("sandbox", error))


def request_logs(settings: Settings) -> RequestLogs:
    """The tenants' request logs: in memory, or shared by the processes of one database."""
    size = settings.request_log_size
    url = settings.database_url
    return RequestLogs(size) if url is None else SharedRequestLogs(url, size)


def create_app(
    settings: Settings | None = None,
    *,
    vendors: Sequence[Vendor] = VENDORS,
    control_vendor: Vendor = control.VENDOR,
) -> RequestPath:
    """The app. `vendors` and `control_vendor` are the defaults except in tests that wrap or
    add one (each vendor's handlers must be exactly its document's operations)."""
    settings = settings or Settings.from_env()
    # the app's vendors, as the layers below ask of them, and each tenant's request log
    catalog = Catalog.of(vendors, request_logs(settings))
    store = catalog.open_store(settings)
    # the event bus: the store tells it each message and tenant change (and each tenant there
    # is: webhooks set before a restart); it reads a tenant's webhook and logs a delivery
    # through the app's callbacks
    events = MessageEvents(
        partial(_webhook_url, store),
        partial(_log_delivery, store=store, logs=catalog.request_logs),
    )
    store.listen(events)
    ensure_demo_tenant(store, catalog, settings)
    routers = {
        vendor.name: OperationRouter(
            vendor,
            load_operations(settings, vendor),
            settings.max_body_bytes,
        )
        for vendor in vendors
    }
    # the served documents (/openapi/*), read once; the web outbox links them
    documents = {
        path.name: path.read_bytes() for path in sorted(settings.openapi_dir.glob("*.yaml"))
    }
    guard = ControlGuard.of(settings)
    control_plane = with_vendor_operations(control_vendor, vendors)
    routers[CONTROL_PREFIX[1:]] = OperationRouter(
        control_plane,
        load_operations(settings, control_plane, vendors),
        settings.max_fixture_bytes,
        guard=guard.refusal,
        raw=ui_routes(store, catalog, events, sorted(documents), guard),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.attach()  # webhooks and event streams are delivered on this loop
        store.watch(asyncio.get_running_loop())  # (a database: others' messages told at once)
        # (only a vendor with a `deliver_due` delivers anything scheduled)
        due = catalog.due
        looking = (
            asyncio.get_running_loop().create_task(_record_due(store, due, catalog.request_logs))
            if due
            else None
        )
        yield
        if looking is not None:
            looking.cancel()
        catalog.request_logs.close()
        store.close()

    shell = Starlette(routes=_spec_routes(documents), lifespan=lifespan)
    shell.router.default = partial(_not_found, routers)
    # Vendor and control-plane paths are dispatched from the documents' operations by a dict
    # lookup on the prefix, in front of Starlette (their request path answers any error in
    # the vendor's envelope itself); Starlette serves lifespan, /openapi and the rest.
    return RequestPath(shell, routers, store, catalog)
