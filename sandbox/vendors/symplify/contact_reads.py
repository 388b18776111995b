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
from sandbox.doc import Doc
from sandbox.engine import Channel, Status
from sandbox.errors import NotFound
from sandbox.http import Context, Reply
from sandbox.vendors.symplify import journey_batches, journeys, sends, triggers
from sandbox.vendors.symplify.accounts import list_key, path_list
from sandbox.vendors.symplify.contacts import path_contact
from sandbox.vendors.symplify.flags import BOUNCES, OF
from sandbox.vendors.symplify.handler_table import handlers
from sandbox.vendors.symplify.sends import ADDRESS

MESSAGES = 100  # noOfMessages by default
# each operation that sends to a list's contacts, and the kind of send compost-carma-api's
# MessageCountDto counts it as (assumed: a list send is a "normal" sendout, a journey an
# automation); a message is found by its contact and operation, so a new one is added here
KINDS = {
    sends.OPERATION: "normal",
    triggers.OPERATION: "trigger",
    journeys.OPERATION: "auto",
    journey_batches.UPLOAD: "auto",
}


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


@handlers("getLastBounce")
def last_bounce(ctx: Context) -> Reply:
    """compost-carma-api's BounceDto of the contact's latest bounce, e-mail or mobile: a
    bounce is what the tenant's document declares (the flag and its date, flags.BOUNCES), so
    only its address, day and type are known; a contact with none is a 404."""
    contact = path_contact(ctx)
    bounced = [flag for flag in BOUNCES.values() if contact.get(flag.stored)]
    if not bounced:
        raise NotFound(
            f"originalId: contact {contact['original_id']!r} on list {contact['list_id']} has "
            "no bounce",
            field="originalId",
        )
    latest = max(bounced, key=lambda flag: contact.get(flag.dated, 0))
    address = contact.get(ADDRESS[latest.channel])
    domain = address.rpartition("@")[2] if address and latest.channel is Channel.EMAIL else None
    return Reply(
        {
            **_NO_BOUNCE_DETAILS,
            "bounceType": "HARD",
            "recipient": address,
            "bounceDate": contact.get(latest.dated),
            "domain": domain,
            "channel": latest.channel,
        }
    )


# what a real bounce report carries and a declared bounce does not (compost's BounceDto)
_NO_BOUNCE_DETAILS = dict.fromkeys(
    (
        "messageId",
        "mta",
        "vmta",
        "bncCat",
        "dsnStatus",
        "dsnMta",
        "dsnDiagnosis",
        "dsnStatusCode",
        "senderAddress",
        "remoteMta",
    )
)


@handlers("listContactMessages")
def contact_messages(ctx: Context) -> Reply:
    """The newest `noOfMessages` messages to the contact, on every channel (`nostat` is
    accepted: no statistics are kept)."""
    contact = path_contact(ctx)
    messages = ctx.data["messages"]
    whose = (list_key(contact["account"], contact["list_id"]), contact["original_id"])
    each = [
        messages.newest_by("contact_messages", (*whose, channel, status, operation))
        for channel in ADDRESS
        for status in Status
        for operation in KINDS
    ]
    newest = merge(*each, key=_number, reverse=True)  # (each is newest first)
    size = ctx.query.get("noOfMessages", MESSAGES)
    return Reply([message_dto(message) for message in islice(newest, size)])


@handlers("listListMessages")
def list_messages(ctx: Context) -> Reply:
    """The newest `noOfMessages` messages to the list's contacts (RecipientListEndpoint's
    `messages`), by an index on the list: a page costs its own size."""
    account_id, listed = path_list(ctx)
    found = ctx.data["messages"].newest_by("contact_list", list_key(account_id, listed["list_id"]))
    size = ctx.query.get("noOfMessages", MESSAGES)
    return Reply([message_dto(message) for message in islice(found, size)])


@handlers("countContactMessages")
def count_contact_messages(ctx: Context) -> Reply:
    """compost-carma-api's MessageCountDto (`normal`, `trigger`, `auto`, `total`: the list's
    sends, triggers' and journeys' messages, all of them) and the sandbox's `count`, `sent`
    and `notSent`, each an index bucket's size (O(1))."""
    contact = path_contact(ctx)
    channel = str(ctx.path_params["channel"]).upper()
    messages = ctx.data["messages"]
    whose = (list_key(contact["account"], contact["list_id"]), contact["original_id"], channel)
    counted = {
        (status, operation): messages.count_by("contact_messages", (*whose, status, operation))
        for status in (Status.DELIVERED, Status.SUPPRESSED)
        for operation in KINDS
    }
    sent = sum(n for (status, _), n in counted.items() if status is Status.DELIVERED)
    total = sum(counted.values())
    kinds = {kind: 0 for kind in KINDS.values()}
    for (_, operation), n in counted.items():
        kinds[KINDS[operation]] += n
    return Reply(
        {
            **kinds,
            "total": total,
            "channel": channel,
            "count": total,
            "sent": sent,
            "notSent": total - sent,
        }
    )


def _number(message: Doc) -> int:
    return int(message["id"])


def message_dto(message: Doc) -> dict[str, Any]:
    """compost-carma-api's MessageDto; `status`, `reason` and `dateCreated` are the sandbox's:
    a suppressed message was not sent (no `sentTimestamp`, nothing received). `contactId` is
    the record it went to (a contact removed and added again has another id since)."""
    sent = message["status"] == Status.DELIVERED
    created = epoch_ms(parse_iso(message["created_at"]))
    return {
        "id": int(message["id"]),
        "contactId": message["contact_id"],
        "deliveryId": None,
        "type": message["channel"],
        "module": message["operation"],
        "name": message.get("subject"),
        "sentTimestamp": created if sent else None,
        "read": False,
        "readTimestamp": None,
        "openInBrowserUrl": None,
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
