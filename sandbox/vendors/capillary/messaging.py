"""The one path from a Capillary API to the outbox: gather the facts about the recipient,
let the engine decide, record the message and count it in the customer's interactions.

Capillary passes the customer's user_id downstream and the downstream service checks the
block (seed 000): the API's own answer never changes, whatever the decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sandbox import outbox
from sandbox.engine import Category, Channel, Facts, Intent, Priority, StatusLabel
from sandbox.http import Context
from sandbox.store import Doc, TenantData, Tx
from sandbox.vendors.capillary import customers

# interaction type -> the field of its last interaction time
LAST = {kind: f"{kind}_last" for kind in ("sms", "email", "whatsapp", "zalo", "wechat", "rcs")}
# message channel -> the v1.1 interaction type it is counted under
INTERACTION_TYPE = {
    Channel.SMS: "sms",
    Channel.EMAIL: "email",
    Channel.WHATSAPP: "whatsapp",
    Channel.ZALO: "zalo",
    Channel.WECHAT: "wechat",
    Channel.RCS: "rcs",
}


class Outgoing(NamedTuple):
    channel: Channel
    category: Category
    to: str
    priority: Priority = Priority.TRANS
    subject: str | None = None
    body: str | None = None
    sender: str | None = None


def facts_for(data: TenantData, customer: Doc | None, now: datetime) -> Facts:
    if customer is None:
        return Facts(now=now)
    label = None
    name = customer.get("status_label")
    if name:
        configured = data["status_labels"].get(name)
        label = StatusLabel(
            name=name,
            status=configured["status"] if configured else "UNKNOWN",
            block_communications=bool(configured and configured["block_communications"]),
        )
    return Facts(
        now=now,
        customer_id=str(customer["id"]),
        status_label=label,
        subscriptions=customer.get("subscriptions", customers.DEFAULTS["subscriptions"]),
    )


def send(ctx: Context, tx: Tx, message: Outgoing, customer: Doc | None) -> Doc:
    """Stage one communication to `customer` (None: an address no customer has)."""
    data = ctx.data
    now = ctx.now
    intent = Intent(
        vendor="capillary",
        operation=ctx.op.operation_id,
        channel=message.channel,
        category=message.category,
        priority=message.priority,
        to=message.to,
        sender=message.sender,
    )
    record, _ = outbox.record(
        tx,
        intent,
        facts_for(data, customer, now),
        subject=message.subject,
        body=message.body,
        stamp=ctx.stamp,
    )
    if customer is not None:
        _count_interaction(tx, customer["id"], INTERACTION_TYPE[message.channel], ctx.stamp)
    ctx.message_ids.append(record["id"])
    return record


def send_to_customer(
    ctx: Context, tx: Tx, customer: Doc, channel: Channel, *, category: Category, text: str
) -> Doc | None:
    """A notification on the customer's own address for `channel`, if they have one."""
    address = customer.get(customers.RECIPIENT_FIELD[channel])
    if not address:
        return None
    subject = text.split(".", maxsplit=1)[0] if channel is Channel.EMAIL else None
    return send(ctx, tx, Outgoing(channel, category, address, subject=subject, body=text), customer)


def _count_interaction(tx: Tx, customer_id: int, kind: str, stamp: str) -> None:
    """One flat document per customer: {"sms": 3, "sms_last": "<ISO time>", ...}."""
    key = str(customer_id)
    old = tx.get("interactions", key) or {"customer_id": key}
    tx.put("interactions", {**old, kind: old.get(kind, 0) + 1, LAST[kind]: stamp})
