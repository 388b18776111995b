"""One message to one contact of a list, as a trigger and a journey send it: the contact found
by originalId on the send's list, the subject's and text's `{{name}}` placeholders filled, the
message decided like every Symplify send (the contact's temporary block, then its opt-out of
the channel unless the send ignores opt-outs) and recorded in the outbox with its trace."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sandbox.engine import Category, Channel, Decision, Intent
from sandbox.store import Doc, TenantData, Tx
from sandbox.vendors.symplify.accounts import CONTACTS
from sandbox.vendors.symplify.sends import ADDRESS, contact_facts

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")

# stages one message in `tx` as of `stamp`: the request's Context.record, or the outbox's own
Recorder = Callable[..., tuple[Doc, Decision]]


class Send(NamedTuple):
    """What a journey's message sends, whoever it goes to: `send`'s parameters of the same
    names."""

    operation: str
    list_id: int
    channel: Channel
    category: Category
    ignore_opt_out: bool
    subject: str
    template: str


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
    *,
    operation: str,
    list_id: int,
    channel: Channel,
    category: Category,
    ignore_opt_out: bool,
    subject: str,
    template: str,
    now: datetime,
    record: Recorder,
) -> tuple[Doc, Decision]:
    """One message to `contact` on `channel`, decided as of `now` and recorded as made by
    `operation` (sendTrigger, commenceJourney): its subject (e-mail only) and text are
    `subject` and `template` with their placeholders filled, `given` before the contact's own
    properties. Parameters, not a tuple of them: a trigger send builds none (a NamedTuple from
    keywords costs a microsecond on the hot path)."""
    intent = Intent(
        vendor="symplify",
        operation=operation,
        channel=channel,
        category=category,
        priority=None,
        to=contact[ADDRESS[channel]],
        contact=contact["original_id"],
    )
    facts = contact_facts(contact, list_id, channel, now)
    return record(
        tx,
        intent,
        facts._replace(ignore_opt_out=ignore_opt_out),
        subject=fill(subject, contact, given) if channel is Channel.EMAIL else None,
        body=fill(template, contact, given),
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
