"""Capillary's part of the web outbox: its customers, each with status label (and whether it
blocks communications), subscription matrix (channel x priority), the preferences recorded
for channels without a rule, and interaction counts."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Any

from sandbox.store import TenantData
from sandbox.vendor import Names, full_name
from sandbox.vendors.capillary import customers, subscription_channels
from sandbox.vendors.capillary.collections import CUSTOMERS


def customer_key(customer_id: Any) -> Any:
    """A message's customer_id (its text) as the customers' key (a number)."""
    text = str(customer_id)
    return int(text) if text.isascii() and text.isdecimal() else customer_id


# a message's customer, by name (the outbox lists and searches it)
NAMES = Names("customer_id", CUSTOMERS.name, customer_key)
SHOWN = 200  # customers drawn on the page; the rest are counted
# the preferences that decide sends: each ruled channel, TRANS and BULK
MATRIX = [
    (channel.name, priority)
    for channel in subscription_channels.ruled()
    for priority in ("TRANS", "BULK")
]


def recipients(data: TenantData, now: datetime) -> dict[str, Any]:
    labels, messages = data["status_labels"], data["messages"]  # labels are keyed by name
    people = []
    for doc in islice(data["customers"].values(), SHOWN):
        label = labels.get(doc.get("status_label") or "")
        preferences = doc.get("subscriptions", customers.DEFAULTS["subscriptions"])
        people.append(
            {
                "id": doc["id"],
                "name": full_name(doc),
                "mobile": doc.get("mobile"),
                "email": doc.get("email"),
                "label": doc.get("status_label"),
                "blocks": bool(label and label["block_communications"]),
                "matrix": [
                    preferences.get(customers.subscription_key(channel, priority), True)
                    for channel, priority in MATRIX
                ],
                # (channel, priority, subscribed): recorded, deciding no send
                "recorded": customers.recorded_only(doc),
                "interactions": {
                    str(kind): count for kind, (count, _) in messages.tally(str(doc["id"])).items()
                },
            }
        )
    return {
        "labels": sorted(labels.values(), key=lambda label: label["name"]),
        "customers": people,
        "total": len(data["customers"]),
        "matrix": [f"{channel} {priority}" for channel, priority in MATRIX],
    }
