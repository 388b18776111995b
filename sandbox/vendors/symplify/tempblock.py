"""Temporary contact blocking (seed 004): PUT blocks, POST with an empty `blockUntil`
releases, GET reads, all with the seed's DTO {findBy, listId, searchValue[, blockUntil]}.

A DTO finds contacts by ORIGINALID or e-mail address (EMAILADRESS as every example spells it,
EMAILADDRESS as the prose does), on one list or on every list of the account (`-1`). Finding
no contact is a 404 naming `searchValue`: the document says the call finds a contact, and a
block that silently matched nobody would hide an integrator's typo. A block applies to the
contacts found when it is set; a contact added later is not blocked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from sandbox import normalise
from sandbox.clock import epoch_ms
from sandbox.doc import Doc
from sandbox.errors import InvalidInput, NotFound
from sandbox.http import Context, Reply
from sandbox.vendors.symplify.accounts import CONTACTS, account, get_list
from sandbox.vendors.symplify.addresses import address_key
from sandbox.vendors.symplify.contacts import active_block, block_end_ms
from sandbox.vendors.symplify.handler_table import handlers

ANY_LIST = -1
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # (fullmatch)


class Search(NamedTuple):
    by_email: bool
    list_id: int | None  # None: every list (-1)
    value: str
    echo: dict[str, str]  # findBy, listId and searchValue as the client wrote them


def parse_search(source: Mapping[str, Any]) -> Search:
    for name in ("findBy", "listId", "searchValue"):
        if source.get(name) in (None, ""):
            raise InvalidInput(
                f"{name} is required: send the DTO {{findBy, listId, searchValue}}",
                field=name,
            )
    list_id = int(source["listId"])
    if list_id < 1 and list_id != ANY_LIST:
        raise InvalidInput(
            f"listId: {source['listId']!r} is neither a list id nor -1 (every list)",
            field="listId",
        )
    echo = {
        "findBy": source["findBy"],
        "listId": str(source["listId"]),
        "searchValue": source["searchValue"],
    }
    return Search(
        by_email=source["findBy"] != "ORIGINALID",
        list_id=None if list_id == ANY_LIST else list_id,
        value=source["searchValue"],
        echo=echo,
    )


def find(ctx: Context, search: Search) -> list[Doc]:
    """The contacts the search finds; 404 for an unknown list or when it finds nobody."""
    account_id = account(ctx)
    if search.list_id is not None:
        get_list(ctx, account_id, search.list_id)
    contacts = ctx.data[CONTACTS]
    found: list[Doc]
    if search.by_email:
        address = normalise.read_email(search.value, "searchValue")
        found = contacts.all_by("email", (account_id, address_key("email", address)))
        if search.list_id is not None:
            found = [c for c in found if c["list_id"] == search.list_id]
    elif search.list_id is None:
        found = contacts.all_by("original", (account_id, search.value))
    else:
        one = contacts.by("on_list", (account_id, search.list_id, search.value))
        found = [one] if one is not None else []
    if not found:
        where = "any list" if search.list_id is None else f"list {search.list_id}"
        kind = "e-mail address" if search.by_email else "originalId"
        raise NotFound(
            f"searchValue: no contact with {kind} {search.value!r} on {where} of account "
            f"{account_id}",
            field="searchValue",
        )
    return found


def parse_day(value: Any, field: str) -> str:
    """A day as YYYY-MM-DD, the one form blockUntil takes (the API's and a tenant document's
    `temp_block.until`): ASCII digits, years 0001-9999, a real date, nothing around it (not
    the 20261123 or 2026-W47-1 that `date.fromisoformat` also reads). Stored as given."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise InvalidInput(f"{field}: {value!r:.60} is not a date as YYYY-MM-DD", field=field)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not a real date", field=field) from None
    return value


def block_until(value: Any) -> str:
    """A PUT's blockUntil. A day already past is taken and blocks nothing: the block has
    already ended (seed 004's example DTOs, dated 2020, work as they are)."""
    if value in (None, ""):
        raise InvalidInput(
            "blockUntil: a day (YYYY-MM-DD) is required to block; to release a block, POST "
            "the DTO with an empty blockUntil",
            field="blockUntil",
        )
    return parse_day(value, "blockUntil")


def status(search: Search, contacts: list[Doc], today: date) -> dict[str, Any]:
    """The block status of the contacts found (the sandbox's shape: Symplify publishes none)."""
    rows = []
    latest: str | None = None
    for contact in contacts:
        block = active_block(contact, today)
        row: dict[str, Any] = {
            "id": contact["id"],
            "listId": contact["list_id"],
            "originalId": contact["original_id"],
        }
        if contact.get("email"):
            row["emailAddress"] = contact["email"]
        row["blocked"] = block is not None
        if block is not None:
            row["blockUntil"] = block["until"]
            row["blockedUntil"] = block_end_ms(block["until"])
            row["blockedOn"] = "all lists" if block["all"] else f"list {contact['list_id']}"
            latest = max(latest or block["until"], block["until"])
        rows.append(row)
    return {**search.echo, "blocked": latest is not None, "blockUntil": latest, "contacts": rows}


@handlers("blockContact")
def block_contact(ctx: Context) -> Reply:
    search = parse_search(ctx.body)
    until = block_until(ctx.body.get("blockUntil"))
    contacts = find(ctx, search)
    block = {"until": until, "all": search.list_id is None}
    return Reply(status(search, _write(ctx, contacts, block), ctx.now.date()))


@handlers("releaseContactBlock")
def release_contact_block(ctx: Context) -> Reply:
    search = parse_search(ctx.body)
    if ctx.body.get("blockUntil") not in (None, ""):
        raise InvalidInput(
            "blockUntil: POST releases a block and takes an empty blockUntil; block with PUT",
            field="blockUntil",
        )
    contacts = find(ctx, search)
    return Reply(status(search, _write(ctx, contacts, None), ctx.now.date()))


@handlers("getContactBlock")
def get_contact_block(ctx: Context) -> Reply:
    """The DTO as the document sends it, in the body; else as query parameters."""
    search = parse_search(ctx.body if ctx.body is not None else ctx.query)
    return Reply(status(search, find(ctx, search), ctx.now.date()))


def _write(ctx: Context, contacts: list[Doc], block: dict[str, Any] | None) -> list[Doc]:
    """Each contact with `block` (None: released), in one transaction."""
    tx = ctx.data.begin()
    changed = []
    modified = epoch_ms(ctx.now)
    for contact in contacts:
        updated = {k: v for k, v in contact.items() if k != "block"}
        updated["modified"] = modified
        if block is not None:
            updated["block"] = block
        changed.append(tx.put(CONTACTS, updated))
    tx.commit()
    return changed
