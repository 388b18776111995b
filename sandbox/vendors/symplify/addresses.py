"""How a contact's addresses are read, by the contacts API, imports, the fixture and "what
if" alike (a module of its own: the CSV reader imports nothing else of the vendor's)."""

from __future__ import annotations

from typing import Any

from sandbox import normalise


def address_key(field: str, address: str) -> str:
    """What the contacts' `email` and `mobile` indexes compare (collections.py)."""
    return normalise.email(address) if field == "email" else normalise.phone(address)


def read_address(field: str, value: Any, where: str) -> str | None:
    """A contact's address as written -> as stored: an e-mail address as
    `normalise.read_email` reads it, a mobile number trimmed once `normalise.read_phone`
    reads it (the index compares its digits); None for none. `normalise.Unreadable` naming
    `where` when it cannot be read."""
    if value in (None, ""):
        return None
    if field == "email":
        return normalise.read_email(value, where)
    normalise.read_phone(value, where)
    return str(value).strip()
