"""One message to one contact of a list, as a trigger and a journey send it: the contact found
by originalId on the send's list, the subject's and text's `{{name}}` placeholders filled, the
message decided like every Symplify send (the contact's temporary block, then its opt-out of
the channel unless the send ignores opt-outs) and recorded in the outbox with its trace."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sandbox.doc import Doc
from sandbox.engine import Category, Channel, Decision, Intent
from sandbox.outbox import Recorder
from sandbox.store import TenantData, Tx
from sandbox.vendors.symplify.accounts import CONTACTS
from sandbox.vendors.symplify.sends import ADDRESS, contact_facts

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")

# a declared category or channel (stored as text) -> its member: a dict lookup, not an enum call
_CATEGORIES = {category.value: category for category in Category}
_CHANNELS = {channel.value: channel for channel in ADDRESS}


def on_list(data: TenantData, account_id: str, list_id: int, original_id: str) -> Doc | None:
    """The contact with this originalId on the list, if any (an index: O(1))."""
    return data[CONTACTS].by("on_list", (account_id, list_id, original_id))


def reaches(contact: Doc, channel: Channel) -> bool:
    """Whether the contact has an address on `channel`."""
    return bool(contact.get(ADDRESS[channel]))


def send(
    tx: Tx,
    contact: Doc,
    given: Mapping[str, Any],
    declared: Doc,
    message: Doc,
    *,
    operation: str,
    now: datetime,
    outbox: Recorder,
) -> tuple[Doc, Decision]:
    """One message to `contact`, decided as of `now` and recorded as made by `operation`
    (sendTrigger, commenceJourney): `message` is what is sent (its `channel`, `subject` and
    `body`: a trigger is its own message, a journey has several), `declared` the trigger or
    journey that sends it (its `list_id`, `name`, `category`, TRANSACTIONAL unless given, and
    `ignore_opt_out`). Its subject (e-mail only) and text are the message's (else the
    declared name) with their placeholders filled, `given` before the contact's own
    properties."""
    channel = _CHANNELS[message["channel"]]
    name = declared["name"]
    intent = Intent(
        vendor="symplify",
        operation=operation,
        channel=channel,
        category=_CATEGORIES[declared.get("category", "TRANSACTIONAL")],
        priority=None,
        to=contact[ADDRESS[channel]],
        contact=contact["original_id"],
    )
    facts = contact_facts(contact, declared["list_id"], channel, now, declared["ignore_opt_out"])
    subject = message.get("subject") or name
    return outbox.record(
        tx,
        intent,
        facts,
        subject=fill(subject, contact, given) if channel is Channel.EMAIL else None,
        body=fill(message.get("body") or name, contact, given),
    )


def fill(template: str, contact: Doc, given: Mapping[str, Any]) -> str:
    """`template` with `{{name}}` replaced by the property of that name: the send's, else the
    contact's (an unknown name is left as it is)."""
    if "{{" not in template:
        return template
    stored = contact.get("properties")
    properties = {**stored, **given} if stored else given

    def value(match: re.Match[str]) -> str:
        found = properties.get(match.group(1))
        return match.group(0) if found is None else str(found)

    return PLACEHOLDER.sub(value, template)
