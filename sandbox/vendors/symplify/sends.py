"""The list send (docs/contract.md section 5, assumed): a message to every contact of a list with an
address on the channel; contacts under a temporary block are recorded SUPPRESSED with reason
CONTACT_TEMP_BLOCKED. The answer does not say which: "no messages will be sent" (seed 004) is
a promise about delivery, not an error.

A list may hold hundreds of thousands of contacts: its messages are recorded in steps of a few
milliseconds each, one commit per step (sandbox/pacing.py), other requests served between
them, and the call answers after the last step. The contacts sent to are the list's members
when the call came, each decided as it is at its step (one removed meanwhile is skipped); every
message carries the call's time. A send stopped midway (a storage failure: 503; the tenant
reset or deleted: 409) keeps the messages of the steps before it, and its answer says how many.
Each contact costs one look at its own block (O(1)).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox import collector, pacing
from sandbox.doc import Doc
from sandbox.engine import Category, Channel, Concept, Facts, Intent
from sandbox.errors import InvalidInput
from sandbox.http import Context, Offload, Reply, Steps
from sandbox.vendors.symplify.accounts import CONTACTS, path_list
from sandbox.vendors.symplify.contacts import day
from sandbox.vendors.symplify.flags import OPT_OUTS
from sandbox.vendors.symplify.handler_table import handlers

ADDRESS = {Channel.EMAIL: "email", Channel.SMS: "mobile"}
# Symplify's contacts may be blocked until a day, and opt out of e-mail or SMS
CONCEPTS = frozenset({Concept.TEMPORARY_BLOCKS, Concept.CONTACT_OPT_OUTS})


def contact_facts(
    contact: Doc | None,
    list_id: int,
    channel: Channel,
    now: datetime,
    ignore_opt_out: bool = False,
) -> Facts:
    """What a send on `channel` to this contact of list `list_id` meets: its temporary
    block, if any, and its opt-out of that channel (ContactDTO `unsubscribed` for e-mail,
    `mobileUnsubscribed` for SMS), if set, which a send that ignores opt-outs bypasses; and
    the contact's id and list ("1234/42"), by which the outbox keeps the list's and the
    contact's messages (`lists/{id}/messages`, `.../contacts/{originalId}/messages`). One
    Facts built (a `_replace` after would cost the hot trigger send a second)."""
    if contact is None:
        return Facts(now=now, concepts=CONCEPTS)
    flag = OPT_OUTS[channel]
    opted_out = flag.dto if contact.get(flag.stored) else None
    block = contact.get("block")
    on_list = f"{contact['account']}/{list_id}"  # (list_key's form)
    if block is None:
        return Facts(
            now=now,
            contact_opt_out=opted_out,
            ignore_opt_out=ignore_opt_out,
            concepts=CONCEPTS,
            contact_id=contact["id"],
            contact_list=on_list,
        )
    return Facts(
        now=now,
        temp_block_until=day(block["until"]),
        temp_block_scope="all lists" if block["all"] else f"list {list_id}",
        contact_opt_out=opted_out,
        ignore_opt_out=ignore_opt_out,
        concepts=CONCEPTS,
        contact_id=contact["id"],
        contact_list=on_list,
    )


OPERATION = "sendToList"


@handlers(OPERATION)
def send_to_list(ctx: Context) -> Offload:
    account_id, listed = path_list(ctx)
    list_id = listed["list_id"]
    body = ctx.body
    channel = Channel(body.get("channel", "EMAIL"))
    subject = body.get("subject")
    if channel is Channel.EMAIL and not subject:
        raise InvalidInput("subject: an EMAIL send needs a subject", field="subject")
    members = ctx.data[CONTACTS].keys_by("list", (account_id, list_id))
    text = body["body"]
    return Offload(
        None, lambda _: _send(ctx, list_id, members, channel=channel, subject=subject, text=text)
    )


def _send(
    ctx: Context,
    list_id: int,
    members: list[Any],
    *,
    channel: Channel,
    subject: str | None,
    text: str,
) -> Steps:
    """The list's messages, a step at a time; the answer once every step is committed."""
    data, store = ctx.data, ctx.store
    contacts = data[CONTACTS]
    address, now = ADDRESS[channel], ctx.now
    intent = Intent(
        vendor="symplify",
        operation=ctx.op.operation_id,
        channel=channel,
        category=Category.PROMOTIONAL,
        priority=None,
        to="",
    )
    sent = 0

    def step(part: slice) -> None:
        nonlocal sent
        doing = f"the send to list {list_id} was recorded ({sent} messages before it)"
        pacing.still_current(store, data, "listId", doing)
        tx = data.begin()
        recorded = 0
        for key in members[part]:
            contact = contacts.get(key)  # (None: removed since the call came)
            if contact is None or not contact.get(address):
                continue
            to = contact[address]
            facts = contact_facts(contact, list_id, channel, now)
            ctx.outbox.record(
                tx,
                intent._replace(to=to, contact=contact["original_id"]),
                facts,
                subject=subject,
                body=text,
            )
            recorded += 1
        pacing.commit(tx, f"the send to list {list_id} stopped there, after {sent} messages")
        sent += recorded

    yield from pacing.in_steps(len(members), step)
    collector.settle(sent)
    return Reply(
        {
            "message": f"Message queued for {sent} contact{'' if sent == 1 else 's'}",
            "listId": list_id,
            "recipients": sent,
        }
    )
