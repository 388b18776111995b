"""The one path from a Capillary API to the outbox: gather the facts about the recipient,
let the engine decide, record the message and count it in the customer's interactions.

Capillary passes the customer's user_id downstream and the downstream service checks the
block (seed 000): the API's own answer never changes, whatever the decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sandbox.doc import Doc
from sandbox.engine import Category, Channel, Concept, Facts, Intent, Priority, StatusLabel
from sandbox.http import Context
from sandbox.store import TenantData, Tx
from sandbox.vendors.capillary import customers


class Outgoing(NamedTuple):
    channel: Channel
    category: Category
    to: str
    priority: Priority = Priority.TRANS
    subject: str | None = None
    body: str | None = None
    sender: str | None = None


# Capillary's recipients are customers, with status labels and subscription preferences
CONCEPTS = frozenset({Concept.CUSTOMERS, Concept.SUBSCRIPTIONS})


def facts_for(data: TenantData, customer: Doc | None, now: datetime) -> Facts:
    if customer is None:
        return Facts(now=now, concepts=CONCEPTS)
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
        concepts=CONCEPTS,
    )


def send(ctx: Context, tx: Tx, message: Outgoing, customer: Doc | None) -> Doc:
    """Stage one communication to `customer` (None: an address no customer has)."""
    channel, category, to, priority, subject, body, sender = message  # (one read, not seven)
    intent = Intent("capillary", ctx.op.operation_id, channel, category, priority, to, sender)
    record, _ = ctx.outbox.record(
        tx, intent, facts_for(ctx.data, customer, ctx.now), subject=subject, body=body
    )
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
