"""Symplify's part of the web outbox: each account's lists with their contacts, and the
temporary blocks still active on the tenant's clock, with the day each ends."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Any

from sandbox.store import TenantData
from sandbox.vendors.symplify.accounts import CONTACTS, LISTS
from sandbox.vendors.symplify.contacts import active_block

SHOWN = 200  # contacts drawn per list


def recipients(data: TenantData, now: datetime) -> dict[str, Any]:
    today = now.date()
    lists = []
    for listed in sorted(data[LISTS].values(), key=lambda d: (d["account"], d["list_id"])):
        members = data[CONTACTS].all_by("list", (listed["account"], listed["list_id"]))
        contacts = [
            {
                "original_id": c["original_id"],
                "email": c.get("email"),
                "mobile": c.get("mobile"),
                "block": active_block(c, today),
            }
            for c in islice(members, SHOWN)
        ]
        lists.append(
            {
                "account": listed["account"],
                "list_id": listed["list_id"],
                "name": listed["name"],
                "contacts": contacts,
                "total": data[CONTACTS].count_by("list", (listed["account"], listed["list_id"])),
            }
        )
    return {"lists": lists, "today": today.isoformat()}
