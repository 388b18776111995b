"""Messangi's part of the web outbox: each sender's blocklists, by channel type."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Any

from sandbox.store import TenantData
from sandbox.vendors.messangi.blocklist import COLLECTION

SHOWN = 500  # entries drawn on the page; the rest are counted


def recipients(data: TenantData, now: datetime) -> dict[str, Any]:
    senders: dict[str, dict[str, list[dict[str, Any]]]] = {}
    entries = data[COLLECTION]
    for entry in islice(entries.values(), SHOWN):
        senders.setdefault(entry["from"], {}).setdefault(entry["type"], []).append(entry)
    return {"senders": dict(sorted(senders.items())), "total": len(entries), "shown": SHOWN}
