"""A customer's logs as Capillary's v2 reads answer them: the status log
(`GET /v2/customers/{userId}/statusLog`, status.py) and the subscription change log
(`.../subscriptionStatusChangeLog`, subscription_log.py).

Both name the customer by the path's `userId`: an id no customer has is the 404 "Specified
customer ID doesn't exist" Capillary's get-status-log page lists (`customers.by_user_id`).
Both answer the log's newest LOG_PAGE entries, oldest first: Capillary documents no paging
for either (its pages take `userId` alone), so the sandbox caps the answer (assumed), read
from the log's index by customer in O(page), however long the log. Entries older than any
logged one (a fixture's label or declared preferences, computed, not stored) come first, and
only while the log is shorter than a page.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import Any

from sandbox.doc import Doc
from sandbox.http import Context, Reply
from sandbox.store import Collection
from sandbox.vendors.capillary import customers

# the entries a log read answers: the newest ones (x-sandbox-assumed)
LOG_PAGE = 100
INDEX = "customer_id"  # each log's index by customer (collections.py)

# (customer, every entry logged for it, fewer than a page) -> the entries older than them
Earlier = Callable[[Doc, list[Doc]], list[Doc]]
# (entry, customer, whether it is the newest) -> the entry as the read shows it
Render = Callable[[Doc, Doc, bool], dict[str, Any]]


def read(ctx: Context, log: str, earlier: Earlier, render: Render) -> Reply:
    """The answer to a log read: `{"data": [...], "warnings": [], "errors": []}`, the page
    of the collection `log` for the customer `userId` names."""
    customer = customers.by_user_id(ctx.data, ctx.path_params["userId"])
    entries = newest(ctx.data[log], customer, earlier)
    last = len(entries) - 1
    data = [render(entry, customer, index == last) for index, entry in enumerate(entries)]
    return Reply({"data": data, "warnings": [], "errors": []})


def newest(log: Collection, customer: Doc, earlier: Earlier) -> list[Doc]:
    """The customer's newest LOG_PAGE entries, oldest first, with what `earlier` adds before
    the logged ones when they are fewer than a page: O(page)."""
    key = str(customer["id"])
    if log.count_by(INDEX, key) >= LOG_PAGE:  # what came before is older than the page
        page = list(islice(log.newest_by(INDEX, key), LOG_PAGE))
        page.reverse()
        return page
    logged = log.all_by(INDEX, key)  # (fewer than a page)
    return (earlier(customer, logged) + logged)[-LOG_PAGE:]
