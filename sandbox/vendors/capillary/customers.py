"""Capillary customers: identifiers, lookups, documents and their v1.1 / v2 renderings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sandbox import normalise
from sandbox.clock import iso, parse_iso
from sandbox.doc import Doc
from sandbox.engine import Channel
from sandbox.store import TenantData, Tx
from sandbox.vendors.capillary import subscription_channels
from sandbox.vendors.capillary.collections import CUSTOMERS
from sandbox.vendors.capillary.errors import (
    CapillaryError,
    CustomerIdNotFound,
    CustomerNotFound,
    InvalidIdentifier,
)

CUSTOMER_IDS_START = 565_000_001

# identifier names used across Capillary's APIs -> the customer field they address
IDENTIFIER_FIELDS = {
    "mobile": "mobile",
    "email": "email",
    "external_id": "external_id",
    "externalId": "external_id",
    "id": "id",
    "user_id": "id",
    "wechat": "wechat",
}

# which customer identifier a channel's recipient address is compared with
RECIPIENT_FIELD = {
    Channel.SMS: "mobile",
    Channel.WHATSAPP: "mobile",
    Channel.ZALO: "mobile",
    Channel.RCS: "mobile",
    Channel.EMAIL: "email",
    Channel.WECHAT: "wechat",
}


ORG = "capillary_org"
# a Capillary org's base country when its fixture names none: the seeds' numbers are Indian
DEFAULT_COUNTRY = "IN"


def default_country(data: TenantData) -> normalise.Country | None:
    """The org's base country (`capillary.org.default_country`), which national numbers
    (`09353491050`) are read in; None when the fixture says `null`."""
    org = data[ORG].get("org")
    code = DEFAULT_COUNTRY if org is None else org["default_country"]
    return None if code is None else normalise.country(code)


def read_identifier(data: TenantData, field: str, value: Any, where: str) -> str:
    """An identifier as a request writes it -> as it is stored (`read_in` the org's
    country)."""
    return read_in(default_country(data), field, value, where)


def read_in(within: normalise.Country | None, field: str, value: Any, where: str) -> str:
    """An identifier as written -> as it is stored: a mobile as digits with its country code
    (a national number read in the country `within`), an e-mail address as
    `normalise.read_email` reads it, other identifiers trimmed. What cannot be read raises
    `normalise.Unreadable` naming `where`."""
    if field == "mobile":
        return normalise.read_phone(value, where, within)
    if field == "email":
        return normalise.read_email(value, where)
    return str(value).strip()


def identifier_key(field: str, value: Any) -> str:
    """How a stored identifier compares: the customers' index's own key (a mobile's digits,
    an e-mail's key, other identifiers trimmed)."""
    key = CUSTOMERS.normalise.get(field)
    return str(key(value)) if key is not None else normalise.text(value)


def recipient_address(data: TenantData, channel: Channel, text: str, where: str) -> str:
    """The recipient address of a send on `channel`, as stored (a WeChat id is any text);
    `normalise.Unreadable` naming `where` when it cannot be read."""
    return read_in(default_country(data), RECIPIENT_FIELD[channel], text, where)


def find(source: TenantData | Tx, field: str, value: Any) -> Doc | None:
    """The customer whose `field` equals `value` as stored (`read_identifier`'s form, or an
    earlier release's: the index compares keys), or None (unknown field included)."""
    data = source.data if isinstance(source, Tx) else source
    if field == "id":
        try:
            key = int(str(value).strip())
        except ValueError:
            return None
        return (
            source.get("customers", key) if isinstance(source, Tx) else data["customers"].get(key)
        )
    if field not in {"mobile", "email", "external_id", "wechat"} or value in (None, ""):
        return None
    found = _by(data, field, value)
    if found is not None and isinstance(source, Tx):
        return source.get("customers", found["id"])  # this transaction may have changed it
    return found


# the refusal of an identifier that cannot be read: one of the operation's own codes, one per
# identifier field, or None for a plain 400 naming the field
Refusal = type[CapillaryError] | Mapping[str, type[CapillaryError]] | None


def find_written(
    source: TenantData | Tx, field: str, value: Any, where: str, refusal: Refusal = None
) -> Doc | None:
    """`find` for an identifier as a request writes it (`+91 93534 91050`, `09353491050`,
    `Name <GCR@Example.com>`); one that cannot be read is refused naming `where`, with the
    `refusal`'s code and the reason."""
    if field not in {"mobile", "email"} or value in (None, ""):
        return find(source, field, value)
    data = source.data if isinstance(source, Tx) else source
    try:
        return find(source, field, read_identifier(data, field, value, where))
    except normalise.Unreadable as unreadable:
        chosen = refusal.get(field) if isinstance(refusal, Mapping) else refusal
        if chosen is None:
            raise
        message = f"{chosen.default_message} {unreadable.message}"
        raise chosen(message, field=where) from None


def named_by(
    source: TenantData | Tx, given: Any, where: str, refusal: Refusal = None
) -> tuple[Doc | None, dict[str, Any]]:
    """The customer a v1.1 item (`where`) names by any one of id, mobile, email or
    external_id (the first that finds someone), and the identifiers it gave."""
    named = {
        field: given[field]
        for field in ("id", "mobile", "email", "external_id")
        if isinstance(given, dict) and given.get(field) not in (None, "")
    }
    for field, value in named.items():
        found = find_written(source, field, value, f"{where}.{field}", refusal)
        if found is not None:
            return found, named
    return None, named


# identifier names as the v2 lookups take them, in any case (customerDetails' page writes
# `externalID`); a card number finds no one here (cards are not emulated)
_ANY_CASE = {name.lower(): field for name, field in IDENTIFIER_FIELDS.items()}


def lookup(data: TenantData, names: str, values: str) -> Doc:
    """`identifierName`/`identifierValue` -> the customer, or 8015 naming what was asked.

    One name takes the whole value, commas included (an external id `EXT,2`, an e-mail
    written `Doe, J <j@x.com>`). Several names (`email,mobile`: Capillary's "multiple
    identifiers", documented for customerDetails, the only lookup whose document lets a
    comma into identifierName) split the value on commas, in the same order: the first
    pair that finds someone does (in Capillary the org's primary identifier decides; every
    sandbox identifier is primary); pairs that do not line up are an 8013 naming
    identifierValue."""
    if "," not in names:
        pairs = [(names.strip(), values.strip())]
    else:
        named, given = names.split(","), values.split(",")
        if len(named) != len(given):
            raise InvalidIdentifier(
                f"Lookup, Invalid identifier passed: {len(named)} identifierName(s) for "
                f"{len(given)} identifierValue(s)",
                field="identifierValue",
            )
        pairs = [(name.strip(), value.strip()) for name, value in zip(named, given, strict=True)]
    for name, value in pairs:
        field = _ANY_CASE.get(name.lower(), "")
        found = find_written(data, field, value, "identifierValue", InvalidIdentifier)
        if found is not None:
            return found
    asked = ", ".join(f"{name}={value}" for name, value in pairs)
    raise CustomerNotFound(
        f"Customer not found for the given identifiers ({asked})", field="identifierValue"
    )


def embedded(text: str) -> set[str]:
    """`embed=subscriptions,customerStatus` -> the lower-case names asked for."""
    return {part.strip().lower() for part in text.split(",")}


def by_id(data: TenantData, customer_id: int, field: str) -> Doc:
    customer = data["customers"].get(customer_id)
    if customer is None:
        raise CustomerNotFound(
            f"Customer not found for the given identifiers (id {customer_id})", field=field
        )
    return customer


def by_user_id(data: TenantData, user_id: int) -> Doc:
    """The customer a v2 log read's `userId` names, or the 404 "Specified customer ID
    doesn't exist" Capillary's get-status-log page lists (its subscription log's page lists
    none: both logs answer it)."""
    customer = data["customers"].get(user_id)
    if customer is None:
        raise CustomerIdNotFound(
            f"{CustomerIdNotFound.default_message}: no customer has the userId {user_id}",
            field="userId",
        )
    return customer


def find_recipient(data: TenantData, channel: Channel, to: str) -> Doc | None:
    """The customer whose address on `channel` is `to`, as stored (`recipient_address`)."""
    return _by(data, RECIPIENT_FIELD[channel], to) if to else None


def _by(data: TenantData, field: str, value: Any) -> Doc | None:
    """The customer the index finds under `value`; for a mobile it does not find, the one
    an earlier release stored under the national digits of that number (`09353491050` for
    `919353491050` in India: it kept a mobile's digits as written, and a data directory loads
    as it was stored). At most two more O(1) lookups, only when the first finds no one."""
    people = data["customers"]
    found = people.by(field, value)
    if found is not None or field != "mobile":
        return found
    for legacy in _national_forms(default_country(data), normalise.phone(value)):
        found = people.by(field, legacy)
        if found is not None:
            return found
    return None


def _national_forms(within: normalise.Country | None, digits: str) -> tuple[str, ...]:
    """`digits` (with the country code) as a national number of `within` was written: after
    the trunk prefix (`09353491050`), or with the trunk before the country code
    (`0919353491050`); none for a number of another country, or a country without a trunk."""
    if within is None or not within.trunk or not digits.startswith(within.calling):
        return ()
    return within.trunk + digits[len(within.calling) :], within.trunk + digits


# A stored customer omits the fields that hold their default: 100,000 customers fit in a
# fraction of the memory. Read fields with `customer.get(name, DEFAULTS[name])`.
DEFAULTS: dict[str, Any] = {
    "mobile": None,
    "email": None,
    "external_id": None,
    "wechat": None,
    "firstname": "",
    "lastname": "",
    "status_label": None,
    "subscriptions": {},
    "source": "INSTORE",
    "points": 0,
}


def compact(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in DEFAULTS or v != DEFAULTS[k]}


def new_customer(
    tx: Tx,
    now: datetime,
    *,
    identifiers: dict[str, str],
    firstname: str = "",
    lastname: str = "",
    source: str = "INSTORE",
) -> Doc:
    return compact(
        {
            "id": tx.next_id("customer", CUSTOMER_IDS_START),
            **identifiers,
            "firstname": firstname,
            "lastname": lastname,
            "source": source,
            "created_at": iso(now),
        }
    )


def save(tx: Tx, customer: Doc, now: datetime, **changes: Any) -> Doc:
    """Stage `customer` with `changes` (None or a default removes a field)."""
    return tx.put("customers", compact({**customer, **changes, "updated_at": iso(now)}))


def subscription_key(channel: str, priority: str) -> str:
    return f"{channel}:{priority}"


def recorded_only(customer: Doc) -> list[tuple[str, str, bool]]:
    """The customer's preferences of channels without a rule (subscription_channels), as
    (channel, priority, subscribed), in the documented order of channels, TRANS before BULK."""
    prefs = customer.get("subscriptions", DEFAULTS["subscriptions"])
    return [
        (channel.name, priority, prefs[key])
        for channel in subscription_channels.recorded_only()
        for priority in ("TRANS", "BULK")
        if (key := subscription_key(channel.name, priority)) in prefs
    ]


def capillary_time(stamp: str | None) -> str | None:
    """ISO 8601 -> Capillary's 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    return parse_iso(stamp).strftime("%Y-%m-%d %H:%M:%S") if stamp else None


# --- renderings ----------------------------------------------------------------------------
def identifiers_v2(customer: Doc) -> list[dict[str, str]]:
    names = (("mobile", "mobile"), ("email", "email"), ("external_id", "externalId"))
    found = [
        {"type": name, "value": customer[field]} for field, name in names if customer.get(field)
    ]
    if customer.get("wechat"):
        found.append({"type": "wechat", "value": customer["wechat"]})
    return found


def render_v2(customer: Doc, embed: set[str]) -> dict[str, Any]:
    channels = [
        {
            "type": identifier["type"],
            "value": identifier["value"],
            "primary": True,
            "verified": False,
            "meta": {"residence": False, "office": False},
            "attributes": {},
        }
        for identifier in identifiers_v2(customer)
        if identifier["type"] in {"mobile", "email", "wechat"}
    ]
    body: dict[str, Any] = {
        "id": customer["id"],
        "profiles": [
            {
                "firstName": customer.get("firstname", ""),
                "lastName": customer.get("lastname", ""),
                "identifiers": identifiers_v2(customer),
                "commChannels": channels,
                "source": customer.get("source", DEFAULTS["source"]),
                "userId": customer["id"],
                "accountId": "",
            }
        ],
        "loyaltyInfo": {"loyaltyType": "loyalty"},
        "extendedFields": {},
        "warnings": [],
    }
    if "subscriptions" in embed:
        body["subscriptionInfo"] = {"subscriptions": subscription_list_v2(customer)}
    return body


def subscription_list_v2(customer: Doc) -> list[dict[str, str]]:
    """Every priority of the ruled channels (EMAIL, then MOBILE shown SMS: by the name
    shown), then the preferences recorded for other channels (x-sandbox-assumed: spelt as
    the update names them)."""
    prefs = customer.get("subscriptions", DEFAULTS["subscriptions"])
    shown = sorted(subscription_channels.ruled(), key=lambda channel: channel.shown)
    ruled = [
        (channel.name, priority, prefs.get(subscription_key(channel.name, priority), True))
        for priority in ("TRANS", "BULK")
        for channel in shown
    ]
    return [
        {
            "channel": subscription_channels.BY_NAME[channel].shown,
            "priority": priority,
            "type": "OPTIN" if subscribed else "OPTOUT",
        }
        for channel, priority, subscribed in ruled + recorded_only(customer)
    ]


def render_v11(customer: Doc) -> dict[str, Any]:
    return {
        "user_id": customer["id"],
        "firstname": customer.get("firstname", ""),
        "lastname": customer.get("lastname", ""),
        "mobile": customer.get("mobile"),
        "email": customer.get("email"),
        "external_id": customer.get("external_id"),
        "lifetime_points": customer.get("points", 0),
        "loyalty_points": customer.get("points", 0),
        "registered_on": capillary_time(customer["created_at"]),
        "updated_on": capillary_time(customer.get("updated_at", customer["created_at"])),
        "type": "LOYALTY",
        "source": customer.get("source", DEFAULTS["source"]).lower(),
    }
