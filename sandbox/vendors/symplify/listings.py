"""A list's contacts, a page at a time: `GET lists/{id}/contacts/{all|unsubscribed|bounced}`
(compost-carma-api's ContactsListEndpoint: `pageSize`, `lastId`, `channel`,
`includeProperties`, `email`). Each listing is an index kept in id order, so a page costs its
own size whatever the list holds: `lastId` is the id of the previous page's last contact."""

from __future__ import annotations

from typing import Any

from sandbox.doc import Doc
from sandbox.http import Context, Reply
from sandbox.vendors.symplify.accounts import CONTACTS, path_list
from sandbox.vendors.symplify.addresses import address_key, read_address
from sandbox.vendors.symplify.collections import listed_in
from sandbox.vendors.symplify.contacts import encoded_page
from sandbox.vendors.symplify.handler_table import handlers

PAGE_SIZE = 1000  # compost-carma-api's default
FIRST = -1  # the lastId of the first page (0 reads the same: ids start past it)


@handlers("listContacts")
def list_all(ctx: Context) -> Reply:
    """Every contact of the list (`channel` is accepted: every contact is listed whatever
    addresses it has)."""
    return _page(ctx, "all")


@handlers("listUnsubscribedContacts")
def list_unsubscribed(ctx: Context) -> Reply:
    """The list's contacts opted out of the channel (MIXED: of e-mail or SMS)."""
    return _page(ctx, "unsubscribed")


@handlers("listBouncedContacts")
def list_bounced(ctx: Context) -> Reply:
    """The list's contacts whose address on the channel bounced (MIXED: either)."""
    return _page(ctx, "bounced")


def _page(ctx: Context, mode: str) -> Reply:
    account_id, listed = path_list(ctx)
    query = ctx.query
    channel = str(query.get("channel", "MIXED")).upper()
    where = (account_id, listed["list_id"])
    # the whole list is its own index; the opted-out and bounced are values of `listed`
    index, value = ("list", where) if mode == "all" else ("listed", (*where, mode, channel))
    after, size = query.get("lastId", FIRST), query.get("pageSize", PAGE_SIZE)
    email = query.get("email")
    if email:
        found = _with_address(ctx, email, index, value)
        keys = [c["id"] for c in found if c["id"] > after][:size]
    else:
        keys = ctx.data[CONTACTS].page_keys(index, value, after, size)
    today, properties = ctx.now.date(), query.get("includeProperties", True)
    return Reply(encoded_page(ctx.data, keys, today, properties))


def _with_address(ctx: Context, email: str, index: str, value: tuple[Any, ...]) -> list[Doc]:
    """The listing's contacts with this e-mail address (however written), in id order: the
    account's contacts with it (an index), those of the listing."""
    address = read_address("email", email, "email") or ""
    found = ctx.data[CONTACTS].all_by("email", (value[0], address_key("email", address)))
    if index == "list":
        chosen = [c for c in found if (c["account"], c["list_id"]) == value]
    else:
        chosen = [c for c in found if value in listed_in(c)]
    return sorted(chosen, key=lambda c: c["id"])
