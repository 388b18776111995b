"""The Blocklisted Subscriber API (seed 001): each sender has its own blocklist per channel
type, and every message sent from that sender passes through it.

An entry is keyed by (channel type, sender, recipient). Recipients are compared normalised
(sandbox/normalise.py): a phone number by its digits with the country code (`+52 55 0000 0000`
is `0052 55 0000-0000` is `525500000000`), an e-mail address by its key (any case, display
name, angle brackets and trailing dot left out); senders trimmed, then exactly (`528811` and
`52881` are two senders). The entry keeps `to` as it was sent, as Messangi echoes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox import normalise
from sandbox.doc import Doc
from sandbox.engine import Channel
from sandbox.errors import NotFound
from sandbox.http import Context, Reply
from sandbox.store import TenantData
from sandbox.vendors.messangi.collections import entry_key, recipient_key
from sandbox.vendors.messangi.envelope import nanos, ok
from sandbox.vendors.messangi.handler_table import handlers

COLLECTION = "messangi_blocklist"
SEQUENCE = "messangi_subscriber"


def read_recipient(channel: str, to: Any, field: str = "to") -> str:
    """The recipient as written -> as a send records it: an e-mail address as read on EMAIL,
    the number's digits with its country code on the others. A phone on an EMAIL list (or
    the other way round), or anything unreadable, is refused naming `field`."""
    try:
        if channel == Channel.EMAIL:
            return normalise.read_email(to, field)
        return normalise.read_phone(to, field)
    except normalise.Unreadable as unreadable:
        takes = "e-mail addresses" if channel == Channel.EMAIL else "E.164 numbers"
        raise normalise.Unreadable(
            f"{unreadable.message}; {channel} blocklists and sends take {takes}", field=field
        ) from None


def canonical(channel: str, to: Any, field: str = "to") -> str:
    """The recipient's key on the `channel` lists (`read_recipient`, then its key)."""
    return recipient_key(channel, read_recipient(channel, to, field))


def is_blocklisted(data: TenantData, channel: str, sender: str, recipient: str) -> bool:
    """O(1): one lookup in the unique index, whatever the list's size."""
    return data[COLLECTION].by("key", entry_key(channel, sender, recipient)) is not None


def object_id(moment: datetime, serial: int) -> str:
    """24 hex digits like a MongoDB ObjectId: seconds since the epoch, then a serial."""
    return f"{int(moment.timestamp()) & 0xFFFFFFFF:08x}{serial:016x}"


# serials the API gives count up from 1: past this, one a document declares (a real
# ObjectId's random part) is one the API never reaches
SERIALS = 2**32


def serial_of(entry_id: str) -> int:
    """An entry id's serial (`object_id`), or 0 for one the API would never give."""
    serial = int(entry_id[8:], 16)
    return serial if serial < SERIALS else 0


def make_entry(entry_id: str, given: dict[str, Any], sender: str, source: str, stamp: str) -> Doc:
    """An entry from a request or fixture item (`to`, `type`, optional `reason`) and its
    sender, read; `source` is where it came from (API or FIXTURE), as Messangi's UI shows
    it. Its key is computed by the collection (collections.py)."""
    return {
        "id": entry_id,
        "to": given["to"],
        "reason": given.get("reason") or "UNSUBSCRIBED",
        "type": given["type"],
        "from": sender,
        "source": source,
        "date": stamp,
    }


def public(entry: Doc) -> dict[str, Any]:
    """The entry as Messangi answers it: id, to, reason, date."""
    return {
        "id": entry["id"],
        "to": entry["to"],
        "reason": entry["reason"],
        "date": nanos(entry["date"]),
    }


@handlers("addSubscriber")
def add_subscriber(ctx: Context) -> Reply:
    """Adding an entry that exists answers that entry: nothing is added twice."""
    body = ctx.body
    recipient = canonical(body["type"], body["to"])
    sender = normalise.read_sender(body["from"], "from")
    data = ctx.data
    existing = data[COLLECTION].by("key", entry_key(body["type"], sender, recipient))
    if existing is not None:
        return ok(ctx, public(existing))
    tx = data.begin()
    entry_id = object_id(ctx.now, tx.next_id(SEQUENCE))
    entry = tx.put(COLLECTION, make_entry(entry_id, body, sender, "API", ctx.stamp))
    tx.commit()
    return ok(ctx, public(entry))


@handlers("getSubscriber")
def get_subscriber(ctx: Context) -> Reply:
    query = ctx.query
    recipient = canonical(query["type"], query["to"])
    sender = normalise.read_sender(query["from"], "from")
    entry = ctx.data[COLLECTION].by("key", entry_key(query["type"], sender, recipient))
    if entry is None:
        raise NotFound(
            f"to: {query['to']} is not on the {query['type']} blocklist of sender {query['from']}",
            field="to",
        )
    return ok(ctx, public(entry))


@handlers("deleteSubscriber")
def delete_subscriber(ctx: Context) -> Reply:
    data = ctx.data
    entry = data[COLLECTION].get(ctx.path_params["id"])
    if entry is None:
        raise NotFound(f"id: no blocklist entry '{ctx.path_params['id']}'", field="id")
    tx = data.begin()
    tx.delete(COLLECTION, entry["id"])
    tx.commit()
    return ok(ctx, public(entry))
