"""The control plane's operationId -> handler table, filled by the modules of this package."""

from __future__ import annotations

from sandbox import schedule
from sandbox.errors import NotFound
from sandbox.http import Context, Handlers
from sandbox.store import TenantData

handlers = Handlers()


def tenant_of(ctx: Context) -> TenantData:
    name = ctx.path_params["tenant"]
    data = ctx.store.get(name)
    if data is None:
        raise NotFound(f"no tenant named '{name}'", field="tenant")
    # what the call sees or changes includes what is due
    schedule.run_due(ctx.catalog.due, data, ctx.catalog.request_logs)
    return data
