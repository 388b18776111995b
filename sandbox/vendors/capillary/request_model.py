"""Identifier-change and goodwill requests: validation, approval, and their notifications.

Shared by the v1.1 (#1, #2) and v2 (#3-#6) request APIs of seed 000. Every notification goes
through `messaging.send`, so a blocked customer's notifications are suppressed like any other.
"""

from __future__ import annotations

from typing import Any

from sandbox.clock import iso
from sandbox.doc import Doc
from sandbox.engine import Category, Channel
from sandbox.errors import InvalidInput
from sandbox.http import Context
from sandbox.normalise import Unreadable
from sandbox.store import TenantData, Tx
from sandbox.vendors.capillary import customers, messaging
from sandbox.vendors.capillary.errors import (
    CapillaryError,
    InvalidRequestStatus,
    NewEmailExists,
    NewEmailInvalid,
    NewExternalIdExists,
    NewMobileExists,
    NewMobileInvalid,
    NewValueInvalid,
    OldValueInvalid,
    SameValue,
)

REQUEST_IDS_START = 13_000_001
SEQUENCE = "request"  # the id sequence of change and goodwill requests
MAX_POINTS = 1_000_000_000
CHANGE_FIELD = {"MOBILE": "mobile", "EMAIL": "email", "EXTERNAL_ID": "external_id"}
_EXISTS = {"mobile": NewMobileExists, "email": NewEmailExists, "external_id": NewExternalIdExists}
# a change of mobile is notified by SMS, of email by email; external ids are not notified
_CHANGE_CHANNEL = {"mobile": Channel.SMS, "email": Channel.EMAIL}


class DuplicateRequest(CapillaryError):
    code = 9028


class InvalidCouponSeries(CapillaryError):
    code = 9017


def checked_old_value(
    data: TenantData, customer: Doc, base_type: str, old_value: Any, field: str
) -> None:
    """An old value, when given, must be the customer's current one however written (9012)."""
    if old_value in (None, ""):
        return
    target = CHANGE_FIELD[base_type]
    current = customer.get(target)
    try:
        given = customers.read_identifier(data, target, old_value, field)
    except Unreadable:
        given = None
    # as the index compares them (external ids: in any case too, as before)
    same = (
        given is not None
        and current is not None
        and customers.identifier_key(target, given).lower()
        == customers.identifier_key(target, current).lower()
    )
    if not same:
        raise OldValueInvalid(
            f"Old value is invalid: {old_value} is not the customer's current {target}",
            field=field,
        )


def checked_new_value(tx: Tx, customer: Doc, base_type: str, new_value: Any, field: str) -> str:
    """The new identifier, valid, different from the old one and nobody else's."""
    target = CHANGE_FIELD[base_type]
    text = "" if new_value is None else str(new_value).strip()
    if not text:
        raise NewValueInvalid("New value is invalid: it is empty", field=field)
    try:
        value = customers.read_identifier(tx.data, target, text, field)
    except Unreadable as unreadable:
        refusal = NewMobileInvalid if target == "mobile" else NewEmailInvalid
        raise refusal(f"{refusal.default_message}: {unreadable.message}", field=field) from None
    owner = customers.find(tx, target, value)
    if owner is not None and owner["id"] == customer["id"]:
        raise SameValue(f"Old value is same as new value: {value}", field=field)
    if owner is not None:
        raise _EXISTS[target](field=field)
    return value


def goodwill_points(points: Any, field: str) -> float:
    try:
        value = float(points)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field}: {points!r} is not a number of points", field=field) from None
    if not (0 < value <= MAX_POINTS):  # also refuses NaN and infinity
        raise InvalidInput(
            f"{field}: points must be a number above 0 and at most {MAX_POINTS:g}, got {points!r}",
            field=field,
        )
    return value


def check_coupon_series(series_id: Any, field: str) -> str:
    if series_id in (None, ""):
        raise InvalidCouponSeries("Invalid coupon series: a series id is required", field=field)
    return str(series_id)


def new_request(tx: Tx, ctx: Context, customer: Doc, **fields: Any) -> Doc:
    """Stage a PENDING request; a second pending one for the same new value is refused."""
    for other in ctx.data["change_requests"].all_by("customer_id", str(customer["id"])):
        if (
            other["status"] == "PENDING"
            and other["type"] == fields["type"] == "CHANGE_IDENTIFIER"
            and other["base_type"] == fields["base_type"]
            and other["new_value"] == fields.get("new_value")
        ):
            raise DuplicateRequest(field="new_value")
    request = {
        "id": tx.next_id(SEQUENCE, REQUEST_IDS_START),
        "customer_id": str(customer["id"]),
        "status": "PENDING",
        "requested_on": iso(ctx.now),
        "reference_id": None,
        "old_value": None,
        "new_value": None,
        "points": None,
        "series_id": None,
        "reason": "",
        "comments": "",
        "updated_comments": None,
        **fields,
    }
    return tx.put("change_requests", request)


def notify_requested(tx: Tx, ctx: Context, request: Doc, customer: Doc) -> None:
    """The notifications a new request triggers (seed 000 rows 1, 3 and 5)."""
    if request["type"] == "GOODWILL":
        what = _goodwill_text(request)
        _goodwill_notice(tx, ctx, customer, f"A goodwill request for {what} was raised for you.")
        return
    field = CHANGE_FIELD[request["base_type"]]
    channel = _CHANGE_CHANNEL.get(field)
    if channel is None:
        return
    # to the address being replaced; a customer without one is told on the new address
    address = customer.get(field) or request["new_value"]
    text = f"We received your request to change your {field} to {request['new_value']}."
    _change_notice(tx, ctx, customer, channel, to=address, text=text)


def decide(tx: Tx, ctx: Context, request: Doc, status: str, comments: str | None) -> Doc:
    """Approve (apply the change or credit the goodwill) or reject a PENDING request, and
    send the notification of the decision (seed 000 rows 2, 4 and 6)."""
    if request["status"] != "PENDING":
        raise InvalidRequestStatus(
            f"Invalid request status: request {request['id']} is already {request['status']}",
            field="status",
        )
    customer = tx.get("customers", int(request["customer_id"]))
    if customer is None:  # the customer cannot vanish in the sandbox; keep mypy honest
        raise InvalidRequestStatus("the request's customer no longer exists", field="id")
    decided = {
        **request,
        "status": status,
        "updated_comments": comments,
        "decided_on": iso(ctx.now),
    }
    if status == "APPROVED":
        customer = _apply(tx, ctx, request, customer)
    tx.put("change_requests", decided)
    if request["type"] == "GOODWILL":
        what = _goodwill_text(request)
        outcome = "credited to your account" if status == "APPROVED" else "declined"
        _goodwill_notice(tx, ctx, customer, f"Your goodwill of {what} was {outcome}.")
        return decided
    field = CHANGE_FIELD[request["base_type"]]
    channel = _CHANGE_CHANNEL.get(field)
    if channel is not None and customer.get(field):
        verb = "changed" if status == "APPROVED" else "not changed (request rejected)"
        text = f"Your {field} was {verb}: {request['new_value']}."
        _change_notice(tx, ctx, customer, channel, to=customer[field], text=text)
    return decided


def _apply(tx: Tx, ctx: Context, request: Doc, customer: Doc) -> Doc:
    if request["type"] == "GOODWILL":
        points = customer.get("points", 0) + (request.get("points") or 0)
        return customers.save(tx, customer, ctx.now, points=points)
    field = CHANGE_FIELD[request["base_type"]]
    owner = customers.find(tx, field, request["new_value"])
    if owner is not None and owner["id"] != customer["id"]:
        raise _EXISTS[field](field="new_value")
    return customers.save(tx, customer, ctx.now, **{field: request["new_value"]})


def _goodwill_text(request: Doc) -> str:
    if request["base_type"] == "POINTS":
        points = request.get("points") or 0
        return f"{points:g} points"
    return f"a coupon (series {request.get('series_id')})"


def _goodwill_notice(tx: Tx, ctx: Context, customer: Doc, text: str) -> None:
    """Goodwill is notified by SMS and by email, on whichever the customer has."""
    for channel in (Channel.SMS, Channel.EMAIL):
        messaging.send_to_customer(
            ctx, tx, customer, channel, category=Category.GOODWILL, text=text
        )


def _change_notice(
    tx: Tx, ctx: Context, customer: Doc, channel: Channel, *, to: str, text: str
) -> None:
    subject = "Your account" if channel is Channel.EMAIL else None
    message = messaging.Outgoing(channel, Category.CHANGE_REQUEST, to, subject=subject, body=text)
    messaging.send(ctx, tx, message, customer)
