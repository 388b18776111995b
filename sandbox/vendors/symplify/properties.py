"""An account's contact properties, as carmaclient's GetProperties reads them (PropertyDTO):
the static ones every contact has, then each property an import or the fixture gave a contact,
defined the first time it appears (a definition stays when the values go)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sandbox.doc import Doc
from sandbox.http import Context, Reply
from sandbox.store import TenantData, Tx
from sandbox.vendors.symplify.accounts import PROPERTIES, account, list_key
from sandbox.vendors.symplify.handler_table import handlers

STATIC = ("originalId", "emailAddress", "mobileNumber", "firstName", "lastName")
SEQUENCE = "symplify_property"
FIRST_DEFINED = len(STATIC) + 1


def property_dto(property_id: int, name: str, created: int, static: bool) -> dict[str, Any]:
    return {
        "id": property_id,
        "propertyTypeId": 1,  # an end-user property
        "name": name,
        "dateCreated": created,
        "dateModified": created,
        "userCreated": "",
        "userModified": "",
        "staticProperty": static,
    }


def new_property(account_id: str, property_id: int, name: str, created: int) -> Doc:
    return {
        "id": list_key(account_id, name),
        "account": account_id,
        "property_id": property_id,
        "name": name,
        "created": created,
    }


def define(tx: Tx, data: TenantData, account_id: str, names: Iterable[str], now: int) -> None:
    """Stage a definition of each of `names` the account does not have yet."""
    for name in names:
        key = list_key(account_id, name)
        if tx.get(PROPERTIES, key) is None:  # (staged by this transaction, or stored)
            tx.put(
                PROPERTIES, new_property(account_id, tx.next_id(SEQUENCE, FIRST_DEFINED), name, now)
            )


@handlers("listProperties")
def list_properties(ctx: Context) -> Reply:
    account_id = account(ctx)
    defined = sorted(
        ctx.data[PROPERTIES].all_by("account", account_id), key=lambda d: d["property_id"]
    )
    static = [property_dto(n, name, 0, True) for n, name in enumerate(STATIC, 1)]
    return Reply(
        static + [property_dto(d["property_id"], d["name"], d["created"], False) for d in defined]
    )
