"""Messangi's collection: the per-sender blocklists, one entry per (channel type, recipient,
sender) key, computed from the entry's fields in today's normal form (an entry stored by an
earlier release, or under any spelling, is found by every spelling of its recipient)."""

from __future__ import annotations

from sandbox import normalise
from sandbox.doc import Doc
from sandbox.store.collection import CollectionSpec


def recipient_key(channel: str, to: str) -> str:
    """A recipient as the blocklist compares it: an e-mail address's key on EMAIL lists, a
    phone number's digits on the others."""
    return normalise.email(to) if channel == "EMAIL" else normalise.phone(to)


def entry_key(channel: str, sender: str, recipient: str) -> str:
    """One string per (type, recipient key, sender); neither type nor a recipient key holds
    a newline, so the sender goes last and the key is unambiguous."""
    return f"{channel}\n{recipient}\n{sender}"


def _indexed_as(entry: Doc) -> str:
    channel = entry["type"]
    return entry_key(channel, normalise.text(entry["from"]), recipient_key(channel, entry["to"]))


BLOCKLIST = CollectionSpec(
    "messangi_blocklist",
    unique=("key",),
    derived={"key": _indexed_as},
    shared=("type", "from", "reason", "source"),
)

COLLECTIONS = (BLOCKLIST,)
