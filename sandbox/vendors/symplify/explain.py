"""What a Symplify list send would meet, asked without sending: the contact with that address
on the list, and its temporary block, as the list send reads it."""

from __future__ import annotations

from datetime import datetime

from sandbox.doc import Doc
from sandbox.engine import Category, Facts, Intent
from sandbox.errors import InvalidInput
from sandbox.store import TenantData
from sandbox.vendor import Probe
from sandbox.vendors.symplify.accounts import ACCOUNTS, CONTACTS, LISTS, list_key
from sandbox.vendors.symplify.addresses import address_key, read_address
from sandbox.vendors.symplify.sends import ADDRESS, contact_facts

CHANNELS = frozenset(ADDRESS)


def explain(data: TenantData, probe: Probe, now: datetime) -> tuple[Intent, Facts]:
    probe.check_channel("Symplify", CHANNELS)
    if not probe.list_id:
        raise InvalidInput(
            "list_id: a Symplify send goes to a list (42 or 1234/42)", field="list_id"
        )
    listed = _list(data, probe.list_id)
    field = ADDRESS[probe.channel]
    to = read_address(field, probe.to, "to") or ""
    # the account's contacts with that address (an index), then the one on this list
    with_address = data[CONTACTS].all_by(field, (listed["account"], address_key(field, to)))
    contact = next((c for c in with_address if c["list_id"] == listed["list_id"]), None)
    intent = Intent(
        vendor="symplify",
        operation="explain",
        channel=probe.channel,
        category=probe.category or Category.PROMOTIONAL,
        priority=None,
        to=to,
    )
    return intent, contact_facts(contact, listed["list_id"], probe.channel, now)


def _list(data: TenantData, list_id: str) -> Doc:
    """`1234/42`, or `42` when the tenant has one account (a key, not a walk of the lists)."""
    if "/" not in list_id:
        accounts = [doc["id"] for doc in data[ACCOUNTS].values()]
        if len(accounts) != 1:
            raise InvalidInput(
                f"list_id: this tenant has {len(accounts)} Symplify accounts; name the list "
                f"with its account ({', '.join(f'{a}/{list_id}' for a in sorted(accounts)[:3])})",
                field="list_id",
            )
        list_id = list_key(accounts[0], list_id)
    found = data[LISTS].get(list_id)
    if found is None:
        raise InvalidInput(f"list_id: no list {list_id}", field="list_id")
    return found
