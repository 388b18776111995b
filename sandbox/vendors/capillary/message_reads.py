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

from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sandbox.doc import Doc
from sandbox.engine import Channel, Status
from sandbox.http import Context, Reply
from sandbox.store import TenantData
from sandbox.vendors.capillary.customers import capillary_time
from sandbox.vendors.capillary.envelopes import v11_ok
from sandbox.vendors.capillary.errors import CapillaryError
from sandbox.vendors.capillary.handler_table import handlers

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


@dataclass(frozen=True)
class ByIdRead:
    """One of the v1.1 reads of a message by its id: its path, the channel it reads, the key
    of the answer's message, its not-found, and the fields it answers."""

    path: str
    channel: Channel
    key: str
    noun: str
    missing: type[CapillaryError]
    fields: Callable[[Doc], dict[str, Any]]


def _sms_fields(message: Doc) -> dict[str, Any]:
    """`get-sms`'s example's fields."""
    return {
        "id": message["id"],
        "to": message["to"],
        "status": v11_status(message),
        "scheduled_time": capillary_time(message["created_at"]),
        "message": message["body"] or "",
        "sender": message["from"] or "",
    }


def _email_fields(message: Doc) -> dict[str, Any]:
    """`get-email`'s example's fields."""
    return {
        "id": message["id"],
        "to": message["to"],
        "subject": message["subject"] or "",
        "description": message["body"] or "",
        "status": v11_status(message),
        "sent_time": capillary_time(message["created_at"]),
    }


# operationId -> the read
BY_ID = {
    "getSmsV11": ByIdRead(
        "/v1.1/communications/sms", Channel.SMS, "sms", "SMS", SmsNotFound, _sms_fields
    ),
    "getEmailV11": ByIdRead(
        "/v1.1/communications/email", Channel.EMAIL, "email", "e-mail", EmailNotFound, _email_fields
    ),
}
_READ_OF = {read.channel: read for read in BY_ID.values()}


def get_by_id(ctx: Context) -> Reply:
    """The Capillary message of the read's channel whose id is the `id` parameter, or the 404
    naming it: a message of another vendor or channel, or one past the outbox's retention, is
    not one Capillary can read back."""
    read = BY_ID[ctx.op.operation_id]
    message_id = str(ctx.query["id"])
    message = ctx.data["messages"].get(message_id)
    if message is None or message["vendor"] != "capillary" or message["channel"] != read.channel:
        raise read.missing(
            f"{read.missing.default_message}: no {read.noun} has id {message_id}"
            " (the outbox keeps a tenant's newest messages only)",
            field="id",
        )
    return v11_ok(**{read.key: read.fields(message)})


for _operation in BY_ID:
    handlers(_operation)(get_by_id)


def read_back(data: TenantData, message: Doc) -> list[tuple[str, str]]:
    """How Capillary's APIs read `message` back (the web outbox's message page): by its id
    (SMS and e-mail), and in its customer's interaction history, which lists a type's newest
    PAGE messages: one past them is counted there, not listed (O(page) to tell)."""
    reads = []
    by_id = _READ_OF.get(message["channel"])
    if by_id is not None:
        reads.append((f"GET /capillary{by_id.path}?id={message['id']}", v11_status(message)))
    customer, kind = message["customer_id"], str(message["channel"]).lower()
    if customer is not None:
        query = f"identifierName=id&identifierValue={customer}&type={kind}"
        listed = any(m["id"] == message["id"] for m in newest(data, customer, message["channel"]))
        shown = (
            delivery_status(message)
            if listed
            else f"not listed (counted): older than the customer's newest {PAGE} {kind} messages"
        )
        reads.append((f"GET /capillary/v2/customers/interaction?{query}", shown))
    return reads
