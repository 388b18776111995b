"""Injected faults per vendor operation: set, read, list, clear (docs/contract.md section 7).
What a fault does to a call is sandbox/faults.py."""

from __future__ import annotations

from pathlib import Path

from sandbox.catalog import of_request
from sandbox.control.handler_table import handlers
from sandbox.doc import Doc
from sandbox.errors import NotFound
from sandbox.http import Context, Reply, tenant_of


@handlers("putFault")
def put_fault(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    operation_id = _operation(ctx)
    asked = ctx.body
    times = asked.get("times")
    fault = {
        "operationId": operation_id,
        "vendor": ctx.catalog.operations[operation_id],
        "status": asked["status"],
        "times": times,
        "latency_ms": asked.get("latency_ms", 0),
        "probability": asked.get("probability", 1.0),
        "seed": asked.get("seed", 0),
        "remaining": times,
        "calls": 0,
        "faulted": 0,
    }
    created = operation_id not in data["faults"]
    tx = data.begin()
    tx.put("faults", fault)
    tx.commit()
    return Reply(fault, 201 if created else 200)


@handlers("getFault")
def get_fault(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    operation_id = _operation(ctx)
    fault: Doc | None = data["faults"].get(operation_id)
    if fault is None:
        raise NotFound(f"{operation_id} has no fault", field="operationId")
    return Reply(fault)


@handlers("listFaults")
def list_faults(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    return Reply({"faults": sorted(data["faults"].values(), key=lambda f: f["operationId"])})


@handlers("deleteFault")
def delete_fault(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    operation_id = _operation(ctx)
    if operation_id in data["faults"]:
        tx = data.begin()
        tx.delete("faults", operation_id)
        tx.commit()
    return Reply(None, 204)


@handlers("clearFaults")
def clear_faults(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    if len(data["faults"]):
        tx = data.begin()
        tx.clear("faults")
        tx.commit()
    return Reply(None, 204)


def _operation(ctx: Context) -> str:
    operation_id: str = ctx.path_params["operationId"]
    if operation_id not in ctx.catalog.operations:
        documents = ", ".join(Path(vendor.document_name).name for vendor in of_request(ctx).vendors)
        raise NotFound(
            f"no vendor operation {operation_id!r}: use an operationId of {documents}",
            field="operationId",
        )
    return operation_id
