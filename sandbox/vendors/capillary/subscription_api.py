"""The subscription APIs of seed 002: opt-in and opt-out per channel (SMS/MOBILE, EMAIL) and
priority (TRANS: personalised, BULK: campaigns and promotions), v1.1 and v2, and reading
them back. Changes take effect on the next message; they send no notification."""

from __future__ import annotations

from typing import Any

from sandbox.doc import Doc
from sandbox.errors import ApiError
from sandbox.http import Context, Reply
from sandbox.store import Tx
from sandbox.vendors.capillary import customers, subscription_channels
from sandbox.vendors.capillary.envelopes import v11_batch, v11_each
from sandbox.vendors.capillary.errors import (
    CapillaryError,
    CustomerNotFoundV11,
    InvalidEmail,
    InvalidMobile,
    item_status,
    v2_error,
)
from sandbox.vendors.capillary.handler_table import handlers
from sandbox.vendors.capillary.subscription_log import DIRECT, Change
from sandbox.vendors.capillary.subscriptions import set_subscription

# v1.1 takes the ruled channels as they are shown ("sms" for MOBILE), in any case
_V11_CHANNEL = {channel.shown.lower(): channel.name for channel in subscription_channels.ruled()}
_IDENTIFIERS = ("mobile", "email", "external_id", "id")


class NoSubscriptionIdentifier(CapillaryError):
    code = 1104


# a v2 batch whose every entry failed (docs: update-subscription-details, "Sample response
# update subscription - 500")
ALL_FAILED = {"status": False, "message": "All requests have failed due to errors", "code": 500}

# an item's mobile or e-mail that cannot be read, as registration refuses it
_UNREADABLE = {"mobile": InvalidMobile, "email": InvalidEmail}


# --- v1.1 -------------------------------------------------------------------------------------
@handlers("updateSubscriptionsV11")
def update_subscriptions_v11(ctx: Context) -> Reply:
    def process(tx: Tx, item: dict[str, Any], where: str) -> dict[str, Any]:
        customer, named = customers.named_by(tx, item, where, _UNREADABLE)
        if not named:
            raise NoSubscriptionIdentifier(
                "Invalid identifier or no identifier passed: give one of mobile, email, "
                "external_id or id",
                field=where,
            )
        if customer is None:
            field, value = next(iter(named.items()))
            raise CustomerNotFoundV11(
                f"Cannot find customer with the provided {field}: {value}", field=f"{where}.{field}"
            )
        channel = _V11_CHANNEL[item["channel"].lower()]
        priority = item["priority"].upper()
        subscribed = str(item["is_subscribed"]) == "1"
        customer, _ = set_subscription(
            tx, customer, ctx.now, channel=channel, priority=priority, subscribed=subscribed
        )
        return {
            "user_id": str(customer["id"]),
            # the identifiers the item named, as Capillary holds them (mobile: 91xxxxxxxxxx)
            **{k: customer[k] for k in named if k != "id" and customer.get(k)},
            "channel": subscription_channels.BY_NAME[channel].shown,
            "priority": priority,
            "scope": "ALL",
            "is_subscribed": "1" if subscribed else "0",
            "item_status": item_status(None, 1000, "Subscription successfully updated"),
        }

    def failure(item: dict[str, Any], error: ApiError | None) -> dict[str, Any]:
        echo = {k: item[k] for k in _IDENTIFIERS if item.get(k) not in (None, "")}
        return {"user_id": None, **echo, "item_status": item_status(error, 0, "")}

    return v11_each(ctx, "subscriptions", "subscription", process, failure)


@handlers("getSubscriptionsV11")
def get_subscriptions_v11(ctx: Context) -> Reply:
    query = ctx.query
    wanted = [
        (field, value.strip())
        for field in _IDENTIFIERS
        for value in str(query.get(field, "")).split(",")
        if value.strip()
    ]
    if not wanted:
        raise NoSubscriptionIdentifier(
            "Invalid identifier or no identifier passed: give mobile, email, external_id or id",
            field="mobile",
        )
    channels = [
        c.name
        for c in subscription_channels.ruled()
        if query.get("channel", "").upper() in ("", c.shown)
    ]
    priorities = [p for p in ("TRANS", "BULK") if query.get("priority", "").upper() in ("", p)]
    results: list[dict[str, Any]] = []
    failed = 0
    for field, value in wanted[: query.get("limit", 10)]:
        customer = customers.find_written(ctx.data, field, value, field)
        if customer is None:
            failed += 1
            missing = CustomerNotFoundV11(field=field)
            failure = item_status(missing, 0, "", customer_api=True)
            results.append({field: value, "item_status": failure})
            continue
        results.append(
            {
                "user_id": str(customer["id"]),
                **{k: customer[k] for k in ("mobile", "email", "external_id") if customer.get(k)},
                "channel": [_channel_v11(customer, c, priorities) for c in channels],
                "orgUnitSubscriptions": [],
                # its example writes the item's code as a string, as customer/get's do
                "item_status": item_status(
                    None, 1000, "Subscription successfully retrieved", customer_api=True
                ),
            }
        )
    return v11_batch("subscriptions", "subscription", results, failed)


def _channel_v11(customer: Doc, channel: str, priorities: list[str]) -> dict[str, Any]:
    preferences = customer.get("subscriptions", customers.DEFAULTS["subscriptions"])
    shown = []
    for priority in priorities:
        state = preferences.get(customers.subscription_key(channel, priority))
        shown.append(
            {
                "name": priority,
                "subscribed": "" if state is False else "ALL",
                "unsubscribed": "ALL" if state is False else "",
                "user_preference": {None: "NOT_SET", True: "SUBSCRIBED", False: "UNSUBSCRIBED"}[
                    state
                ],
            }
        )
    return {"name": subscription_channels.BY_NAME[channel].shown, "priority": shown}


# --- v2 ---------------------------------------------------------------------------------------
@handlers("updateSubscriptionsV2")
def update_subscriptions_v2(ctx: Context) -> Reply:
    return _refused(ctx) or _update_v2(ctx, _by_user_id(ctx))


@handlers("updateSubscriptionsLookupV2")
def update_subscriptions_lookup_v2(ctx: Context) -> Reply:
    return _refused(ctx) or _update_v2(ctx, _looked_up(ctx))


@handlers("getSubscriptionsV2")
def get_subscriptions_v2(ctx: Context) -> Reply:
    return _read_v2(_by_user_id(ctx))


@handlers("getSubscriptionsLookupV2")
def get_subscriptions_lookup_v2(ctx: Context) -> Reply:
    return _read_v2(_looked_up(ctx))


def _looked_up(ctx: Context) -> Doc:
    return customers.lookup(ctx.data, ctx.query["identifierName"], ctx.query["identifierValue"])


def _by_user_id(ctx: Context) -> Doc:
    user_id = ctx.path_params["userId"]
    customer = ctx.data["customers"].get(user_id)
    if customer is None:
        raise CustomerNotFoundV11(
            f"Cannot find customer for provided mobile/external-id/e-mail/id ({user_id})",
            field="userId",
        )
    return customer


def _refused(ctx: Context) -> Reply | None:
    """The answer to a v2 update with entries that failed (in validation: the operation's
    `x-sandbox-items`), before the customer is looked for; None when none did. Every entry
    failed: Capillary's documented "All requests have failed due to errors" (code 500,
    answered HTTP 400: the sandbox never answers 5xx to a client's input), then each entry's
    own error. Some failed: each failed entry's error, and nothing applies (x-sandbox-assumed:
    Capillary documents no partial answer; seed 002's own example, with priority TANS, changes
    nothing)."""
    entries = ctx.body["subscriptions"]
    failed = [
        v2_error(error)
        for index in range(len(entries))
        if (error := ctx.item_errors.get(("subscriptions", index))) is not None
    ]
    if not failed:
        return None
    summary = [dict(ALL_FAILED)] if len(failed) == len(entries) else []
    return Reply({"warnings": [], "errors": summary + failed}, 400)


def _update_v2(ctx: Context, customer: Doc) -> Reply:
    """Every entry applies, in order, each logged with the request's reason and the entry's
    org unit, source and account."""
    body = ctx.body
    entries = body["subscriptions"]
    reason = body.get("reason") or DIRECT
    tx = ctx.data.begin()
    for entry in entries:
        customer, _ = set_subscription(
            tx,
            customer,
            ctx.now,
            channel=entry["channel"],
            priority=entry["priority"],
            subscribed=entry["type"] == "OPTIN",
            change=Change(
                reason=reason,
                org_unit_id=entry.get("orgUnitId", -1),
                source=entry.get("sourceName"),
                account_id=entry.get("accountId", ""),
            ),
        )
    tx.commit()
    return Reply(
        {
            "scope": body.get("scope", {"scope": "USER", "subScope": "NONE"}),
            "subscriptions": entries,
            "campaignId": body.get("campaignId", -1),
            "communicationId": body.get("communicationId", -1),
            "reason": body.get("reason"),
            "warnings": [],
        }
    )


def _read_v2(customer: Doc) -> Reply:
    return Reply(
        {
            "subscriptions": customers.subscription_list_v2(customer),
            "campaignId": 0,
            "communicationId": 0,
            "warnings": [],
        }
    )
