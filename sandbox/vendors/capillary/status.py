"""Customer status labels: assignment (PUT /v2/customers/lookup/status) and the status log.

Labels and their *Block communications* restriction are configured in Intouch's UI, so the
sandbox takes them from the fixture or the control plane; assigning one is an API call.
"""

from __future__ import annotations

from typing import Any

from sandbox.clock import iso, parse_iso
from sandbox.doc import Doc
from sandbox.http import Context, Reply
from sandbox.store import TenantData, Tx
from sandbox.vendors.capillary import customer_logs, customers
from sandbox.vendors.capillary.customers import lookup
from sandbox.vendors.capillary.envelopes import v2_created
from sandbox.vendors.capillary.errors import InvalidStatusLabel
from sandbox.vendors.capillary.handler_table import handlers

STATUS_LOG_IDS_START = 566_000_001
SEQUENCE = "status_log"  # the id sequence of the log's entries


def default_label(data: TenantData) -> str | None:
    """The org default for V2 registrations: the first ACTIVE label configured."""
    for label in data["status_labels"].values():
        if label.get("status") == "ACTIVE" and not label.get("block_communications"):
            return str(label["name"])
    return None


def assign(tx: Tx, ctx: Context, customer: Doc, label: str, reason: str) -> Doc:
    """Give `customer` the status label `label` and log it; returns the log entry."""
    configured = ctx.data["status_labels"].get(label) or {"status": "ACTIVE"}
    entry = {
        "id": tx.next_id(SEQUENCE, STATUS_LOG_IDS_START),
        "customer_id": str(customer["id"]),
        "label": label,
        "status": configured["status"],
        "prevLabel": customer.get("status_label"),
        "reason": reason,
        "createdOn": iso(ctx.now),
        "createdByUser": _till(ctx),
    }
    tx.put("status_log", entry)
    # the configured label's own name object: every customer with it shares one string
    customers.save(tx, customer, ctx.now, status_label=configured.get("name", label))
    return entry


@handlers("updateCustomerStatus")
def update_customer_status(ctx: Context) -> Reply:
    data = ctx.data
    customer = lookup(data, ctx.query["identifierName"], ctx.query["identifierValue"])
    label = ctx.body["label"]
    if data["status_labels"].get(label) is None:
        configured = ", ".join(lbl["name"] for lbl in data["status_labels"].values()) or "none"
        raise InvalidStatusLabel(
            f"Status label passed is not valid: '{label}' (configured: {configured})",
            field="label",
        )
    tx = data.begin()
    entry = assign(tx, ctx, customer, label, ctx.body["reason"])
    tx.commit()
    return v2_created(entry["id"])


@handlers("getStatusLog")
def get_status_log(ctx: Context) -> Reply:
    """The customer's newest labels, oldest first (customer_logs); only the newest is active
    (`isActive`)."""
    data = ctx.data
    return customer_logs.read(
        ctx, "status_log", lambda customer, logged: _initial_entry(data, customer, logged), _render
    )


# a customer never given a label (registered through v1.1): Capillary's customer_entity page
# says v1.1 "leaves NOT SET / N/A"
NOT_SET = {"label": "N/A", "status": "NOT SET"}


def current(ctx: Context, customer: Doc) -> dict[str, Any]:
    """The customer's status now, as its status log's active entry reads (the label's status
    as configured now), from the newest entry alone: O(1)."""
    label = customer.get("status_label")
    if not label:
        return dict(NOT_SET)
    newest = next(ctx.data["status_log"].newest_by("customer_id", str(customer["id"])), None)
    [entry] = (
        [newest]
        if newest is not None and newest["label"] == label
        else _initial_entry(ctx.data, customer, [])
    )
    configured = ctx.data["status_labels"].get(label) or {"status": entry["status"]}
    return _render({**entry, "status": configured["status"]}, customer, True)


def _initial_entry(data: TenantData, customer: Doc, logged: list[Doc]) -> list[Doc]:
    """The label a customer got from the fixture, which is not stored as a log entry: it is
    the customer's label if nothing was logged since, else the first logged entry's prevLabel."""
    label = logged[0].get("prevLabel") if logged else customer.get("status_label")
    if not label:
        return []
    configured = data["status_labels"].get(label) or {"status": "ACTIVE"}
    return [
        {
            "customer_id": str(customer["id"]),
            "label": label,
            "status": configured["status"],
            "prevLabel": None,
            "reason": "fixture",
            "createdOn": customer["created_at"],
            "createdByUser": "fixture",
        }
    ]


def _render(entry: Doc, customer: Doc, active: bool) -> dict[str, Any]:
    """A status log entry as Capillary's get-status-log example shows one (`customer`: whose
    log it is; `active`: whether it is the newest)."""
    created = parse_iso(entry["createdOn"])
    rendered: dict[str, Any] = {
        # (a fixture's entry may give neither: read as strings, as Capillary types them)
        "createdByUser": entry.get("createdByUser") or "",
        "reason": entry.get("reason") or "",
        "createdBy": 75_000_001,
        "actions": [],
        "autoUpdateTime": created.strftime("%Y-%m-%d"),
        "createdOn": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "entityId": customer["id"],
        "isActive": active,
        "label": entry["label"],
        "status": entry["status"],
    }
    if entry.get("prevLabel"):
        rendered["prevLabel"] = entry["prevLabel"]
    return rendered


def _till(ctx: Context) -> str:
    keyring = ctx.store.keyring(ctx.data.name)
    return str(keyring["capillary_username"]) if keyring else "sandbox"
