"""The `capillary` section of a tenant document: the org's settings, status labels and
customers (what a fixture declares), and the logs a snapshot carries too: status log,
subscription change log, customer requests and OTPs. `tables` loads a section, `section`
writes one from a tenant; they are inverses. Identifiers are read as the APIs read them (a
national mobile in the org's country), so a document written by an earlier release loads in
today's normal form."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox import normalise
from sandbox.clock import iso, valid_time
from sandbox.doc import Doc
from sandbox.errors import InvalidInput
from sandbox.store import TenantData
from sandbox.vendor import refuse_repeated
from sandbox.vendors.capillary import (
    customers,
    otp,
    request_model,
    status,
    subscription_channels,
    subscription_log,
)

# a customer's fields a document may give beyond its identifiers, with their defaults
_PROFILE = {"firstname": "", "lastname": "", "source": "INSTORE", "points": 0}


@dataclass(frozen=True)
class _Known:
    """What a carried document is read against: the section's customers' ids, the org's country."""

    customers: set[str]
    within: normalise.Country | None


@dataclass(frozen=True)
class _Carried:
    """Documents a snapshot carries as the API wrote them: their collection, their timestamps,
    the fields no two of them share once read (the collection's key first), the numeric id
    drawn from an id sequence (which the load moves past every declared one), and how a
    document is read: as stored, in today's normal form, or refused (InvalidInput naming what
    its handlers could not use)."""

    collection: str
    stamps: tuple[str, ...]
    once: tuple[str, ...]
    numbered: tuple[str, str]  # (id sequence, the field it fills)
    read: Callable[[Doc, str, _Known], Doc]


def _names_a_customer(doc: Doc, where: str, known: _Known) -> Doc:
    if doc["customer_id"] not in known.customers:
        raise InvalidInput(
            f"{where}.customer_id: {doc['customer_id']!r} is not the id of one of "
            "capillary.customers",
            field=f"{where}.customer_id",
        )
    return doc


def _usable_request(request: Doc, where: str, known: _Known) -> Doc:
    """What approving, rejecting and showing a request read of it (request_model.decide); a
    pending change's new mobile or e-mail as the API reads a new value (a national number in
    the org's country), which approving stores."""
    _names_a_customer(request, where, known)
    kind, base = request["type"], request["base_type"]
    bases = request_model.CHANGE_FIELD if kind == "CHANGE_IDENTIFIER" else _GOODWILL_BASES
    if base not in bases:
        raise InvalidInput(
            f"{where}.base_type: {base} is not a base type of {kind} ({', '.join(sorted(bases))})",
            field=f"{where}.base_type",
        )
    if base == "POINTS":
        request_model.goodwill_points(request.get("points"), f"{where}.points")
    if kind != "CHANGE_IDENTIFIER" or request["status"] != "PENDING":
        return request
    target = request_model.CHANGE_FIELD[base]
    value = request.get("new_value")
    usable = isinstance(value, str) and value.strip() != ""
    if usable and target in ("mobile", "email"):
        try:
            value = customers.read_in(known.within, target, value, f"{where}.new_value")
        except normalise.Unreadable:
            usable = False
    if not usable:
        raise InvalidInput(
            f"{where}.new_value: {value!r} is not a {target} a pending change could apply",
            field=f"{where}.new_value",
        )
    return request if value == request["new_value"] else {**request, "new_value": value}


def _otp(doc: Doc, where: str, known: _Known) -> Doc:
    """An OTP under the key generate and validate compute today (`MOBILE:<digits>:<action>`),
    whatever spelling the document wrote its entity in."""
    entity, _, rest = str(doc["subject"]).partition(":")
    value, _, action = rest.rpartition(":")
    field = "mobile" if entity.upper() == "MOBILE" else "email"
    with contextlib.suppress(normalise.Unreadable):  # else kept as written: its key compares
        value = customers.read_in(known.within, field, value, f"{where}.subject")
    return {**doc, "subject": otp.subject_key(entity, value, action)}


# the base types of a goodwill request a document may give (the schema's, COUPON aside)
_GOODWILL_BASES = frozenset({"POINTS", "COUPONS"})

# The section keeps the name `requests` (tenant documents written before say so).
_CARRIED = {
    "status_log": _Carried(
        "status_log", ("createdOn",), ("id",), (status.SEQUENCE, "id"), _names_a_customer
    ),
    "subscription_log": _Carried(
        "subscription_log",
        ("addedOn",),
        ("id",),
        (subscription_log.SEQUENCE, "id"),
        _names_a_customer,
    ),
    "requests": _Carried(
        "change_requests",
        ("requested_on", "decided_on"),
        ("id",),
        (request_model.SEQUENCE, "id"),
        _usable_request,
    ),
    "otps": _Carried(
        "otps", ("expires_at",), ("subject", "created_id"), (otp.SEQUENCE, "created_id"), _otp
    ),
}


def tables(section: dict[str, Any], now: datetime) -> dict[str, list[Doc]]:
    """Labels and customers. A customer's fixture label is not written to the status log:
    the log shows it as its first entry (see status.py), which keeps big fixtures small."""
    org, within = _org(section.get("org"))
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
        identifiers = _identifiers(given, where, within)
        for field, value in [("id", str(customer_id)), *identifiers.items()]:
            key = (field, customers.identifier_key(field, value).lower())
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
                subscription_channels.SPELLINGS[s["channel"].lower()], s["priority"].upper()
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
        # each sequence past the ids its documents took (a sequence with none: as it starts)
        "_sequences": [{"id": "customer", "value": next_id - 1}] if people else [],
    }
    if org is not None:
        result[customers.ORG] = [org]
    known = _Known({str(person["id"]) for person in people}, within)
    for name, kind in _CARRIED.items():
        where = f"capillary.{name}"
        carried: list[Doc] = []
        for index, doc in enumerate(section.get(name) or []):
            for field in kind.stamps:
                if doc.get(field) is not None:
                    valid_time(doc[field], f"{where}[{index}].{field}")
            carried.append(dict(kind.read(doc, f"{where}[{index}]", known)))
        # repeats as read: two spellings of one OTP subject are one key
        for unique in kind.once:
            refuse_repeated(carried, unique, where)
        if carried:
            result[kind.collection] = carried
            sequence, numbered = kind.numbered
            last = max(doc[numbered] for doc in carried)
            result["_sequences"].append({"id": sequence, "value": last})
    return result


def _org(given: dict[str, Any] | None) -> tuple[Doc | None, normalise.Country | None]:
    """The org's settings document (None: the defaults) and its base country."""
    if not given or "default_country" not in given:
        return None, normalise.country(customers.DEFAULT_COUNTRY)
    code = given["default_country"]
    if code is None:
        return {"id": "org", "default_country": None}, None
    country = normalise.country(code)
    if country is None:
        raise InvalidInput(
            f"capillary.org.default_country: {code!r} names no country: give its ISO 3166 "
            "code (IN) or its calling code (91)",
            field="capillary.org.default_country",
        )
    return {"id": "org", "default_country": country.code}, country


def section(data: TenantData) -> dict[str, Any]:
    """The tenant's `capillary` section, as `tables` reads it."""
    result: dict[str, Any] = {
        **({"org": _org_section(org)} if (org := data[customers.ORG].get("org")) else {}),
        "status_labels": data["status_labels"].snapshot(),
        "customers": [_customer(doc) for doc in data["customers"].values()],
    }
    for name, kind in _CARRIED.items():
        carried = data[kind.collection].snapshot()
        if carried:
            result[name] = carried
    return result


def _org_section(org: Doc) -> dict[str, Any]:
    return {k: v for k, v in org.items() if k != "id"}


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


def _identifiers(
    given: dict[str, Any], where: str, within: normalise.Country | None
) -> dict[str, str]:
    return {
        field: customers.read_in(within, field, given[field], f"{where}.{field}")
        for field in ("mobile", "email", "external_id", "wechat")
        if given.get(field) not in (None, "")
    }
