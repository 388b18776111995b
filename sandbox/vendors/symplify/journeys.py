"""Symplify's journeys (help.symplify.com "API Usage examples", "Journey starters"): a journey
with an API request starter is commenced for one contact with `POST /{customerid}/journeys/
{id}/commence`. A journey is declared in the fixture with its list and its messages; the
contact, found by originalId on that list, enters it and is sent each message at once, each
decided like a trigger's message (sandbox/vendors/symplify/contact_sends.py). "Contacts that
are temporarily blocked will enter a journey ... but will not receive any communication as
long as they are blocked": the call answers the same, and the outbox shows each message
SUPPRESSED with its reason.

The request's body is not published for the single request: the sandbox takes the contact
row of the journey's batch starter (help.symplify.com 360014214059), `{"id": "<originalId>",
"properties": {...}}`, the properties filling the messages' `{{name}}` placeholders.
"""

from __future__ import annotations

from sandbox.engine import Channel
from sandbox.errors import InvalidInput, NotFound
from sandbox.http import Context, Reply
from sandbox.store import Doc
from sandbox.vendors.symplify.accounts import JOURNEYS, path_declared
from sandbox.vendors.symplify.contact_sends import on_list, reaches, send
from sandbox.vendors.symplify.registry import handlers

OPERATION = "commenceJourney"


def path_journey(ctx: Context) -> Doc:
    return path_declared(ctx, JOURNEYS, "journeyId", "journey")


@handlers(OPERATION)
def commence_journey(ctx: Context) -> Reply:
    journey = path_journey(ctx)
    body = ctx.body
    given_id = body["id"]
    original_id = given_id if isinstance(given_id, str) else str(given_id)
    contact = on_list(ctx.data, journey["account"], journey["list_id"], original_id)
    if contact is None:
        raise NotFound(
            f"id: no contact with originalId {original_id!r} on list {journey['list_id']}, "
            f"the list of journey {journey['journey_id']}",
            field="id",
        )
    # a message on a channel the contact has no address for sends nothing (a journey's step
    # skips such a contact, as a list send does); a contact none of them reaches is refused
    reached = [m for m in journey["messages"] if reaches(contact, Channel(m["channel"]))]
    if not reached:
        channels = " or ".join(sorted({m["channel"] for m in journey["messages"]}))
        raise InvalidInput(
            f"id: contact {original_id!r} has no address for journey {journey['journey_id']}'s "
            f"messages ({channels}): nothing could be sent",
            field="id",
        )
    properties = body.get("properties") or {}
    tx = ctx.data.begin()
    for message in reached:
        send(
            tx,
            contact,
            properties,
            journey,
            message,
            operation=OPERATION,
            now=ctx.now,
            record=ctx.record,
        )
    tx.commit()
    return Reply(
        {
            "message": f"Contact {original_id} entered journey {journey['journey_id']}",
            "journeyId": journey["journey_id"],
            "originalId": original_id,
        }
    )
