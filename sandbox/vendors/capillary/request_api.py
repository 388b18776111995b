"""The request APIs of seed 000: v1.1 add/approve (#1, #2), v2 change and goodwill (#3-#6)."""

from __future__ import annotations

from typing import Any

from sandbox.doc import Doc
from sandbox.errors import ApiError
from sandbox.http import Context, Reply
from sandbox.store import Tx
from sandbox.vendors.capillary import customers, request_model
from sandbox.vendors.capillary.envelopes import v2_created, v11_each
from sandbox.vendors.capillary.errors import (
    InvalidBaseType,
    NoCustomerIdentifiers,
    RequestNotFound,
    RequestNotFoundV11,
    UserNotRegistered,
    item_status,
)
from sandbox.vendors.capillary.handler_table import handlers

_ADDED = {"CHANGE_IDENTIFIER": 9000, "GOODWILL": 9100}
_ADDED_MESSAGE = {
    "CHANGE_IDENTIFIER": "Change Identifier request added successfully",
    "GOODWILL": "Goodwill request added successfully",
}
_GOODWILL_BASES = {"POINTS", "COUPON", "COUPONS"}


# --- v1.1 -----------------------------------------------------------------------------------
@handlers("addRequest")
def add_request(ctx: Context) -> Reply:
    auto_approve = bool(ctx.query.get("client_auto_approve"))

    def process(tx: Tx, item: dict[str, Any], where: str) -> dict[str, Any]:
        customer = _customer_of(tx, item.get("customer") or {}, where)
        request = _add_v11(tx, ctx, item, customer, where)
        if auto_approve:
            request = request_model.decide(tx, ctx, request, "APPROVED", None)
        else:
            request_model.notify_requested(tx, ctx, request, customer)
        done = item_status(
            None, _ADDED[request["type"]], _ADDED_MESSAGE[request["type"]], typed=True
        )
        return {**_render_v11(request, customer), **_ADD_EXTRAS, "item_status": done}

    return v11_each(ctx, "requests", "request", process, _failed_item, typed=True)


# fields request/add's typed examples carry for a change or goodwill request (research 7b,
# 8a): the transaction types are "" (no example has them null), misc_info null
_ADD_EXTRAS = {"old_type": "", "new_type": "", "misc_info": None, "transaction_id": "0"}


def _customer_of(tx: Tx, given: dict[str, Any], where: str) -> Doc:
    """The customer an item names by id, mobile, email or external_id."""
    found, named = customers.named_by(tx, given, f"{where}.customer", UserNotRegistered)
    if not named:
        raise NoCustomerIdentifiers(
            "No customer identifiers passed: give customer.mobile, email, external_id or id",
            field=f"{where}.customer",
        )
    if found is None:
        field, value = next(iter(named.items()))
        raise UserNotRegistered(
            f"User is not registered ({field}={value})", field=f"{where}.customer"
        )
    return found


def _add_v11(tx: Tx, ctx: Context, item: dict[str, Any], customer: Doc, where: str) -> Doc:
    kind, base = item["type"], item["base_type"]
    fields: dict[str, Any] = {
        "type": kind,
        "base_type": base,
        "reference_id": None if item.get("reference_id") is None else str(item["reference_id"]),
        "reason": item.get("reason", ""),
        "comments": item.get("comments", ""),
    }
    if kind == "CHANGE_IDENTIFIER":
        if base not in request_model.CHANGE_FIELD:
            raise _bad_base(kind, base, where)
        field = request_model.CHANGE_FIELD[base]
        request_model.checked_old_value(
            tx.data, customer, base, item.get("old_value"), f"{where}.old_value"
        )
        fields["old_value"] = customer.get(field)
        fields["new_value"] = request_model.checked_new_value(
            tx, customer, base, item.get("new_value"), f"{where}.new_value"
        )
    else:
        if base not in _GOODWILL_BASES:
            raise _bad_base(kind, base, where)
        if base == "POINTS":
            fields["points"] = request_model.goodwill_points(item.get("points"), f"{where}.points")
        else:
            fields["series_id"] = request_model.check_coupon_series(
                item.get("series_id"), f"{where}.series_id"
            )
    return request_model.new_request(tx, ctx, customer, **fields)


def _bad_base(kind: str, base: str, where: str) -> ApiError:
    return InvalidBaseType(
        f"Request Base Type is invalid: {base} is not a base type of {kind}",
        field=f"{where}.base_type",
    )


@handlers("approveRequests")
def approve_requests(ctx: Context) -> Reply:
    def process(tx: Tx, item: dict[str, Any], where: str) -> dict[str, Any]:
        decided = _approve_v11(tx, ctx, item, where)
        return {
            "id": str(decided["id"]),
            "type": decided["type"],
            "base_type": decided["base_type"],
            "status": decided["status"],
            "old_value": decided["old_value"],
            "new_value": decided["new_value"],
            "approved_value": _approved_value(decided),
            "assoc_id": "0",
            "reason": decided["reason"],
            "updated_comments": decided["updated_comments"] or "",
            "item_status": item_status(None, 9000, "Request updated successfully"),
        }

    def failure(item: dict[str, Any], error: ApiError | None) -> dict[str, Any]:
        return {
            "id": None if item.get("id") is None else str(item["id"]),
            "type": item.get("type"),
            "base_type": item.get("base_type"),
            "status": None,
            "item_status": item_status(error, 0, ""),
        }

    return v11_each(ctx, "requests", "request", process, failure)


def _approve_v11(tx: Tx, ctx: Context, item: dict[str, Any], where: str) -> Doc:
    request = ctx.data["change_requests"].get(int(item["id"]))
    if request is None or request["type"] != item["type"]:
        raise RequestNotFoundV11(
            f"Request not found: {item['type']} {item['id']}", field=f"{where}.id"
        )
    base = item["base_type"]
    coupons = {"COUPON", "COUPONS"}  # Capillary's documents spell it both ways
    if base != request["base_type"] and not {base, request["base_type"]} <= coupons:
        raise _bad_base(request["type"], base, where)
    if request["base_type"] == "POINTS" and item.get("points") not in (None, ""):
        points = request_model.goodwill_points(item["points"], f"{where}.points")
        request = {**request, "points": points}
    if request["base_type"] in {"COUPON", "COUPONS"} and item.get("series_id") not in (None, ""):
        request = {**request, "series_id": str(item["series_id"])}
    return request_model.decide(tx, ctx, request, "APPROVED", item.get("updated_comments"))


def _approved_value(request: Doc) -> str | None:
    if request["type"] != "GOODWILL":
        return None if request["new_value"] is None else str(request["new_value"])
    if request["base_type"] == "POINTS":
        return f"{request['points']:g}"
    return str(request["series_id"])


def _render_v11(request: Doc, customer: Doc) -> dict[str, Any]:
    return {
        "reference_id": request["reference_id"],
        "id": str(request["id"]),
        "status": request["status"],
        "requested_on": customers.capillary_time(request["requested_on"]),
        "type": request["type"],
        "base_type": request["base_type"],
        "customer": {  # a name the customer has none of is null, as the examples show
            "firstname": customer.get("firstname") or None,
            "lastname": customer.get("lastname") or None,
            "email": customer.get("email"),
            "mobile": customer.get("mobile"),
            "external_id": customer.get("external_id"),
            "id": customer["id"],
        },
        # strings, "" when the request has none (a goodwill request), as every example writes
        "old_value": _text(request["old_value"]),
        "new_value": _text(request["new_value"]),
        "reason": request["reason"] or "",
        "comments": request["comments"] or "",
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _failed_item(item: dict[str, Any], error: ApiError | None) -> dict[str, Any]:
    return {
        "reference_id": item.get("reference_id"),
        "id": None,
        "status": None,
        "type": item.get("type"),
        "base_type": item.get("base_type"),
        "customer": item.get("customer"),
        "item_status": item_status(error, 0, "", typed=True),
    }


# --- v2 (assumed shapes, docs/contract.md section 5) -------------------------------------------
@handlers("createChangeRequest")
def create_change_request(ctx: Context) -> Reply:
    customer = customers.by_id(ctx.data, ctx.path_params["customerId"], "customerId")
    base = ctx.body["baseType"]
    request_model.checked_old_value(ctx.data, customer, base, ctx.body.get("oldValue"), "oldValue")
    tx = ctx.data.begin()
    new_value = request_model.checked_new_value(
        tx, customer, base, ctx.body["newValue"], "newValue"
    )
    request = request_model.new_request(
        tx,
        ctx,
        customer,
        type="CHANGE_IDENTIFIER",
        base_type=base,
        old_value=customer.get(request_model.CHANGE_FIELD[base]),
        new_value=new_value,
        comments=ctx.body.get("comments", ""),
    )
    request_model.notify_requested(tx, ctx, request, customer)
    tx.commit()
    return v2_created(request["id"])


@handlers("createGoodwillRequest")
def create_goodwill_request(ctx: Context) -> Reply:
    customer = customers.by_id(ctx.data, ctx.path_params["customerId"], "customerId")
    body = ctx.body
    fields: dict[str, Any] = {
        "type": "GOODWILL",
        "base_type": body["baseType"],
        "reason": body.get("reason", ""),
        "comments": body.get("comments", ""),
    }
    if body["baseType"] == "POINTS":
        fields["points"] = request_model.goodwill_points(body.get("points"), "points")
    else:
        fields["series_id"] = request_model.check_coupon_series(body.get("seriesId"), "seriesId")
    tx = ctx.data.begin()
    request = request_model.new_request(tx, ctx, customer, **fields)
    request_model.notify_requested(tx, ctx, request, customer)
    tx.commit()
    return v2_created(request["id"])


@handlers("updateChangeRequest")
def update_change_request(ctx: Context) -> Reply:
    return _decide_v2(ctx, "CHANGE_IDENTIFIER")


@handlers("updateGoodwillRequest")
def update_goodwill_request(ctx: Context) -> Reply:
    return _decide_v2(ctx, "GOODWILL")


def _decide_v2(ctx: Context, kind: str) -> Reply:
    request = ctx.data["change_requests"].get(ctx.path_params["id"])
    if request is None or request["type"] != kind:
        noun = "change" if kind == "CHANGE_IDENTIFIER" else "goodwill"
        raise RequestNotFound(
            f"Request not found: no {noun} request {ctx.path_params['id']}", field="id"
        )
    tx = ctx.data.begin()
    decided = request_model.decide(tx, ctx, request, ctx.body["status"], ctx.body.get("comments"))
    tx.commit()
    return Reply({"id": decided["id"], "status": decided["status"], "warnings": []})
