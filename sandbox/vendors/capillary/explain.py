"""What a Capillary send would meet, asked without sending (the web outbox's "what if"): the
recipient found by its address on the channel, as every Capillary send finds it."""

from __future__ import annotations

from datetime import datetime

from sandbox import normalise
from sandbox.engine import Category, Channel, Facts, Intent, Priority
from sandbox.store import TenantData
from sandbox.vendor import Probe
from sandbox.vendors.capillary import customers
from sandbox.vendors.capillary.messaging import facts_for

CHANNELS = frozenset(customers.RECIPIENT_FIELD) - {Channel.RCS}


def explain(data: TenantData, probe: Probe, now: datetime) -> tuple[Intent, Facts]:
    probe.check_channel("Capillary", CHANNELS)
    to = customers.recipient_address(data, probe.channel, probe.to, "to")
    category = probe.category or Category.TRANSACTIONAL
    priority = probe.priority or (
        Priority.BULK if category is Category.PROMOTIONAL else Priority.TRANS
    )
    intent = Intent(
        vendor="capillary",
        operation="explain",
        channel=probe.channel,
        category=category,
        priority=priority,
        to=to,
        sender=normalise.read_optional_sender(probe.sender, "from"),
    )
    customer = customers.find_recipient(data, probe.channel, to)
    return intent, facts_for(data, customer, now)
