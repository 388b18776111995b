"""The `messangi` section of a tenant document: blocklist entries (and senders, which are
declarative: the sandbox sends from any sender, see README). `tables` loads a section,
`section` writes one from a tenant (a snapshot's entries carry their id, source and date)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox import normalise
from sandbox.clock import EARLIEST, iso, valid_time
from sandbox.doc import Doc
from sandbox.errors import InvalidInput
from sandbox.store import TenantData
from sandbox.vendors.messangi import blocklist
from sandbox.vendors.messangi.collections import entry_key


def tables(section: dict[str, Any], now: datetime) -> dict[str, list[Doc]]:
    """One entry per (type, sender, recipient); a repeated entry is the same entry, as a
    repeated POST /subscribers is. Entry ids follow the fixture's order, the same after every
    reset: the first is 000000000000000000000001 (API-added entries start with the time)."""
    stamp = iso(now)
    entries: dict[str, Doc] = {}
    ids: set[str] = set()
    for index, written in enumerate(section.get("blocklist") or []):
        where = f"messangi.blocklist[{index}]"
        # kept as written, as POST /subscribers keeps it; a number (`to: 525500000000`, an
        # Identifier of openapi/sandbox.yaml) as its digits
        given = {**written, "to": str(written["to"])}
        recipient = blocklist.canonical(given["type"], given["to"], f"{where}.to")
        sender = normalise.read_sender(given["from"], f"{where}.from")
        key = entry_key(given["type"], sender, recipient)
        if key in entries:
            # the same entry again, as a repeated POST /subscribers: the first stands; but
            # two ids for one entry (a snapshot edited by hand) would lose one silently
            first = entries[key]
            if given.get("id") not in (None, first["id"]):
                raise InvalidInput(
                    f"{where}.id: {given['id']!r} names the same entry (type, from, to) as "
                    f"id {first['id']!r}; give each entry once",
                    field=f"{where}.id",
                )
            continue
        # ids the fixture decides: entry n is 0000000000000000000000n (in hex)
        entry_id = given.get("id") or blocklist.object_id(EARLIEST, len(entries) + 1)
        if entry_id in ids:
            raise InvalidInput(f"{where}.id: {entry_id!r} is repeated", field=f"{where}.id")
        ids.add(entry_id)
        date = valid_time(given["date"], f"{where}.date") if given.get("date") else stamp
        entries[key] = blocklist.make_entry(
            entry_id, given, sender, given.get("source", "FIXTURE"), date
        )
    serials = [blocklist.serial_of(entry["id"]) for entry in entries.values()]
    return {
        blocklist.COLLECTION: list(entries.values()),
        # past every entry's serial the API could reach (an id is its second and a serial: on
        # a frozen clock, a serial given again would give an entry a declared entry's id)
        "_sequences": [{"id": blocklist.SEQUENCE, "value": max(len(entries), *serials)}]
        if entries
        else [],
    }


def section(data: TenantData) -> dict[str, Any]:
    """The tenant's `messangi` section, as `tables` reads it."""
    return {
        "blocklist": [
            {k: v for k, v in entry.items() if k != "key"}
            for entry in data[blocklist.COLLECTION].values()
        ]
    }
