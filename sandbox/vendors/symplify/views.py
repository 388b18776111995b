"""Symplify's part of the web outbox: each account's lists with their contacts (the first
ones, by index), their opt-outs and bounces with the day each was set, the temporary blocks
still active on the tenant's clock with the day each ends, and each list's counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.doc import Doc
from sandbox.store import TenantData
from sandbox.vendor import Names, full_name
from sandbox.vendors.symplify.accounts import CONTACTS, LISTS
from sandbox.vendors.symplify.contacts import active_block
from sandbox.vendors.symplify.flags import FLAGS

# a message's contact, by name (the outbox lists and searches it)
NAMES = Names("contact_id", CONTACTS)
SHOWN = 200  # contacts drawn per list


def recipients(data: TenantData, now: datetime) -> dict[str, Any]:
    today = now.date()
    contacts = data[CONTACTS]
    lists = []
    for listed in sorted(data[LISTS].values(), key=lambda d: (d["account"], d["list_id"])):
        where = (listed["account"], listed["list_id"])
        shown = [
            {
                "original_id": c["original_id"],
                "name": full_name(c),
                "email": c.get("email"),
                "mobile": c.get("mobile"),
                "block": active_block(c, today),
                "marks": _marks(c),
            }
            for c in contacts.page_by("list", where, None, SHOWN)
        ]
        lists.append(
            {
                "account": listed["account"],
                "list_id": listed["list_id"],
                "name": listed["name"],
                "contacts": shown,
                "total": contacts.count_by("list", where),
                "unsubscribed": contacts.count_by("listed", (*where, "unsubscribed", "MIXED")),
                "bounced": contacts.count_by("listed", (*where, "bounced", "MIXED")),
            }
        )
    return {"lists": lists, "today": today.isoformat()}


def _marks(contact: Doc) -> list[str]:
    """Each opt-out and bounce of the contact, with its day (UTC) where one is kept."""
    found = []
    for flag in FLAGS:
        if contact.get(flag.stored):
            moment = contact.get(flag.dated)
            day = "" if moment is None else f" on {_day(moment)}"
            found.append(flag.label + day)
    return found


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()
