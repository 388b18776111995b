"""The outbox (every triggered message, with why it was or was not delivered) and the
request log."""

from __future__ import annotations

from itertools import islice

from sandbox import outbox
from sandbox.catalog import of_request
from sandbox.control.handler_table import handlers
from sandbox.errors import NotFound
from sandbox.http import Context, Reply, tenant_of
from sandbox.outbox_filters import PAGING


@handlers("listOutbox")
def list_outbox(ctx: Context) -> Reply:
    query = ctx.query  # only what openapi/sandbox.yaml declares: the filters and the paging
    filters = {name: value for name, value in query.items() if name not in PAGING}
    data = tenant_of(ctx)
    named = of_request(ctx).names.named(data, filters.get("q", ""))  # q= finds names too
    items, total = outbox.page(
        data["messages"], filters, query.get("offset", 0), query.get("limit", 100), named
    )
    return Reply({"items": items, "total": total})


@handlers("getOutboxMessage")
def get_outbox_message(ctx: Context) -> Reply:
    doc = tenant_of(ctx)["messages"].get(ctx.path_params["id"])
    if doc is None:
        raise NotFound(f"no message with id '{ctx.path_params['id']}'", field="id")
    return Reply(doc)


@handlers("clearOutbox")
def clear_outbox(ctx: Context) -> Reply:
    tx = tenant_of(ctx).begin()
    tx.clear("messages")
    tx.commit()
    return Reply(None, 204)


@handlers("listRequests")
def list_requests(ctx: Context) -> Reply:
    log = ctx.catalog.request_logs.of(tenant_of(ctx))
    limit = ctx.query.get("limit", 100)
    items = [entry.document() for entry in islice(reversed(log), limit)]
    return Reply({"items": items, "total": len(log)})
