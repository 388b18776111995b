"""Contacts on lists: Symplify's ContactDTO, and the temporary block a contact carries.

A contact belongs to one list (Symplify's lists are its databases); the same person on two
lists is two contacts. A block is kept on the contact as {"until": "YYYY-MM-DD", "all": bool}
and lasts through the end of its day (UTC) on the tenant's clock: no request ends it.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from itertools import islice
from typing import Any

from sandbox.clock import epoch_ms
from sandbox.engine import Channel
from sandbox.errors import Conflict, InvalidInput, NotFound
from sandbox.http import Context, Reply
from sandbox.store import Doc
from sandbox.vendors.symplify.accounts import CONTACTS, path_list
from sandbox.vendors.symplify.addresses import read_address
from sandbox.vendors.symplify.registry import handlers

CONTACT_IDS_START = 2_047_800_001
SEQUENCE = "symplify_contact"


@lru_cache(maxsize=4096)
def day(text: str) -> date:
    """A stored block's last day (blocks repeat a few dates: parsed once each)."""
    return date.fromisoformat(text)


def active_block(contact: Doc, today: date) -> dict[str, Any] | None:
    """The contact's block, if it has not ended on `today`."""
    block: dict[str, Any] | None = contact.get("block")
    return block if block is not None and today <= day(block["until"]) else None


def block_end_ms(until: str) -> int:
    """Epoch ms of the last millisecond of the block's day (UTC), by day numbers: the end of
    9999-12-31 is past what a datetime holds."""
    return (day(until).toordinal() - _EPOCH_DAY + 1) * _DAY_MS - 1


_EPOCH_DAY = date(1970, 1, 1).toordinal()
_DAY_MS = 86_400_000


def contact_dto(contact: Doc, today: date) -> dict[str, Any]:
    """Symplify's ContactDTO; `blockedUntil` only while a block lasts (omitted otherwise)."""
    dto: dict[str, Any] = {"id": contact["id"], "listId": contact["list_id"]}
    dto["originalId"] = contact["original_id"]
    for field, name in _OPTIONAL:
        if contact.get(field):
            dto[name] = contact[field]
    dto.update(_FLAGS)
    for field, name in OPT_OUTS.values():
        if contact.get(field):
            dto[name] = True
    dto["dateCreated"] = contact["created"]
    dto["dateModified"] = contact["modified"]
    block = active_block(contact, today)
    if block is not None:
        dto["blockedUntil"] = block_end_ms(block["until"])
    if contact.get("properties"):
        dto["properties"] = contact["properties"]
    return dto


_OPTIONAL = (
    ("email", "emailAddress"),
    ("mobile", "mobileNumber"),
    ("firstname", "firstName"),
    ("lastname", "lastName"),
)
_FLAGS = {"unsubscribed": False, "bounced": False, "mobileUnsubscribed": False, "active": True}
# a contact's opt-out of a channel: (its stored field, stored only when set; its ContactDTO name)
OPT_OUTS = {
    Channel.EMAIL: ("unsubscribed", "unsubscribed"),
    Channel.SMS: ("mobile_unsubscribed", "mobileUnsubscribed"),
}


def checked(
    given: dict[str, Any], email_field: str, mobile_field: str
) -> tuple[str | None, str | None]:
    """The contact's e-mail address and mobile number as stored (`read_address`)."""
    return (
        read_address("email", given.get(email_field), email_field),
        read_address("mobile", given.get(mobile_field), mobile_field),
    )


def new_contact(
    contact_id: int, account_id: str, list_id: int, fields: dict[str, Any], created: int
) -> Doc:
    """A stored contact from `fields` (original_id, email, mobile, firstname, lastname);
    empty ones are left out, so a big list costs less memory."""
    doc: Doc = {
        "id": contact_id,
        "account": account_id,
        "list_id": list_id,
        "created": created,
        "modified": created,
    }
    doc.update((name, value) for name, value in fields.items() if value)
    return doc


@handlers("addContact")
def add_contact(ctx: Context) -> Reply:
    account_id, listed = path_list(ctx)
    list_id = listed["list_id"]
    body = ctx.body
    original_id = body["originalId"]
    data = ctx.data
    if data[CONTACTS].by("on_list", (account_id, list_id, original_id)) is not None:
        raise Conflict(
            f"originalId: a contact with originalId {original_id!r} is already on list {list_id}",
            field="originalId",
        )
    email, mobile = checked(body, "emailAddress", "mobileNumber")
    tx = data.begin()
    fields = {
        "original_id": original_id,
        "email": email,
        "mobile": mobile,
        "firstname": body.get("firstName"),
        "lastname": body.get("lastName"),
        "unsubscribed": bool(body.get("unsubscribed")),
        "mobile_unsubscribed": bool(body.get("mobileUnsubscribed")),
    }
    contact_id = tx.next_id(SEQUENCE, CONTACT_IDS_START)
    contact = new_contact(contact_id, account_id, list_id, fields, epoch_ms(ctx.now))
    tx.put(CONTACTS, contact)
    tx.commit()
    return Reply(contact_dto(contact, ctx.now.date()))


@handlers("getContact")
def get_contact(ctx: Context) -> Reply:
    account_id, listed = path_list(ctx)
    list_id = listed["list_id"]
    original_id = ctx.path_params["originalId"]
    contact = ctx.data[CONTACTS].by("on_list", (account_id, list_id, original_id))
    if contact is None:
        raise NotFound(
            f"originalId: no contact {original_id!r} on list {list_id}", field="originalId"
        )
    return Reply(contact_dto(contact, ctx.now.date()))


# ContactDTO field -> the stored field it changes (None removes an address or a name)
_UPDATABLE = {
    "emailAddress": "email",
    "mobileNumber": "mobile",
    "firstName": "firstname",
    "lastName": "lastname",
    "unsubscribed": "unsubscribed",
    "mobileUnsubscribed": "mobile_unsubscribed",
}


@handlers("updateContact")
def update_contact(ctx: Context) -> Reply:
    """The contact with the fields the DTO gives; its originalId stays what the path says."""
    account_id, listed = path_list(ctx)
    list_id = listed["list_id"]
    original_id = ctx.path_params["originalId"]
    data, body = ctx.data, ctx.body
    contact = data[CONTACTS].by("on_list", (account_id, list_id, original_id))
    if contact is None:
        raise NotFound(
            f"originalId: no contact {original_id!r} on list {list_id}", field="originalId"
        )
    if body.get("originalId", original_id) != original_id:
        raise InvalidInput(
            f"originalId: {body['originalId']!r} is not the path's {original_id!r} (an "
            "originalId does not change)",
            field="originalId",
        )
    given = {
        k: v for k, v in body.items() if k in {"emailAddress", "mobileNumber"} and v is not None
    }
    email, mobile = checked(given, "emailAddress", "mobileNumber")
    read = {"emailAddress": email, "mobileNumber": mobile}
    updated = dict(contact)
    for name, stored in _UPDATABLE.items():
        if name in body:
            value = read.get(name) or body[name]
            if value in (None, False, ""):
                updated.pop(stored, None)  # empty fields are left out, as new_contact does
            else:
                updated[stored] = value.strip() if isinstance(value, str) else value
    updated["modified"] = epoch_ms(ctx.now)
    tx = data.begin()
    tx.put(CONTACTS, updated)
    tx.commit()
    return Reply(contact_dto(updated, ctx.now.date()))


@handlers("listContacts")
def list_contacts(ctx: Context) -> Reply:
    """Contacts in id order after `lastId`, `pageSize` at a time (Symplify's keyset paging)."""
    account_id, listed = path_list(ctx)
    list_id = listed["list_id"]
    last_id = ctx.query.get("lastId", -1)
    size = ctx.query.get("pageSize", 1000)
    today = ctx.now.date()
    members = ctx.data[CONTACTS].all_by("list", (account_id, list_id))  # oldest (lowest id) first
    page = islice((c for c in members if c["id"] > last_id), size)
    return Reply([contact_dto(contact, today) for contact in page])
