"""The subscription change log: every opt-in and opt-out the sandbox applies, whatever API made
it (v1.1 and v2 subscriptions, #14's subscription configuration), read back with
GET /v2/customers/{userId}/subscriptionStatusChangeLog (Capillary's `get-customer-subscription-
log`). An entry is written in the transaction of the change it records, so a request that fails
writes none.

A fixture's declared preferences are not changes: like the status log's first entry, each one
is shown as an entry of reason "fixture" when the customer's log is read (computed, not stored;
big fixtures stay small and a snapshot loads back without doubling them). Each stored entry
keeps the preference it replaced (`previous`), so a declared state shows even after the APIs
changed it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sandbox.clock import iso, parse_iso
from sandbox.doc import Doc
from sandbox.http import Context, Reply
from sandbox.store import Tx
from sandbox.vendors.capillary import customer_logs, customers, subscription_channels
from sandbox.vendors.capillary.handler_table import handlers

# entries are numbered as #14 numbers the changes it answers (its createdId is its entry's id)
SEQUENCE = "subscription_change"
IDS_START = 20_000_001
DIRECT = "Direct"  # the reason of a change whose request gives none (Capillary's example's)


class Change(NamedTuple):
    """Where a change came from, as its log entry shows it: the v2 request's reason and the
    entry's org unit, source and account; the defaults for an API that names none."""

    reason: str = DIRECT
    org_unit_id: int = -1
    source: str | None = None  # None: the customer's own source
    account_id: str = ""


DIRECT_CHANGE = Change()  # a change made by an API that names no reason, org unit or account


# one string object per channel and priority, whatever object a request's text was
_NAMES = {name: name for name in (*subscription_channels.NAMES, "TRANS", "BULK")}


def append(
    tx: Tx,
    customer: Doc,
    now: datetime,
    key: str,
    *,
    subscribed: bool,
    change: Change,
) -> Doc:
    """Log that `customer`'s preference `key` ("CHANNEL:PRIORITY") is now `subscribed`. An
    entry leaves out what holds its default (DIRECT_CHANGE's, no previous preference): a log
    of many changes stays small."""
    channel, priority = key.split(":", 1)
    entry: Doc = {
        "id": tx.next_id(SEQUENCE, IDS_START),
        "customer_id": str(customer["id"]),
        "channel": _NAMES[channel],
        "priority": _NAMES[priority],
        "status": subscribed,
        "addedOn": iso(now),
    }
    previous = customer.get("subscriptions", {}).get(key)
    if previous is not None:
        entry["previous"] = previous
    if change is not DIRECT_CHANGE:
        given = {
            "reason": (change.reason, DIRECT),
            "orgUnitId": (change.org_unit_id, -1),
            "source": (change.source, None),
            "accountId": (change.account_id, ""),
        }
        entry.update((name, value) for name, (value, default) in given.items() if value != default)
    return tx.put("subscription_log", entry)


@handlers("getSubscriptionLog")
def get_subscription_log(ctx: Context) -> Reply:
    """The customer's newest changes, oldest first (customer_logs)."""
    return customer_logs.read(ctx, "subscription_log", _declared, _render)


def _declared(customer: Doc, logged: list[Doc]) -> list[Doc]:
    """The preferences the customer had before any logged change (a fixture's), oldest
    first: a preference's first logged change says what it replaced; one never changed is
    as declared."""
    first: dict[str, Doc] = {}
    for entry in logged:
        first.setdefault(f"{entry['channel']}:{entry['priority']}", entry)
    declared = []
    for key, subscribed in customer.get("subscriptions", {}).items():
        state = first[key].get("previous") if key in first else subscribed
        if state is None:
            continue
        channel, priority = key.split(":", 1)
        declared.append(
            {
                "channel": channel,
                "priority": priority,
                "status": state,
                "reason": "fixture",
                "addedOn": customer["created_at"],
            }
        )
    return declared


def _render(entry: Doc, customer: Doc, newest: bool) -> dict[str, Any]:
    """An entry as Capillary shows it; one that names no source has the customer's."""
    channel = entry["channel"]
    return {
        "orgUnitId": entry.get("orgUnitId", -1),
        "source": entry.get("source", customer.get("source", customers.DEFAULTS["source"])),
        "accountId": entry.get("accountId", ""),
        "orgSourceId": -1,
        "commChannelId": subscription_channels.BY_NAME[channel].log_id,
        "commChannelType": channel.lower(),
        "communicationCategoryId": -1,
        "priority": entry["priority"],
        "status": entry["status"],
        "addedBy": -1,
        "addedOn": parse_iso(entry["addedOn"]).strftime("%Y-%m-%d"),
        "reason": entry.get("reason", DIRECT),
    }
