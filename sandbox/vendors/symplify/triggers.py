"""Symplify's triggers: its transactional send (research 7c, as moonwalker/carmaclient calls
it). A trigger is declared in the fixture with its list and channel; `POST .../triggers/{id}/
messages` sends it to one contact of that list, now or at its `deliveryTime` on the tenant's
clock (sandbox/schedule.py), and the message is decided like every send: the contact's
temporary block, then its opt-out of the channel unless the trigger ignores opt-outs.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sandbox import schedule
from sandbox.clock import LATEST, epoch_ms, iso
from sandbox.doc import Doc
from sandbox.engine import Channel
from sandbox.errors import InvalidInput, NotFound
from sandbox.http import Context, Reply
from sandbox.outbox import Recorder
from sandbox.store import TenantData, Tx
from sandbox.vendors.symplify.accounts import CONTACTS, TRIGGERS, account, list_key, path_declared
from sandbox.vendors.symplify.contact_sends import on_list, reaches, send
from sandbox.vendors.symplify.contacts import stamped
from sandbox.vendors.symplify.flags import OPT_OUTS
from sandbox.vendors.symplify.handler_table import handlers

OPERATION = "sendTrigger"
CHANNEL_TYPE = {Channel.EMAIL: 1, Channel.SMS: 2}  # TriggerDTO channelTypeId
# SendTriggerDTO deliveryTime: yyyy-MM-ddTHH:mm:ssZZZZ, e.g. 2016-02-09T11:00:00+0100
DELIVERY_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}")


def trigger_dto(trigger: Doc) -> dict[str, Any]:
    """Symplify's TriggerDTO (no campaigns are emulated: activeCampaign 0, no versions)."""
    dto: dict[str, Any] = {
        "id": trigger["trigger_id"],
        "type": 1,
        "projectId": 0,
        "name": trigger["name"],
        "listId": trigger["list_id"],
        "dateCreated": trigger["created"],
        "dateModified": trigger["created"],
        "channelTypeId": CHANNEL_TYPE[Channel(trigger["channel"])],
        "activeCampaign": 0,
        "ignoreOptOut": trigger["ignore_opt_out"],
        "campaignVersions": [],
        "active": True,
    }
    if trigger.get("description"):
        dto["description"] = trigger["description"]
    return dto


def path_trigger(ctx: Context) -> Doc:
    return path_declared(ctx, TRIGGERS, "triggerId", "trigger")


@handlers("listTriggers")
def list_triggers(ctx: Context) -> Reply:
    owned = ctx.data[TRIGGERS].all_by("account", account(ctx))
    return Reply([trigger_dto(t) for t in sorted(owned, key=lambda t: t["trigger_id"])])


@handlers("getTrigger")
def get_trigger(ctx: Context) -> Reply:
    return Reply(trigger_dto(path_trigger(ctx)))


@handlers(OPERATION)
def send_trigger(ctx: Context) -> Reply:
    trigger = path_trigger(ctx)
    body = ctx.body
    original_id = body["originalId"]
    contact = _contact(ctx.data, trigger, original_id)
    if contact is None:
        raise NotFound(
            f"originalId: no contact {original_id!r} on list {trigger['list_id']}, the list of "
            f"trigger {trigger['trigger_id']}",
            field="originalId",
        )
    channel = Channel(trigger["channel"])
    if not reaches(contact, channel):
        noun = "e-mail address" if channel is Channel.EMAIL else "mobile number"
        raise InvalidInput(
            f"originalId: contact {original_id!r} has no {noun}, and trigger "
            f"{trigger['trigger_id']} sends {channel}",
            field="originalId",
        )
    due = _delivery_time(body.get("deliveryTime"))
    work = {
        "account": trigger["account"],
        "trigger_id": trigger["trigger_id"],
        "original_id": original_id,
        "properties": body.get("properties") or {},
        "opt_out": bool(body.get("optOut")),
    }
    tx = ctx.data.begin()
    if due is not None and due > ctx.now:
        schedule.add(tx, "symplify", due, work)
        tx.commit()
        return Reply({"message": f"Trigger message scheduled for {iso(due)}"})
    _send(tx, trigger, contact, work, now=ctx.now, outbox=ctx.outbox)
    tx.commit()
    return Reply({"message": "Trigger message queued"})


# a scheduled item's work, as send_trigger keeps it and deliver_due reads it (a tenant
# document's `scheduled[].work` is refused at load unless it fits: Vendor.scheduled_work)
WORK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["account", "trigger_id", "original_id", "properties", "opt_out"],
    "properties": {
        "account": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
        "trigger_id": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647},
        "original_id": {"type": "string", "minLength": 1, "maxLength": 200},
        "properties": {
            "type": "object",
            "maxProperties": 200,
            "additionalProperties": {"type": ["string", "null"], "maxLength": 10_000},
        },
        "opt_out": {"type": "boolean"},
    },
}


def deliver_due(data: TenantData, tx: Tx, item: Doc, outbox: Recorder) -> None:
    """A scheduled trigger message, decided as of its due time with the contact as it is now
    (a trigger or contact removed meanwhile: nothing is sent)."""
    work = item["work"]
    trigger = data[TRIGGERS].get(list_key(work["account"], work["trigger_id"]))
    if trigger is None:
        return
    contact = _contact(data, trigger, work["original_id"])
    if contact is None or not reaches(contact, Channel(trigger["channel"])):
        return
    _send(tx, trigger, contact, work, now=outbox.now, outbox=outbox)


def _contact(data: TenantData, trigger: Doc, original_id: str) -> Doc | None:
    return on_list(data, trigger["account"], trigger["list_id"], original_id)


def _send(
    tx: Tx, trigger: Doc, contact: Doc, work: Doc, *, now: datetime, outbox: Recorder
) -> None:
    """The trigger's one message to `contact`, and its opt-out after it when asked for."""
    send(
        tx,
        contact,
        work["properties"],
        trigger,
        trigger,
        operation=OPERATION,
        now=now,
        outbox=outbox,
    )
    if work["opt_out"]:
        stored = OPT_OUTS[trigger["channel"]].stored
        moment = epoch_ms(now)
        tx.put(CONTACTS, stamped({**contact, stored: True, "modified": moment}, moment))


def _delivery_time(value: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if not DELIVERY_TIME.fullmatch(value):
        raise InvalidInput(
            f"deliveryTime: {value!r} is not yyyy-MM-ddTHH:mm:ssZZZZ (e.g. "
            "2016-02-09T11:00:00+0100)",
            field="deliveryTime",
        )
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise InvalidInput(
            f"deliveryTime: {value!r} is not a time on the calendar", field="deliveryTime"
        ) from None
    if moment > LATEST:  # (a time already past is sent now, however long ago)
        raise InvalidInput(
            f"deliveryTime: {value!r} is later than a tenant's clock can reach ({iso(LATEST)})",
            field="deliveryTime",
        )
    return moment
