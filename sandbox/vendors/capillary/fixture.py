"""The `capillary` section of a tenant document: status labels and customers (what a fixture
declares), and the records a snapshot carries too: status log, customer requests and OTPs.
`tables` loads a section, `section` writes one from a tenant; they are inverses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.clock import iso, valid_time
from sandbox.errors import InvalidInput
from sandbox.store import Doc, TenantData
from sandbox.vendors.capillary import customers

_CHANNELS = {"sms": "MOBILE", "mobile": "MOBILE", "email": "EMAIL"}
# a customer's fields a document may give beyond its identifiers, with their defaults
_PROFILE = {"firstname": "", "lastname": "", "source": "INSTORE", "points": 0}
# records stored as the API wrote them: the section's key -> (its collection, its timestamp
# fields). The section keeps the name `requests` (tenant documents written before say so).
_RECORDS = {
    "status_log": ("status_log", ("createdOn",)),
    "requests": ("change_requests", ("requested_on", "decided_on")),
    "otps": ("otps", ("expires_at",)),
}


def tables(section: dict[str, Any], now: datetime) -> dict[str, list[Doc]]:
    """Labels and customers. A customer's fixture label is not written to the status log:
    the log shows it as its first entry (see status.py), which keeps big fixtures small."""
    labels = [
        {
            "name": label["name"],
            "status": label.get("status", "ACTIVE"),
            "block_communications": bool(label.get("block_communications", False)),
        }
        for label in section.get("status_labels") or []
    ]
    names = {label["name"]: label["name"] for label in labels}  # one string object per label
    created = iso(now)
    people: list[Doc] = []
    seen: dict[tuple[str, str], int] = {}
    explicit_ids = [c["id"] for c in section.get("customers") or [] if "id" in c]
    next_id = max([customers.CUSTOMER_IDS_START - 1, *explicit_ids]) + 1
    for index, given in enumerate(section.get("customers") or []):
        where = f"capillary.customers[{index}]"
        if "id" in given:
            customer_id = int(given["id"])
        else:
            customer_id, next_id = next_id, next_id + 1
        identifiers = _identifiers(given, where)
        for field, value in [("id", str(customer_id)), *identifiers.items()]:
            key = (field, value.lower())
            if key in seen:
                raise InvalidInput(
                    f"{where}.{field}: {value!r} is already used by customers[{seen[key]}]",
                    field=f"{where}.{field}",
                )
            seen[key] = index
        label = given.get("status_label")
        if label is not None and label not in names:
            raise InvalidInput(
                f"{where}.status_label: '{label}' is not one of capillary.status_labels "
                f"({', '.join(sorted(names)) or 'none configured'})",
                field=f"{where}.status_label",
            )
        prefs = {
            customers.subscription_key(
                _CHANNELS[s["channel"].lower()], s["priority"].upper()
            ): bool(s["subscribed"])
            for s in given.get("subscriptions") or []
        }
        stamps = {
            name: valid_time(given[name], f"{where}.{name}")
            for name in ("created_at", "updated_at")
            if given.get(name) is not None
        }
        people.append(
            customers.compact(
                {
                    "id": customer_id,
                    **identifiers,
                    **{name: given.get(name, default) for name, default in _PROFILE.items()},
                    "status_label": names.get(label) if label else None,
                    "subscriptions": prefs,
                    "created_at": created,
                    **stamps,
                }
            )
        )
    result: dict[str, list[Doc]] = {
        "status_labels": labels,
        "customers": people,
        "_sequences": [{"id": "customer", "value": next_id - 1}],
    }
    for name, (collection, stamped) in _RECORDS.items():
        records = section.get(name) or []
        for index, record in enumerate(records):
            for field in stamped:
                if record.get(field) is not None:
                    valid_time(record[field], f"capillary.{name}[{index}].{field}")
        if records:
            result[collection] = [dict(record) for record in records]
    return result


def section(data: TenantData) -> dict[str, Any]:
    """The tenant's `capillary` section, as `tables` reads it."""
    result: dict[str, Any] = {
        "status_labels": data["status_labels"].snapshot(),
        "customers": [_customer(doc) for doc in data["customers"].values()],
    }
    for name, (collection, _) in _RECORDS.items():
        records = data[collection].snapshot()
        if records:
            result[name] = records
    return result


def _customer(doc: Doc) -> dict[str, Any]:
    """A stored customer in the fixture's words (subscriptions as a list, defaults left out)."""
    given = {k: v for k, v in doc.items() if k != "subscriptions" and v is not None}
    prefs = doc.get("subscriptions") or {}
    if prefs:
        given["subscriptions"] = [
            {"channel": channel, "priority": priority, "subscribed": subscribed}
            for key, subscribed in prefs.items()
            for channel, priority in [key.split(":", 1)]
        ]
    return given


def _identifiers(given: dict[str, Any], where: str) -> dict[str, str]:
    identifiers: dict[str, str] = {}
    for field in ("mobile", "email", "external_id", "wechat"):
        if given.get(field) in (None, ""):
            continue
        value = str(given[field])
        if field == "mobile" and not customers.valid_mobile(value):
            raise InvalidInput(
                f"{where}.mobile: {value!r} is not a mobile number with country code",
                field=f"{where}.mobile",
            )
        if field == "email" and not customers.valid_email(value):
            raise InvalidInput(
                f"{where}.email: {value!r} is not an e-mail address", field=f"{where}.email"
            )
        identifiers[field] = customers.clean_identifier(field, value)
    return identifiers
