"""What a Messangi send would meet, asked without sending: the sender's blocklist for the
channel, as every Messangi send consults it."""

from __future__ import annotations

from datetime import datetime

from sandbox.engine import Category, Channel, Facts, Intent
from sandbox.errors import InvalidInput
from sandbox.store import TenantData
from sandbox.vendor import Probe
from sandbox.vendors.messangi import blocklist
from sandbox.vendors.messangi.sends import SEND_APIS

CHANNELS = frozenset(api.channel for api in SEND_APIS.values())


def explain(data: TenantData, probe: Probe, now: datetime) -> tuple[Intent, Facts]:
    probe.check_channel("Messangi", CHANNELS)
    if not probe.sender:
        raise InvalidInput("from: a Messangi send names its sender", field="from")
    recipient = blocklist.canonical(probe.channel, probe.to)
    intent = Intent(
        vendor="messangi",
        operation="explain",
        channel=probe.channel,
        category=probe.category or Category.TRANSACTIONAL,
        priority=None,
        to=recipient if probe.channel is not Channel.EMAIL else probe.to.strip(),
        sender=probe.sender,
    )
    blocked = blocklist.is_blocklisted(data, probe.channel, probe.sender, recipient)
    return intent, Facts(now=now, sender_blocklisted=blocked)
