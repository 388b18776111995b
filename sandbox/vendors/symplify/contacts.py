"""Contacts on lists: Symplify's ContactDTO, and the temporary block a contact carries.

A contact belongs to one list (Symplify's lists are its databases); the same person on two
lists is two contacts. A block is kept on the contact as {"until": "YYYY-MM-DD", "all": bool}
and lasts through the end of its day (UTC) on the tenant's clock: no request ends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any
from weakref import WeakSet

import orjson

from sandbox.clock import epoch_ms
from sandbox.doc import Doc
from sandbox.errors import Conflict, InvalidInput, NotFound
from sandbox.http import Context, Reply
from sandbox.store import TenantData
from sandbox.store.collection import Collection, Key
from sandbox.vendors.symplify.accounts import CONTACTS, LISTS, account, get_list, path_list
from sandbox.vendors.symplify.addresses import read_address
from sandbox.vendors.symplify.flags import FLAGS, OPT_OUTS
from sandbox.vendors.symplify.handler_table import handlers

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


def contact_dto(contact: Doc, today: date, properties: bool = True) -> dict[str, Any]:
    """Symplify's ContactDTO; `blockedUntil` only while a block lasts, each opt-out's date
    while it lasts (omitted otherwise); `properties` left out when not wanted."""
    dto: dict[str, Any] = {"id": contact["id"], "listId": contact["list_id"]}
    dto["originalId"] = contact["original_id"]
    for field, name in _OPTIONAL:
        if contact.get(field):
            dto[name] = contact[field]
    dto.update(_UNFLAGGED)
    for flag in FLAGS:
        if contact.get(flag.stored):
            dto[flag.dto] = True
    for dated, name in _DTO_DATES:
        if dated in contact:
            dto[name] = contact[dated]
    dto["dateCreated"] = contact["created"]
    dto["dateModified"] = contact["modified"]
    block = active_block(contact, today)
    if block is not None:
        dto["blockedUntil"] = block_end_ms(block["until"])
    if properties and contact.get("properties"):
        dto["properties"] = contact["properties"]
    return dto


def encoded_page(
    data: TenantData, keys: Sequence[Key], today: date, properties: bool = True
) -> orjson.Fragment:
    """The JSON array of `contact_dto` of each of the tenant's contacts under `keys`, in their
    order. Each contact's DTO is encoded once and kept in the contacts' memo
    (`Collection.memo`), which the store empties of a contact whenever its document changes,
    whatever call changes it (tests/symplify/test_contact_reads.py checks each); only a
    blocked contact's, which follows the day, is made afresh. A page read again is one
    lookup a contact, in C, and one join: not 100 DTOs built and encoded (~1.5 us each)."""
    parts = _encoded(data, keys, today, properties)
    if not parts:
        return orjson.Fragment(b"[]")
    # (the brackets on the first and last part: one copy of the page, in the join)
    parts[0] = b"[" + parts[0]
    parts[-1] += b"]"
    return orjson.Fragment(b",".join(parts))


def encoded_dto(data: TenantData, contact: Doc, today: date) -> orjson.Fragment:
    """`contact_dto` of one stored contact, as `encoded_page` encodes it."""
    return orjson.Fragment(_encoded(data, (contact["id"],), today, True)[0])


def _encoded(data: TenantData, keys: Sequence[Key], today: date, properties: bool) -> list[bytes]:
    contacts = data[CONTACTS]
    memo: dict[Key, bytes] = contacts.memo(_MEMOS[properties])
    parts: list[Any] = list(map(memo.get, keys))
    if all(parts):  # (a DTO is never empty: only a contact not kept is None)
        return parts
    for at, part in enumerate(parts):
        if part is None:
            key = keys[at]
            contact = contacts.get(key)
            assert contact is not None, f"no stored contact {key}"
            parts[at] = encoded = orjson.dumps(contact_dto(contact, today, properties))
            if "block" not in contact:
                _KEPT.keep(contacts, memo, key, encoded)
    return parts


# the contacts' memos of encoded DTOs: with their properties, and without
_MEMOS = {True: "dto", False: "dto-without-properties"}


class _Kept:
    """How many encoded DTOs the contacts' memos hold, every tenant's: past MAX, every
    one is let go at once (a few megabytes). Each tenant's go with its collection (it
    holds them; this only counts them and reaches them weakly)."""

    MAX = 20_000

    def __init__(self) -> None:
        self.collections: WeakSet[Collection] = WeakSet()
        self.held = 0  # entries kept since they were last let go (a dead tenant's included)

    def keep(self, contacts: Collection, memo: dict[Key, bytes], key: Key, encoded: bytes) -> None:
        if self.held >= self.MAX:  # all let go at once: one step, whoever is reading
            for collection in list(self.collections):
                for name in _MEMOS.values():
                    collection.memo(name).clear()
            self.held = 0
        self.collections.add(contacts)
        memo[key] = encoded
        self.held += 1


_KEPT = _Kept()


def stamped(contact: Doc, now: int) -> Doc:
    """`contact` (a document being written, changed in place) with the date of each opt-out
    or bounce it has: the date it had, else `now` (it has just opted out, whatever call made
    it); without the date of one it no longer has."""
    for flag in FLAGS:
        if contact.get(flag.stored):
            if flag.dated not in contact:
                contact[flag.dated] = now
        else:
            contact.pop(flag.dated, None)
    return contact


_OPTIONAL = (
    ("email", "emailAddress"),
    ("mobile", "mobileNumber"),
    ("firstname", "firstName"),
    ("lastname", "lastName"),
)
# a ContactDTO's flags while the contact has none of them set
_UNFLAGGED = {**{flag.dto: False for flag in FLAGS}, "active": True}
# (a flag's stored date, its ContactDTO name) for each date the ContactDTO shows
_DTO_DATES = tuple((f.dated, name) for f in FLAGS if (name := f.dto_date) is not None)


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
    """A stored contact from `fields` (original_id, email, mobile, firstname, lastname, the
    flags, their dates); empty ones are left out, so a big list costs less memory; an opt-out
    without its date is dated `created`."""
    doc: Doc = {
        "id": contact_id,
        "account": account_id,
        "list_id": list_id,
        "created": created,
        "modified": created,
    }
    doc.update((name, value) for name, value in fields.items() if value)
    return stamped(doc, created)


@handlers("addContact")
def add_contact(ctx: Context) -> Reply:
    account_id, listed = path_list(ctx)
    list_id = listed["list_id"]
    original_id = ctx.body["originalId"]
    if ctx.data[CONTACTS].by("on_list", (account_id, list_id, original_id)) is not None:
        raise Conflict(
            f"originalId: a contact with originalId {original_id!r} is already on list {list_id}",
            field="originalId",
        )
    return Reply(contact_dto(_create(ctx, account_id, list_id), ctx.now.date()))


@handlers("saveContact")
def save_contact(ctx: Context) -> Reply:
    """`POST /{customerid}/contacts` (the help centre's "create the new contact"): the
    contact with this originalId on the body's list, changed by the DTO's fields as an update
    changes it, else added as `POST lists/{id}/contacts` adds it."""
    account_id = account(ctx)
    list_id = _body_list(ctx, account_id)
    found = ctx.data[CONTACTS].by("on_list", (account_id, list_id, ctx.body["originalId"]))
    if found is None:
        return Reply(contact_dto(_create(ctx, account_id, list_id), ctx.now.date()))
    return Reply(contact_dto(_change(ctx, found), ctx.now.date()))


def _body_list(ctx: Context, account_id: str) -> int:
    """The body's `listId`; absent, the account's one list (several: a 400 naming listId)."""
    given = ctx.body.get("listId")
    if given is not None:
        return int(get_list(ctx, account_id, int(given))["list_id"])
    lists = ctx.data[LISTS]
    owned = lists.count_by("account", account_id)
    if owned != 1:
        raise InvalidInput(
            f"listId: account {account_id} has {owned} lists; say which list the contact is on",
            field="listId",
        )
    return int(lists.all_by("account", account_id)[0]["list_id"])


def _create(ctx: Context, account_id: str, list_id: int) -> Doc:
    """A new contact of the list from the body's ContactDTO fields, written."""
    body = ctx.body
    email, mobile = checked(body, "emailAddress", "mobileNumber")
    fields = {
        "original_id": body["originalId"],
        "email": email,
        "mobile": mobile,
        "firstname": body.get("firstName"),
        "lastname": body.get("lastName"),
        **{flag.stored: bool(body.get(flag.dto)) for flag in OPT_OUTS.values()},
    }
    tx = ctx.data.begin()
    contact_id = tx.next_id(SEQUENCE, CONTACT_IDS_START)
    contact = new_contact(contact_id, account_id, list_id, fields, epoch_ms(ctx.now))
    tx.put(CONTACTS, contact)
    tx.commit()
    return contact


@handlers("getContact")
def get_contact(ctx: Context) -> Reply:
    return Reply(encoded_dto(ctx.data, path_contact(ctx), ctx.now.date()))


def path_contact(ctx: Context) -> Doc:
    """The contact the path names on its list: by its originalId, else (a number no contact
    has as originalId) by its ContactDTO id, as compost-carma-api's
    ContactIdentifiedByIdEndpoint addresses it; a 404 naming originalId otherwise."""
    account_id, listed = path_list(ctx)
    list_id = listed["list_id"]
    named = ctx.path_params["originalId"]
    contacts = ctx.data[CONTACTS]
    found = contacts.by("on_list", (account_id, list_id, named))
    if found is None and named.isascii() and named.isdigit() and len(named) <= 16:
        by_id = contacts.get(int(named))
        if by_id is not None and (by_id["account"], by_id["list_id"]) == (account_id, list_id):
            found = by_id
    if found is None:
        raise NotFound(f"originalId: no contact {named!r} on list {list_id}", field="originalId")
    return found


# ContactDTO field -> the stored field it changes (None removes an address or a name)
_UPDATABLE = {
    "emailAddress": "email",
    "mobileNumber": "mobile",
    "firstName": "firstname",
    "lastName": "lastname",
    **{flag.dto: flag.stored for flag in OPT_OUTS.values()},
}


@handlers("updateContact")
def update_contact(ctx: Context) -> Reply:
    """The contact the path names (`path_contact`) with the fields the DTO gives; its
    originalId stays what it is."""
    contact = path_contact(ctx)
    original_id = contact["original_id"]
    given = ctx.body.get("originalId", original_id)
    if given != original_id:
        raise InvalidInput(
            f"originalId: {given!r} is not the contact's {original_id!r} (an originalId does "
            "not change)",
            field="originalId",
        )
    return Reply(contact_dto(_change(ctx, contact), ctx.now.date()))


def _change(ctx: Context, contact: Doc) -> Doc:
    """The contact with the body's ContactDTO fields (its read-only ones ignored), written;
    an opt-out it takes is dated now (`stamped`)."""
    body = ctx.body
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
    now = epoch_ms(ctx.now)
    updated["modified"] = now
    tx = ctx.data.begin()
    tx.put(CONTACTS, stamped(updated, now))
    tx.commit()
    return updated
