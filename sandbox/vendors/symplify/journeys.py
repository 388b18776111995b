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

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sandbox.doc import Doc
from sandbox.engine import Channel
from sandbox.errors import InvalidInput, NotFound
from sandbox.http import Context, Reply
from sandbox.outbox import Recorder
from sandbox.store import TenantData, Tx
from sandbox.vendors.symplify.accounts import JOURNEYS, path_declared
from sandbox.vendors.symplify.contact_sends import on_list, reaches, send
from sandbox.vendors.symplify.handler_table import handlers

OPERATION = "commenceJourney"


def path_journey(ctx: Context) -> Doc:
    return path_declared(ctx, JOURNEYS, "journeyId", "journey")


@handlers(OPERATION)
def commence_journey(ctx: Context) -> Reply:
    journey = path_journey(ctx)
    body = ctx.body
    given_id = body["id"]
    original_id = given_id if isinstance(given_id, str) else str(given_id)
    contact, messages = entrant(ctx.data, journey, original_id)
    tx = ctx.data.begin()
    enter(
        tx,
        journey,
        contact,
        messages,
        body.get("properties") or {},
        operation=OPERATION,
        now=ctx.now,
        outbox=ctx.outbox,
    )
    tx.commit()
    return Reply(
        {
            "message": f"Contact {original_id} entered journey {journey['journey_id']}",
            "journeyId": journey["journey_id"],
            "originalId": original_id,
        }
    )


def entrant(data: TenantData, journey: Doc, original_id: str) -> tuple[Doc, list[Doc]]:
    """The contact with this originalId on the journey's list, and the journey's messages it
    can be sent: a message on a channel the contact has no address for sends nothing (a
    journey's step skips such a contact, as a list send does). A contact not on the list is
    a NotFound naming `id`, one none of the messages reaches an InvalidInput naming it."""
    contact = on_list(data, journey["account"], journey["list_id"], original_id)
    if contact is None:
        raise NotFound(
            f"id: no contact with originalId {original_id!r} on list {journey['list_id']}, "
            f"the list of journey {journey['journey_id']}",
            field="id",
        )
    reached = [m for m in journey["messages"] if reaches(contact, Channel(m["channel"]))]
    if not reached:
        channels = " or ".join(sorted({m["channel"] for m in journey["messages"]}))
        raise InvalidInput(
            f"id: contact {original_id!r} has no address for journey {journey['journey_id']}'s "
            f"messages ({channels}): nothing could be sent",
            field="id",
        )
    return contact, reached


def enter(
    tx: Tx,
    journey: Doc,
    contact: Doc,
    messages: list[Doc],
    properties: Mapping[str, Any],
    *,
    operation: str,
    now: datetime,
    outbox: Recorder,
) -> None:
    """The contact enters the journey: each of `messages` (its `entrant` ones) is sent to it,
    decided like a trigger's, and recorded as made by `operation`."""
    for message in messages:
        send(tx, contact, properties, journey, message, operation=operation, now=now, outbox=outbox)
