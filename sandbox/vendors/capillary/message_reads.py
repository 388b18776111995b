"""What became of a Capillary message, read back through Capillary's own APIs: v1.1
`GET /communications/sms?id=` and `GET /communications/email?id=` (one message, O(1) by its
id), and the pages of a customer's messages the interaction histories list (O(page) from the
outbox's index by customer and channel).

Capillary publishes no status for a message it dropped (a blocked customer's, an opted-out
one's): the sandbox reads every suppressed message as `NOT-DELIVERED`, the one word Capillary
publishes for a message that did not reach its recipient (v2 interaction history), on every
read (an assumption, `x-sandbox-assumed` in openapi/capillary.yaml).
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from sandbox.engine import Channel, Status
from sandbox.http import Context, Reply
from sandbox.store import Doc, TenantData
from sandbox.vendors.capillary.customers import capillary_time
from sandbox.vendors.capillary.envelopes import v11_ok
from sandbox.vendors.capillary.errors import CapillaryError
from sandbox.vendors.capillary.registry import handlers

NOT_DELIVERED = "NOT-DELIVERED"
DELIVERED = "DELIVERED"
# how a delivered message reads on each v1.1 read, as Capillary's examples show it
V11_DELIVERED = {Channel.SMS: "Sent", Channel.EMAIL: "Delivered"}
# the newest messages an interaction type lists (Capillary's page size, seed 003's default
# `limit`); the count covers them all
PAGE = 50
# Capillary's campaign id of a message no campaign sent (its v2 interaction examples)
NO_CAMPAIGN = -1


def delivered(message: Doc) -> bool:
    return bool(message["status"] == Status.DELIVERED)


def delivery_status(message: Doc) -> str:
    """DELIVERED or NOT-DELIVERED (suppressed), as the interaction histories read it."""
    return DELIVERED if delivered(message) else NOT_DELIVERED


def v11_status(message: Doc) -> str:
    """How `GET /v1.1/communications/sms|email?id=` reads the message's status."""
    if not delivered(message):
        return NOT_DELIVERED
    return V11_DELIVERED[message["channel"]]


def text(message: Doc) -> str:
    """What an interaction lists as a message's subject: its subject, or the text of a
    message that has none (an SMS), as Capillary's examples list them."""
    return str(message["subject"] or message["body"] or "")


def newest(data: TenantData, customer_id: Any, channel: str) -> list[Doc]:
    """A page of the customer's newest messages on `channel` still in the outbox."""
    found = data["messages"].newest_by("customer_messages", (str(customer_id), channel))
    return list(islice(found, PAGE))


# --- v1.1 GET communications/sms and /email ----------------------------------------------------
class SmsNotFound(CapillaryError):
    status = 404
    code = 4102


class EmailNotFound(CapillaryError):
    status = 404
    code = 4202


def _sent(ctx: Context, channel: Channel, missing: type[CapillaryError]) -> Doc:
    """The Capillary message of `channel` whose id is the `id` parameter, or the 404 naming
    it: a message of another vendor or channel, or one past the outbox's retention, is not
    one Capillary can read back."""
    message_id = str(ctx.query["id"])
    message = ctx.data["messages"].get(message_id)
    if message is None or message["vendor"] != "capillary" or message["channel"] != channel:
        noun = "SMS" if channel is Channel.SMS else "e-mail"
        raise missing(
            f"{missing.default_message}: no {noun} has id {message_id}"
            " (the outbox keeps a tenant's newest messages only)",
            field="id",
        )
    return message


@handlers("getSmsV11")
def get_sms_v11(ctx: Context) -> Reply:
    message = _sent(ctx, Channel.SMS, SmsNotFound)
    return v11_ok(
        sms={
            "id": message["id"],
            "to": message["to"],
            "status": v11_status(message),
            "scheduled_time": capillary_time(message["created_at"]),
            "message": message["body"] or "",
            "sender": message["from"] or "",
        }
    )


@handlers("getEmailV11")
def get_email_v11(ctx: Context) -> Reply:
    message = _sent(ctx, Channel.EMAIL, EmailNotFound)
    return v11_ok(
        email={
            "id": message["id"],
            "to": message["to"],
            "subject": message["subject"] or "",
            "description": message["body"] or "",
            "status": v11_status(message),
            "sent_time": capillary_time(message["created_at"]),
        }
    )


def read_back(message: Doc) -> list[tuple[str, str]]:
    """How Capillary's APIs read `message` back (the web outbox's message page): by its id
    (SMS and e-mail), and in its customer's interaction history."""
    reads = []
    path = _V11_READ.get(message["channel"])
    if path is not None:
        reads.append((f"GET /capillary{path}?id={message['id']}", v11_status(message)))
    customer, kind = message["customer_id"], str(message["channel"]).lower()
    if customer is not None:
        query = f"identifierName=id&identifierValue={customer}&type={kind}"
        reads.append((f"GET /capillary/v2/customers/interaction?{query}", delivery_status(message)))
    return reads


_V11_READ = {Channel.SMS: "/v1.1/communications/sms", Channel.EMAIL: "/v1.1/communications/email"}
