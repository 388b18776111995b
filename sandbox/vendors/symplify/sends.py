"""The list send (docs/contract.md section 5, assumed): a message to every contact of a list with an
address on the channel; contacts under a temporary block are recorded SUPPRESSED with reason
CONTACT_TEMP_BLOCKED. The answer does not say which: "no messages will be sent" (seed 004) is
a promise about delivery, not an error.

One transaction for the whole list; each contact costs one look at its own block (O(1)).
"""

from __future__ import annotations

from datetime import datetime

from sandbox.engine import Category, Channel, Concept, Facts, Intent
from sandbox.errors import InvalidInput
from sandbox.http import Context, Reply
from sandbox.store import Doc
from sandbox.vendors.symplify.accounts import CONTACTS, path_list
from sandbox.vendors.symplify.contacts import OPT_OUTS, day
from sandbox.vendors.symplify.registry import handlers

ADDRESS = {Channel.EMAIL: "email", Channel.SMS: "mobile"}
# Symplify's contacts may be blocked until a day, and opt out of e-mail or SMS
CONCEPTS = frozenset({Concept.TEMPORARY_BLOCKS, Concept.CONTACT_OPT_OUTS})


def contact_facts(contact: Doc | None, list_id: int, channel: Channel, now: datetime) -> Facts:
    """What a send on `channel` to this contact of list `list_id` meets: its temporary
    block, if any, and its opt-out of that channel (ContactDTO `unsubscribed` for e-mail,
    `mobileUnsubscribed` for SMS), if set."""
    if contact is None:
        return Facts(now=now, concepts=CONCEPTS)
    stored, flag = OPT_OUTS[channel]
    opted_out = flag if contact.get(stored) else None
    block = contact.get("block")
    if block is None:
        return Facts(now=now, contact_opt_out=opted_out, concepts=CONCEPTS)
    return Facts(
        now=now,
        temp_block_until=day(block["until"]),
        temp_block_scope="all lists" if block["all"] else f"list {list_id}",
        contact_opt_out=opted_out,
        concepts=CONCEPTS,
    )


@handlers("sendToList")
def send_to_list(ctx: Context) -> Reply:
    account_id, listed = path_list(ctx)
    list_id = listed["list_id"]
    body = ctx.body
    channel = Channel(body.get("channel", "EMAIL"))
    subject = body.get("subject")
    if channel is Channel.EMAIL and not subject:
        raise InvalidInput("subject: an EMAIL send needs a subject", field="subject")
    address, text = ADDRESS[channel], body["body"]
    now, operation = ctx.now, ctx.op.operation_id
    data = ctx.data
    tx = data.begin()
    sent = 0
    for contact in data[CONTACTS].all_by("list", (account_id, list_id)):
        to = contact.get(address)
        if not to:
            continue
        facts = contact_facts(contact, list_id, channel, now)
        intent = Intent(
            vendor="symplify",
            operation=operation,
            channel=channel,
            category=Category.PROMOTIONAL,
            priority=None,
            to=to,
            contact=contact["original_id"],
        )
        ctx.record(tx, intent, facts, subject=subject, body=text)
        sent += 1
    tx.commit()
    return Reply(
        {
            "message": f"Message queued for {sent} contact{'' if sent == 1 else 's'}",
            "listId": list_id,
            "recipients": sent,
        }
    )
