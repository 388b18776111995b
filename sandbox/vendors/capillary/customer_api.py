"""Customer registration and lookup, v2 and v1.1: what the other APIs need to find people."""

from __future__ import annotations

from typing import Any

from sandbox.doc import Doc
from sandbox.errors import ApiError
from sandbox.http import Context, Reply
from sandbox.normalise import Unreadable
from sandbox.store import Tx
from sandbox.vendors.capillary import customers, status
from sandbox.vendors.capillary.envelopes import v11_batch, v11_each
from sandbox.vendors.capillary.errors import (
    CapillaryError,
    CustomerExists,
    CustomerNotFoundV11,
    EmailTaken,
    ExternalIdTaken,
    InvalidEmail,
    InvalidMobile,
    InvalidStatusLabel,
    MobileTaken,
    NoIdentifier,
    NoPrimaryIdentifier,
    NoValidIdentifiers,
    item_status,
)
from sandbox.vendors.capillary.handler_table import handlers

_V2_TYPES = {"mobile": "mobile", "email": "email", "externalId": "external_id", "wechat": "wechat"}
_TAKEN = {"mobile": MobileTaken, "email": EmailTaken, "external_id": ExternalIdTaken}


class InvalidPrimaryId(CapillaryError):
    code = 8014


@handlers("addCustomerV2")
def add_customer_v2(ctx: Context) -> Reply:
    data, body = ctx.data, ctx.body
    profile = body["profiles"][0]
    identifiers: dict[str, str] = {}
    for number, identifier in enumerate(profile["identifiers"]):
        field = _V2_TYPES.get(identifier["type"])
        if field is None:
            continue  # cards, social ids...: accepted, not emulated
        where = f"profiles[0].identifiers[{number}].value"
        try:
            identifiers[field] = customers.read_identifier(data, field, identifier["value"], where)
        except Unreadable as unreadable:
            raise InvalidPrimaryId(
                f"Error in customer registration: Invalid Primary Id - {unreadable.message}",
                field=where,
            ) from None
    if not identifiers:
        raise NoValidIdentifiers(field="profiles[0].identifiers")
    for field, value in identifiers.items():
        existing = customers.find(data, field, value)
        if existing is not None:
            raise CustomerExists(
                f"Add failed, Customer already exists with id {existing['id']} for same source",
                field=f"profiles[0].identifiers ({field})",
            )
    warnings: list[dict[str, Any]] = []
    label = body.get("statusLabel")
    if label is not None and data["status_labels"].get(label) is None:
        raise InvalidStatusLabel(
            f"Status label passed is not valid: '{label}'", field="statusLabel"
        )
    if label is None:
        label = status.default_label(data)
        if label is None:
            warnings.append(
                {"status": False, "code": 8107, "message": "Default customer status label not set"}
            )
    tx = data.begin()
    customer = tx.put(
        "customers",
        customers.new_customer(
            tx,
            ctx.now,
            identifiers=identifiers,
            firstname=profile.get("firstName", ""),
            lastname=profile.get("lastName", ""),
            source=profile.get("source", "INSTORE"),
        ),
    )
    if label is not None:
        status.assign(tx, ctx, customer, label, "Default status on registration")
    tx.commit()
    return Reply({"createdId": customer["id"], "warnings": warnings, "sideEffects": []})


@handlers("lookupCustomerV2")
def lookup_customer_v2(ctx: Context) -> Reply:
    customer = customers.lookup(ctx.data, ctx.query["identifierName"], ctx.query["identifierValue"])
    return Reply({"entity": customer["id"], "warnings": []})


@handlers("getCustomerV2")
def get_customer_v2(ctx: Context) -> Reply:
    customer = customers.by_id(ctx.data, ctx.path_params["customerId"], "customerId")
    return Reply(customers.render_v2(customer, customers.embedded(ctx.query.get("embed", ""))))


@handlers("getCustomerDetailsV2")
def get_customer_details_v2(ctx: Context) -> Reply:
    """`GET /v2/customers/lookup/customerDetails`: the customer by identifier(s), with the
    subscriptions (`embed=subscriptions`) and the status label (`embed=customerStatus`) asked
    for; `cardLoyaltyDetails` answers no cards (cards are not emulated), as a list, which the
    Neo flows that call it iterate."""
    query = ctx.query
    customer = customers.lookup(ctx.data, query["identifierName"], query["identifierValue"])
    embed = customers.embedded(query.get("embed", ""))
    body = customers.render_v2(customer, embed)
    if "customerstatus" in embed:
        body["customerStatus"] = status.current(ctx, customer)
    if "cardloyaltydetails" in embed:
        body["cardDetails"] = []
    return Reply(body)


@handlers("addCustomerV11")
def add_customer_v11(ctx: Context) -> Reply:
    def process(tx: Tx, item: dict[str, Any], where: str) -> dict[str, Any]:
        customer, message = _register_v11(ctx, tx, item)
        done = item_status(None, 1000, message, customer_api=True)
        return {**customers.render_v11(customer), "item_status": done}

    def failure(item: dict[str, Any], error: ApiError | None) -> dict[str, Any]:
        echo = {k: item[k] for k in ("mobile", "email", "external_id") if item.get(k)}
        return {**echo, "item_status": item_status(error, 0, "", customer_api=True)}

    return v11_each(ctx, "customers", "customer", process, failure)


def _register_v11(ctx: Context, tx: Tx, item: dict[str, Any]) -> tuple[Doc, str]:
    """Register a customer, or update the one these identifiers already belong to."""
    identifiers: dict[str, str] = {}
    for field in ("mobile", "email", "external_id"):
        value = item.get(field)
        if value in (None, ""):
            continue
        try:
            identifiers[field] = customers.read_identifier(tx.data, field, value, field)
        except Unreadable as unreadable:
            refusal = InvalidMobile if field == "mobile" else InvalidEmail
            raise refusal(f"{refusal.default_message} {unreadable.message}", field=field) from None
    if not identifiers:
        raise NoPrimaryIdentifier(field="root.customer")
    owners = {f: customers.find(tx, f, v) for f, v in identifiers.items()}
    found = {owner["id"]: owner for owner in owners.values() if owner is not None}
    if len(found) > 1:  # the identifiers belong to different customers
        first = next(iter(found))
        field = next(f for f, owner in owners.items() if owner and owner["id"] != first)
        raise _TAKEN[field](field=field)
    names = {k: item[k] for k in ("firstname", "lastname") if isinstance(item.get(k), str)}
    if found:
        existing = next(iter(found.values()))
        blanks = {f: v for f, v in identifiers.items() if not existing.get(f)}
        updated = customers.save(tx, existing, ctx.now, **names, **blanks)
        return updated, "Customer successfully updated"
    customer = customers.new_customer(tx, ctx.now, identifiers=identifiers, **names)
    return tx.put("customers", customer), "Customer registration successful"


@handlers("getCustomerV11")
def get_customer_v11(ctx: Context) -> Reply:
    wanted = [
        (field, value.strip())
        for field in ("mobile", "email", "external_id", "id")
        for value in str(ctx.query.get(field, "")).split(",")
        if value.strip()
    ]
    if not wanted:
        raise NoIdentifier(
            "No identifier provided to get loyalty users: pass mobile, email, external_id or id",
            field="mobile",
        )
    items: list[dict[str, Any]] = []
    failed = 0
    for field, value in wanted:
        customer = customers.find_written(ctx.data, field, value, field)
        if customer is None:
            failed += 1
            error = CustomerNotFoundV11(field=field)
            items.append(
                {field: value, "item_status": item_status(error, 0, "", customer_api=True)}
            )
            continue
        found = item_status(None, 1000, "Customer successfully retrieved", customer_api=True)
        items.append({**customers.render_v11(customer), "item_status": found})
    return v11_batch("customers", "customer", items, failed)
