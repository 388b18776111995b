"""The outbox (every triggered message, with why it was or was not delivered) and the
request log."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from sandbox import normalise
from sandbox.control.registry import handlers, tenant_of
from sandbox.errors import NotFound
from sandbox.http import Context, Reply
from sandbox.store.collection import Doc

_EXACT_FILTERS = ("vendor", "channel", "status", "reason", "operation", "category")


def recipient_key(value: str) -> str:
    """The same recipient however it was written: e-mail case-insensitive, phone digits."""
    return normalise.email(value) if "@" in value else normalise.phone(value) or value.strip()


@handlers("listOutbox")
def list_outbox(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    messages = data["messages"]
    query = ctx.query
    source: Iterator[Doc] = (
        messages.newest_by("customer_id", str(query["customer_id"]))
        if "customer_id" in query
        else messages.newest()
    )
    exact = {name: query[name] for name in _EXACT_FILTERS if name in query}
    wanted_to = recipient_key(query["to"]) if "to" in query else None
    matches = [
        doc
        for doc in source
        if all(doc.get(name) == value for name, value in exact.items())
        and (wanted_to is None or recipient_key(doc.get("to") or "") == wanted_to)
    ]
    offset, limit = query.get("offset", 0), query.get("limit", 100)
    return Reply({"items": matches[offset : offset + limit], "total": len(matches)})


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
    log = tenant_of(ctx).request_log
    limit = ctx.query.get("limit", 100)
    items = [entry.document() for entry in islice(reversed(log), limit)]
    return Reply({"items": items, "total": len(log)})
