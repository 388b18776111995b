"""The outbox filters the plugin's `Tenant.outbox` and assertions take as keyword arguments:
exactly the control plane's (sandbox/outbox_filters.py), checked before any request. An
unknown keyword is a TypeError naming it and the nearest known one, so that a typo such as
`vendr=` fails the test instead of filtering nothing.

The sender is `from_=` (a keyword Python allows) or `**{"from": ...}`; times (`since`,
`until`) are ISO 8601 text or a `datetime` (a naive one is UTC), on the tenant's clock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, TypedDict

from sandbox import spelling
from sandbox.outbox_filters import FILTERS, PAGING

# "from" is a Python keyword: `from_=` stands for it
SENDER, SENDER_KEYWORD = "from", "from_"

_Sender = TypedDict("_Sender", {"from": str}, total=False)


class Filters(_Sender, total=False):
    """The filters other than `to` and `reason`, which the assertions name first."""

    from_: str
    vendor: str
    channel: str
    customer_id: str | int
    contact: str | int
    status: str
    operation: str
    category: str
    since: str | datetime
    until: str | datetime
    q: str


class ReasonFilters(Filters, total=False):
    reason: str


class PageFilters(ReasonFilters, total=False):
    """Every filter, and the page: what `Tenant.outbox` takes."""

    to: str
    limit: int
    offset: int


KEYWORDS = (*FILTERS, SENDER_KEYWORD)
PAGE_KEYWORDS = (*KEYWORDS, *PAGING)


def query(call: str, given: Mapping[str, Any], known: Collection[str]) -> dict[str, Any]:
    """The query parameters for `given` keyword arguments (None: not given) of `call`:
    `from_` becomes `from`, a datetime ISO 8601. TypeError for a keyword not in `known` or
    the sender given both ways."""
    __tracebackhide__ = True  # pytest shows the test's line that gave them, not this one
    params: dict[str, Any] = {}
    for name, value in given.items():
        if name not in known:
            raise TypeError(f"{call}() got an {spelling.unknown('filter', name, known)}")
        if value is None:
            continue
        key = SENDER if name == SENDER_KEYWORD else name
        if key in params:
            raise TypeError(f"{call}() got the sender twice: give from_= or from, not both")
        params[key] = value.isoformat() if isinstance(value, datetime) else value
    return params
