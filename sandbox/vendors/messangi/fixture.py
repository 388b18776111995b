"""The `messangi` section of a fixture document: blocklist entries (and senders, which are
declarative: the sandbox sends from any sender, see README)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.clock import EARLIEST, iso
from sandbox.store import Doc
from sandbox.vendors.messangi import blocklist


def tables(section: dict[str, Any], now: datetime) -> dict[str, list[Doc]]:
    """One entry per (type, sender, recipient); a repeated entry is the same entry, as a
    repeated POST /subscribers is. Entry ids follow the fixture's order, the same after every
    reset: the first is 000000000000000000000001 (API-added entries start with the time)."""
    stamp = iso(now)
    entries: dict[str, Doc] = {}
    for index, given in enumerate(section.get("blocklist") or []):
        field = f"messangi.blocklist[{index}].to"
        recipient = blocklist.canonical(given["type"], given["to"], field)
        key = blocklist.entry_key(given["type"], given["from"], recipient)
        if key not in entries:
            # ids the fixture decides: entry n is 0000000000000000000000n (in hex)
            entry_id = blocklist.object_id(EARLIEST, len(entries) + 1)
            entries[key] = blocklist.make_entry(entry_id, given, recipient, "FIXTURE", stamp)
    return {
        blocklist.COLLECTION: list(entries.values()),
        "_sequences": [{"id": blocklist.SEQUENCE, "value": len(entries)}],
    }
