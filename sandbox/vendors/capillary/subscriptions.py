"""Subscription changes, each logged (subscription_log.py). #14 of seed 000:
POST /v2/internal/subscription/configuration applies a change and sends a subscription
notification on that channel."""

from __future__ import annotations

from datetime import datetime

from sandbox.doc import Doc
from sandbox.engine import Category
from sandbox.http import Context, Reply
from sandbox.store import Tx
from sandbox.vendors.capillary import customers, messaging, subscription_channels, subscription_log
from sandbox.vendors.capillary.envelopes import v2_created
from sandbox.vendors.capillary.handler_table import handlers
from sandbox.vendors.capillary.subscription_log import DIRECT_CHANGE, Change


def set_subscription(
    tx: Tx,
    customer: Doc,
    now: datetime,
    *,
    channel: str,
    priority: str,
    subscribed: bool,
    change: Change = DIRECT_CHANGE,
) -> tuple[Doc, Doc]:
    """Record (channel, one of subscription_channels.NAMES; priority TRANS|BULK) ->
    subscribed on the customer, and log it; the customer as changed and the log entry."""
    key = customers.subscription_key(channel, priority)
    entry = subscription_log.append(tx, customer, now, key, subscribed=subscribed, change=change)
    prefs = {**customer.get("subscriptions", {}), key: subscribed}
    return customers.save(tx, customer, now, subscriptions=prefs), entry


@handlers("configureSubscription")
def configure_subscription(ctx: Context) -> Reply:
    body = ctx.body
    customer = customers.by_id(ctx.data, body["userId"], "userId")
    subscribed = body["type"] == "OPTIN"
    tx = ctx.data.begin()
    customer, entry = set_subscription(
        tx,
        customer,
        ctx.now,
        channel=body["channel"],
        priority=body["priority"],
        subscribed=subscribed,
    )
    # (#14's document takes the ruled channels alone: each has the channel it notifies on)
    notify_on = subscription_channels.BY_NAME[body["channel"]].sends
    assert notify_on is not None, f"{body['channel']} decides no send"
    verb = "subscribed to" if subscribed else "unsubscribed from"
    text = f"You have been {verb} {body['priority']} {body['channel'].lower()} messages."
    # the change applies first: the notification is decided on the new preferences
    messaging.send_to_customer(
        ctx,
        tx,
        customer,
        notify_on,
        category=Category.SUBSCRIPTION_NOTIFICATION,
        text=text,
    )
    tx.commit()
    return v2_created(entry["id"])  # the change's id is its log entry's
