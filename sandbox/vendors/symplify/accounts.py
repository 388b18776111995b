"""A tenant's Symplify accounts (`{customerid}`) and their lists."""

from __future__ import annotations

from typing import Any

from sandbox.doc import Doc
from sandbox.errors import Forbidden, NotFound
from sandbox.http import Context

ACCOUNTS = "symplify_accounts"
LISTS = "symplify_lists"
CONTACTS = "symplify_contacts"
TRIGGERS = "symplify_triggers"
JOURNEYS = "symplify_journeys"
JOURNEY_BATCHES = "symplify_journey_batches"
IMPORTS = "symplify_imports"
BATCHES = "symplify_batches"
PROPERTIES = "symplify_properties"


def account(ctx: Context) -> str:
    """The path's account, which must be one of the tenant's (403 otherwise: the token is
    valid, the account is not its own)."""
    account_id: str = ctx.path_params["customerid"]
    accounts = ctx.data[ACCOUNTS]
    if account_id not in accounts:
        mine = ", ".join(sorted(str(doc["id"]) for doc in accounts.values())) or "none"
        raise Forbidden(
            f"customerid: this token has no access to account {account_id!r} "
            f"(its accounts: {mine})",
            field="customerid",
        )
    return account_id


def list_key(account_id: str, list_id: int | str) -> str:
    """A list's key, and a trigger's, a journey's, an import's, a batch's, a property's:
    "1234/42"."""
    return f"{account_id}/{list_id}"


def path_declared(ctx: Context, collection: str, param: str, noun: str) -> Doc:
    """The account's declared `noun` (a trigger, a journey) the path's `param` names, or the
    vendor's not-found naming it."""
    account_id = account(ctx)
    declared_id = ctx.path_params[param]
    found = ctx.data[collection].get(list_key(account_id, declared_id))
    if found is None:
        raise NotFound(f"{param}: no {noun} {declared_id} in account {account_id}", field=param)
    return found


def get_list(ctx: Context, account_id: str, list_id: int, field: str = "listId") -> Doc:
    found = ctx.data[LISTS].get(list_key(account_id, list_id))
    if found is None:
        raise NotFound(f"{field}: no list {list_id} in account {account_id}", field=field)
    return found


def path_list(ctx: Context) -> tuple[str, Doc]:
    """The account and the list the path names, both checked: (account id, list)."""
    account_id = account(ctx)
    return account_id, get_list(ctx, account_id, ctx.path_params["listId"])


def list_dto(ctx: Context, doc: Doc) -> dict[str, Any]:
    """Symplify's ListDto, with compost-carma-api's counts: its contacts, those with an
    address on each channel (`breakdown.*.contacts`, `emailAddresses`, `mobileNumbers`),
    those opted out of each channel or bounced on it (`breakdown`), and of either
    (`unsubscribes`, `hardBounces`); each is an index's size: O(1), kept as contacts are
    written, never counted on read. `lastImportTime` is its last finished import's (an
    index), `permissions` the token's (every one: assumed)."""
    contacts = ctx.data[CONTACTS]
    where = (doc["account"], doc["list_id"])

    def count(mode: str, channel: str) -> int:
        return contacts.count_by("listed", (*where, mode, channel))

    both = contacts.count_by("reachable", (*where, "BOTH"))
    reachable = {
        name: contacts.count_by("reachable", (*where, channel)) + both
        for name, channel in (("email", "EMAIL"), ("mobile", "SMS"))
    }
    last_import = next(ctx.data[BATCHES].newest_by("finished_on_list", where), None)
    return {
        "id": doc["list_id"],
        "listTypeId": doc["type"],
        "name": doc["name"],
        "description": doc["description"],
        "permissions": PERMISSIONS,
        "contacts": contacts.count_by("list", where),
        "emailAddresses": reachable["email"],
        "mobileNumbers": reachable["mobile"],
        "unsubscribes": count("unsubscribed", "MIXED"),
        "hardBounces": count("bounced", "MIXED"),
        "lastImportTime": None if last_import is None else last_import["finished"],
        "breakdown": {
            name: {
                "contacts": reachable[name],
                "unsubscribed": count("unsubscribed", channel),
                "bounced": count("bounced", channel),
            }
            for name, channel in (("email", "EMAIL"), ("mobile", "SMS"))
        },
    }


# what a token may do with its account's lists (compost's Permissions): everything
PERMISSIONS = {"read": True, "write": True, "execute": True}
