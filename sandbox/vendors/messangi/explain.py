"""What a Messangi send would meet, asked without sending: the sender's blocklist for the
channel, as every Messangi send consults it."""

from __future__ import annotations

from datetime import datetime

from sandbox.engine import Category, Facts, Intent
from sandbox.errors import InvalidInput
from sandbox.store import TenantData
from sandbox.vendor import Probe
from sandbox.vendors.messangi.sends import SEND_APIS, decision_inputs

CHANNELS = frozenset(api.channel for api in SEND_APIS.values())


def explain(data: TenantData, probe: Probe, now: datetime) -> tuple[Intent, Facts]:
    probe.check_channel("Messangi", CHANNELS)
    if not probe.sender:
        raise InvalidInput("from: a Messangi send names its sender", field="from")
    category = probe.category or Category.TRANSACTIONAL
    return decision_inputs(
        data, "explain", probe.channel, category, sender=probe.sender, to=probe.to, now=now
    )
