"""Customer interaction history (seed 003): counts per type from the per-customer counters,
and each message type's newest messages from the outbox with what became of them (v1.1
`messages.message[]`, v2 `messageList[]`), a page from the outbox's index by customer and
channel: O(page), whatever the outbox holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.clock import parse_iso
from sandbox.doc import Doc
from sandbox.http import Context, Reply
from sandbox.vendors.capillary import customers, message_reads
from sandbox.vendors.capillary.errors import CustomerNotFoundV11, NoIdentifier, item_status
from sandbox.vendors.capillary.handler_table import handlers

# the eight types seed 003 lists for the capillary network, in its order
V11_TYPES = ("survey", "whatsapp", "line", "zalo", "phone", "missed_call", "email", "sms")
# v2 lists these; the message types carry messageList
V2_TYPES = ("survey", "sms", "email", "whatsapp", "zalo", "wechat", "line", "missed_call", "phone")
MESSAGE_TYPES = {"sms", "email", "whatsapp", "zalo", "wechat", "line"}
_DIRECT = ("mobile", "email", "external_id", "id")


def _capillary_time(stamp: str) -> str:
    """DD-MM-YYYY HH:mm:ss, as seed 003 documents last_interaction_time (UTC)."""
    return parse_iso(stamp).strftime("%d-%m-%Y %H:%M:%S")


# v2 deliveredTime: YYYY-MM-DDTHH:mm:ssZ (UTC), as Capillary's v2 page describes it
V2_DELIVERED = "%Y-%m-%dT%H:%M:%SZ"

# message channel -> the interaction type it is counted under
INTERACTION_TYPE = {
    "SMS": "sms",
    "EMAIL": "email",
    "WHATSAPP": "whatsapp",
    "ZALO": "zalo",
    "WECHAT": "wechat",
    "RCS": "rcs",
}
# interaction type -> the channel of its messages
CHANNEL_OF = {kind: channel for channel, kind in INTERACTION_TYPE.items()}


def _newest(ctx: Context, customer: Doc, kind: str) -> list[Doc]:
    """A page of the newest messages of an interaction type (none for a type no channel
    sends, such as line)."""
    channel = CHANNEL_OF.get(kind)
    return [] if channel is None else message_reads.newest(ctx.data, customer["id"], channel)


@dataclass(frozen=True)
class Rows:
    """How one history lists a message: the keys of its fields (None: a field it does not
    list) and how it writes the times and the campaign id."""

    sender: str | None
    receiver: str
    sent: str
    sent_time: Callable[[str], str | None]
    delivered: str
    delivered_time: Callable[[str], str | None]
    campaign: str
    campaign_id: int | str
    user_id: str | None


# v1.1, as Capillary's example lists a message (its spelling, `reciever`, kept)
V11_ROWS = Rows(
    sender="sender",
    receiver="reciever",
    sent="sent_time",
    sent_time=customers.capillary_time,
    delivered="delivered_time",
    delivered_time=customers.capillary_time,
    campaign="campaign_id",
    campaign_id=str(message_reads.NO_CAMPAIGN),
    user_id=None,
)
# v2, as Capillary's examples list one (deliveredTime YYYY-MM-DDTHH:mm:ssZ, UTC)
V2_ROWS = Rows(
    sender=None,
    receiver="receiver",
    sent="sentDate",
    sent_time=_capillary_time,
    delivered="deliveredTime",
    delivered_time=lambda stamp: parse_iso(stamp).strftime(V2_DELIVERED),
    campaign="campaignId",
    campaign_id=message_reads.NO_CAMPAIGN,
    user_id="userId",
)


def _messages(ctx: Context, customer: Doc, kind: str, rows: Rows) -> list[dict[str, Any]]:
    """The type's newest messages as the history lists them: DELIVERED (with its delivered
    time) or NOT-DELIVERED (suppressed: no delivered time); no campaign sent them."""
    listed = []
    for message in _newest(ctx, customer, kind):
        entry: dict[str, Any] = {"id": int(message["id"])}
        if rows.sender is not None:
            entry[rows.sender] = message["from"] or ""
        entry[rows.receiver] = message["to"]
        entry["subject"] = message_reads.text(message)
        entry["status"] = message_reads.delivery_status(message)
        entry[rows.sent] = rows.sent_time(message["created_at"])
        if message_reads.delivered(message):
            entry[rows.delivered] = rows.delivered_time(message["created_at"])
        entry[rows.campaign] = rows.campaign_id
        if rows.user_id is not None:
            entry[rows.user_id] = customer["id"]
        listed.append(entry)
    return listed


def _counters(ctx: Context, customer: Doc) -> dict[str, tuple[int, str]]:
    """Interaction type -> (count, last time) of every message ever sent to the customer,
    delivered or suppressed, kept by the store as messages are recorded (the outbox's
    retention and clearing do not erase history)."""
    tally = ctx.data["messages"].tally(str(customer["id"]))
    return {INTERACTION_TYPE[channel]: entry for channel, entry in tally.items()}


@handlers("getCustomerInteractionsV11")
def get_interactions_v11(ctx: Context) -> Reply:
    query = ctx.query
    if "identifierName" in query or "identifierValue" in query:
        name, value = query.get("identifierName"), query.get("identifierValue")
        field = "identifierName" if name is None else "identifierValue"
        if not name or not value:
            raise NoIdentifier(f"{field} is required with its pair", field=field)
    else:
        direct = next(((f, query[f]) for f in _DIRECT if query.get(f)), None)
        if direct is None:
            raise NoIdentifier(
                "Any one of the customer identifiers is required: identifierName and "
                "identifierValue, or mobile, email, external_id or id",
                field="identifierName",
            )
        name, value = direct
    where = "identifierValue" if "identifierName" in query else name
    customer = customers.find_written(
        ctx.data, customers.IDENTIFIER_FIELDS.get(name, ""), value, where
    )
    if customer is None:
        return _not_found_v11(name, value)
    counters = _counters(ctx, customer)
    kinds = [k for k in V11_TYPES if query.get("type") in (None, k)]
    offset, limit = query.get("offset", 0), query.get("limit", 50)
    interaction = []
    for kind in kinds[offset : offset + limit]:
        listed = _messages(ctx, customer, kind, V11_ROWS) if kind in counters else []
        entry: dict[str, Any] = {"messages": {"message": listed}} if listed else {}
        entry.update(
            {
                "last_interaction_time": (
                    _capillary_time(counters[kind][1]) if kind in counters else "null"
                ),
                "used_status": False,
                "count": counters[kind][0] if kind in counters else 0,
                "type": kind,
            }
        )
        interaction.append(entry)
    network = (
        []
        if query.get("network", "capillary") != "capillary"
        else [{"name": "capillary", "interaction": interaction}]
    )
    return Reply(
        {
            "response": {
                "status": {"success": "true", "code": 200, "message": "Success"},
                "customer": {
                    "id": str(customer["id"]),
                    "mobile": customer.get("mobile") or "",
                    "email": customer.get("email") or "",
                    "external_id": customer.get("external_id") or "",
                    "interactions": {"network": network},
                    "item_status": {
                        "success": "true",
                        "code": 1000,
                        "message": "Customer successfully retrieved",
                    },
                },
            }
        }
    )


def _not_found_v11(name: str, value: str) -> Reply:
    """Seed 003 documents 500 "All requests have failed due to errors" for an unknown or
    unsupported identifier; the sandbox answers it with HTTP 400 (never 5xx for input)."""
    missing = CustomerNotFoundV11(
        f"Cannot find customer with the provided {name}: {value}", field=name
    )
    status = {"success": "false", "code": 500, "message": "All requests have failed due to errors"}
    customer = {name: value, "item_status": item_status(missing, 0, "")}
    return Reply({"response": {"status": status, "customer": customer}}, 400)


@handlers("getCustomerInteractionsV2")
def get_interactions_v2(ctx: Context) -> Reply:
    query = ctx.query
    name, value = query["identifierName"], query["identifierValue"]
    field = customers.IDENTIFIER_FIELDS[name]
    customer = customers.find_written(
        ctx.data, field, value, "identifierValue", CustomerNotFoundV11
    )
    if customer is None:
        raise CustomerNotFoundV11(
            f"Cannot find customer for provided mobile/external-id/e-mail/id ({name}={value})",
            field="identifierValue",
        )
    counters = _counters(ctx, customer)
    interaction: list[dict[str, Any]] = []
    if query.get("network", "capillary") == "capillary":
        for kind in V2_TYPES:
            if query.get("type") not in (None, kind):
                continue
            count = counters[kind][0] if kind in counters else 0
            entry: dict[str, Any] = {"count": count, "name": kind}
            if kind in MESSAGE_TYPES:
                entry["messageList"] = _messages(ctx, customer, kind, V2_ROWS) if count else []
            elif kind == "survey":
                entry["surveys"] = []
            else:
                entry["usedStatus"] = False
            interaction.append(entry)
    return Reply({"name": "capillary", "interaction": interaction, "warnings": []})
