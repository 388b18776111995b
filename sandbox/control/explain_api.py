"""What if: the decision a message would get now, from the same facts and rules a vendor's
own send uses, with nothing recorded (docs/contract.md section 10)."""

from __future__ import annotations

from sandbox.catalog import of_request
from sandbox.control.handler_table import handlers
from sandbox.engine import Category, Channel, Priority, decide
from sandbox.errors import InvalidInput
from sandbox.http import Context, Reply, tenant_of
from sandbox.outbox import trace_doc
from sandbox.vendor import Probe


@handlers("explainMessage")
def explain_message(ctx: Context) -> Reply:
    data, body = tenant_of(ctx), ctx.body
    vendor = of_request(ctx).vendor(body["vendor"])
    if vendor is None or vendor.explain is None:
        raise InvalidInput(f"vendor: {body['vendor']!r} cannot be asked", field="vendor")
    to = body["to"].strip()
    if not to:
        raise InvalidInput("to: an address is required", field="to")
    probe = Probe(
        channel=Channel(body["channel"]),
        to=to,
        category=Category(body["category"]) if body.get("category") else None,
        priority=Priority(body["priority"]) if body.get("priority") else None,
        sender=body.get("from") or None,
        list_id=str(body["list_id"]) if body.get("list_id") is not None else None,
    )
    intent, facts = vendor.explain(data, probe, data.clock.now())
    decision = decide(intent, facts)
    return Reply(
        {
            "status": decision.status,
            "reason": decision.reason,
            "decision": trace_doc(decision.trace),
        }
    )
