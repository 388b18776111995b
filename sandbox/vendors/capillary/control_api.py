"""Capillary's part of the control plane: status labels, which Capillary configures in
Intouch's UI rather than through an API (`PUT /_sandbox/tenants/{t}/capillary/status-labels/
{name}`, documented in openapi/sandbox.yaml and marked `x-sandbox-vendor: capillary`)."""

from __future__ import annotations

from sandbox.http import Context, Handlers, Reply, tenant_of

control_handlers = Handlers()


@control_handlers("putStatusLabel")
def put_status_label(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    name = ctx.path_params["name"]
    old = data["status_labels"].get(name) or {"status": "ACTIVE", "block_communications": False}
    label = {
        "name": name,
        "status": ctx.body.get("status", old["status"]),
        "block_communications": ctx.body.get("block_communications", old["block_communications"]),
    }
    tx = data.begin()
    tx.put("status_labels", label)
    tx.commit()
    return Reply(label)
