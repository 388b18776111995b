"""Messangi's collection: the per-sender blocklists, one entry per (channel type, recipient,
sender) key."""

from __future__ import annotations

from sandbox.store.collection import CollectionSpec

BLOCKLIST = CollectionSpec(
    "messangi_blocklist", unique=("key",), shared=("type", "from", "reason", "source")
)

COLLECTIONS = (BLOCKLIST,)
