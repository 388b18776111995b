"""The tenant clock endpoints: read, set/freeze/unfreeze, advance."""

from __future__ import annotations

from sandbox.clock import OutOfRange, parse_iso
from sandbox.control.handler_table import handlers
from sandbox.doc import Doc
from sandbox.errors import InvalidInput
from sandbox.http import Context, Reply, tenant_of
from sandbox.store import TenantData


@handlers("getClock")
def get_clock(ctx: Context) -> Reply:
    return Reply(tenant_of(ctx).clock.describe())


@handlers("putClock")
def put_clock(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    now = None
    if "now" in ctx.body:
        try:
            now = parse_iso(ctx.body["now"])
            clock = data.clock.set(now, ctx.body.get("frozen"))
        except OutOfRange as exc:
            raise InvalidInput(f"now: {exc}", field="now") from None
        except ValueError:
            raise InvalidInput(
                f"now: {ctx.body['now']!r} is not an ISO 8601 date-time", field="now"
            ) from None
    else:
        clock = data.clock.set(None, ctx.body.get("frozen"))
    _save(data, {"id": "clock", **clock.to_doc()})
    return Reply(data.clock.describe())


@handlers("advanceClock")
def advance_clock(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    try:
        clock = data.clock.advance(float(ctx.body["seconds"]))
    except OutOfRange as exc:
        raise InvalidInput(f"seconds: {exc}", field="seconds") from None
    _save(data, {"id": "clock", **clock.to_doc()})
    return Reply(data.clock.describe())


def _save(data: TenantData, doc: Doc) -> None:
    tx = data.begin()
    tx.put("meta", doc)
    tx.commit()
