"""Subscription changes. #14 of seed 000: POST /v2/internal/subscription/configuration
applies a change and sends a subscription notification on that channel."""

from __future__ import annotations

from datetime import datetime

from sandbox.engine import Category, Channel
from sandbox.http import Context, Reply
from sandbox.store import Doc, Tx
from sandbox.vendors.capillary import customers, messaging
from sandbox.vendors.capillary.envelopes import v2_created
from sandbox.vendors.capillary.registry import handlers

SUBSCRIPTION_IDS_START = 20_000_001
NOTIFY_ON = {"MOBILE": Channel.SMS, "EMAIL": Channel.EMAIL}


def set_subscription(
    tx: Tx, customer: Doc, now: datetime, *, channel: str, priority: str, subscribed: bool
) -> Doc:
    """Record (channel MOBILE|EMAIL, priority TRANS|BULK) -> subscribed on the customer."""
    prefs = {
        **customer.get("subscriptions", {}),
        customers.subscription_key(channel, priority): subscribed,
    }
    return customers.save(tx, customer, now, subscriptions=prefs)


@handlers("configureSubscription")
def configure_subscription(ctx: Context) -> Reply:
    body = ctx.body
    customer = customers.by_id(ctx.data, body["userId"], "userId")
    subscribed = body["type"] == "OPTIN"
    tx = ctx.data.begin()
    customer = set_subscription(
        tx,
        customer,
        ctx.now,
        channel=body["channel"],
        priority=body["priority"],
        subscribed=subscribed,
    )
    verb = "subscribed to" if subscribed else "unsubscribed from"
    text = f"You have been {verb} {body['priority']} {body['channel'].lower()} messages."
    # the change applies first: the notification is decided on the new preferences
    messaging.send_to_customer(
        ctx,
        tx,
        customer,
        NOTIFY_ON[body["channel"]],
        category=Category.SUBSCRIPTION_NOTIFICATION,
        text=text,
    )
    created_id = tx.next_id("subscription_change", SUBSCRIPTION_IDS_START)
    tx.commit()
    return v2_created(created_id)
