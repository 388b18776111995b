"""An account's lists: read them, and create one (assumed: no public source shows how)."""

from __future__ import annotations

from sandbox.http import Context, Reply
from sandbox.vendors.symplify.accounts import LISTS, account, list_dto, list_key, path_list
from sandbox.vendors.symplify.handler_table import handlers

LIST_IDS_START = 100
SEQUENCE = "symplify_list"


@handlers("listLists")
def list_lists(ctx: Context) -> Reply:
    account_id = account(ctx)
    lists = ctx.data[LISTS].all_by("account", account_id)
    return Reply([list_dto(ctx, doc) for doc in sorted(lists, key=lambda d: d["list_id"])])


@handlers("getList")
def get_one_list(ctx: Context) -> Reply:
    return Reply(list_dto(ctx, path_list(ctx)[1]))


@handlers("createList")
def create_list(ctx: Context) -> Reply:
    account_id = account(ctx)
    body = ctx.body
    tx = ctx.data.begin()
    list_id = tx.next_id(SEQUENCE, LIST_IDS_START)  # the fixture starts it past its own lists
    doc = tx.put(
        LISTS,
        new_list(
            account_id,
            list_id,
            body["name"],
            body.get("description", ""),
            body.get("listTypeId", 1),
        ),
    )
    tx.commit()
    return Reply(list_dto(ctx, doc))


def new_list(
    account_id: str, list_id: int, name: str, description: str, kind: int
) -> dict[str, object]:
    return {
        "id": list_key(account_id, list_id),
        "account": account_id,
        "list_id": list_id,
        "name": name,
        "description": description,
        "type": kind,
    }
