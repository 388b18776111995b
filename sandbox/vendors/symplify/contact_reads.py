"""What became of a contact, read back as compost-carma-api reads it (research 8c): its
subscription and bounce status, the messages sent to it (newest first) and how many were sent
per channel. A message the decision suppressed is there too, as not sent: no `sentTimestamp`,
`status` SUPPRESSED and its `reason`. Messages are the outbox's (its capacity, 10,000 by
default, bounds how far back they go), read by an index on the contact, its channel and
status: a page or a count costs its own size, not a walk of the outbox."""

from __future__ import annotations

from heapq import merge
from itertools import islice
from typing import Any

from sandbox.clock import epoch_ms, parse_iso
from sandbox.engine import Channel, Status
from sandbox.http import Context, Reply
from sandbox.store import Doc
from sandbox.vendors.symplify.contacts import path_contact
from sandbox.vendors.symplify.flags import OF
from sandbox.vendors.symplify.registry import handlers
from sandbox.vendors.symplify.sends import ADDRESS

MESSAGES = 100  # noOfMessages by default


@handlers("getSubscriptionStatus")
def subscription_status(ctx: Context) -> Reply:
    return Reply(_statuses(path_contact(ctx), "unsubscribed", ("UNSUBSCRIBED", "SUBSCRIBED")))


@handlers("getBounceStatus")
def bounce_status(ctx: Context) -> Reply:
    return Reply(_statuses(path_contact(ctx), "bounced", ("BOUNCED", "NOT_BOUNCED")))


def _statuses(contact: Doc, mode: str, words: tuple[str, str]) -> dict[str, str]:
    """`status` (e-mail) and `mobileStatus` (SMS): the first word where the contact has the
    listing's flag for that channel (flags.OF), the second where it has not."""
    flags = OF[mode]
    on, off = words
    return {
        "status": on if contact.get(flags[Channel.EMAIL].stored) else off,
        "mobileStatus": on if contact.get(flags[Channel.SMS].stored) else off,
    }


@handlers("listContactMessages")
def contact_messages(ctx: Context) -> Reply:
    """The newest `noOfMessages` messages to the contact, on every channel (`nostat` is
    accepted: no statistics are kept)."""
    contact = path_contact(ctx)
    messages = ctx.data["messages"]
    each = [
        messages.newest_by("contact_messages", (contact["id"], channel, status))
        for channel in ADDRESS
        for status in Status
    ]
    newest = merge(*each, key=_number, reverse=True)  # (each is newest first)
    size = ctx.query.get("noOfMessages", MESSAGES)
    return Reply([message_dto(message, contact["id"]) for message in islice(newest, size)])


@handlers("countContactMessages")
def count_contact_messages(ctx: Context) -> Reply:
    contact = path_contact(ctx)
    channel = str(ctx.path_params["channel"]).upper()
    messages = ctx.data["messages"]
    sent, not_sent = (
        messages.count_by("contact_messages", (contact["id"], channel, status))
        for status in (Status.DELIVERED, Status.SUPPRESSED)
    )
    return Reply({"channel": channel, "count": sent + not_sent, "sent": sent, "notSent": not_sent})


def _number(message: Doc) -> int:
    return int(message["id"])


def message_dto(message: Doc, contact_id: int) -> dict[str, Any]:
    """compost-carma-api's MessageDto; `status`, `reason` and `dateCreated` are the sandbox's:
    a suppressed message was not sent (no `sentTimestamp`, nothing received)."""
    sent = message["status"] == Status.DELIVERED
    created = epoch_ms(parse_iso(message["created_at"]))
    return {
        "id": int(message["id"]),
        "contactId": contact_id,
        "type": message["channel"],
        "module": message["operation"],
        "name": message.get("subject"),
        "sentTimestamp": created if sent else None,
        "read": False,
        "readTimestamp": None,
        "archived": False,
        "actions": {**_NO_ACTIONS, "recieved": sent},  # (compost's spelling)
        "status": message["status"],
        "reason": message["reason"],
        "dateCreated": created,
    }


_NO_ACTIONS = {
    "opened": False,
    "recieved": False,
    "clicked": False,
    "converted": False,
    "softBounce": False,
    "hardBounce": False,
    "unsubscribed": False,
    "complaint": False,
}
