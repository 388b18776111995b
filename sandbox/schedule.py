"""Messages a vendor call asks to send later (a Symplify trigger's `deliveryTime`): kept in
the tenant's `scheduled` collection until they are due on its clock, then decided and recorded
as if sent at that moment, by the vendor's `deliver_due`.

Due items are recorded when anything looks: every vendor and control-plane call of the tenant
and its web pages first record what is due (an O(1) look when nothing is: the collection knows
its earliest `due`), and the app records them every `TICK` seconds for open event streams and
webhooks. A frozen clock keeps them waiting until it is set or advanced past their time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sandbox.clock import iso, parse_iso
from sandbox.errors import StorageUnavailable
from sandbox.store import Doc, TenantData, Tx, schema

if TYPE_CHECKING:
    from sandbox.store import Store

log = logging.getLogger(__name__)

SCHEDULED = schema.SCHEDULED.name
TICK = 0.5  # seconds between the app's looks for due items

# a vendor's delivery of one due item: its message(s), staged in `tx`, as sent at `due`
DueHandler = Callable[[TenantData, Tx, Doc, datetime], None]


def add(tx: Tx, vendor: str, due: datetime, work: Doc) -> Doc:
    """Keep `work` for `vendor`'s `deliver_due` until `due` on the tenant's clock."""
    item = {"id": str(tx.next_id(SCHEDULED)), "due": iso(due), "vendor": vendor, "work": work}
    tx.put(SCHEDULED, item)
    return item


# a tenant whose due items all belong to vendors this app does not run: (the vendors that
# deliver, how many items it had when that was found, the earliest `due` of an item those
# vendors deliver), so the next looks do not scan the collection again until one changes
_waiting: WeakKeyDictionary[TenantData, tuple[frozenset[str], int, str | None]] = (
    WeakKeyDictionary()
)


def run_due(store: Store, data: TenantData) -> int:
    """Record what is due on the tenant's clock; how many items were. A storage failure, or
    a vendor's bug, leaves them waiting for the next look (the call that looked is not refused
    for it)."""
    scheduled = data[SCHEDULED]
    if not len(scheduled) or data.uncommitted():  # (mid-request: they wait for the next look)
        return 0
    now = iso(data.clock.now())
    earliest = scheduled.earliest()
    if earliest is None or earliest > now:
        return 0
    deliver = {v.name: v.deliver_due for v in store.vendors if v.deliver_due is not None}
    vendors = frozenset(deliver)
    waiting = _waiting.get(data)
    # (items are only added or removed, and every delivery forgets this: the same count is
    # the same items)
    if (
        waiting is not None
        and waiting[:2] == (vendors, len(scheduled))
        and (waiting[2] is None or waiting[2] > now)
    ):
        return 0
    due = sorted(
        (item for item in scheduled.values() if item["due"] <= now and item["vendor"] in deliver),
        key=lambda item: (item["due"], int(item["id"])),
    )
    if not due:  # only items of vendors this app does not run: they wait for one that does
        ours = (item["due"] for item in scheduled.values() if item["vendor"] in deliver)
        _waiting[data] = (vendors, len(scheduled), min(ours, default=None))
        return 0
    _waiting.pop(data, None)
    delivered = 0
    for item in due:  # one commit each: an item a vendor's bug stops does not stop the others
        tx = data.begin()
        try:
            deliver[item["vendor"]](data, tx, item, parse_iso(item["due"]))
            tx.delete(SCHEDULED, item["id"])
            tx.commit(alone=True)  # delivered whatever becomes of the call that looked
        except StorageUnavailable:
            log.warning("tenant %s: due messages wait: storage unavailable", data.name)
            break
        except Exception:  # a vendor's bug: logged, and the call that looked still answers
            log.exception("tenant %s: due message %s failed; it waits", data.name, item["id"])
            continue
        delivered += 1
    return delivered


def run_all_due(store: Store) -> None:
    """The app's regular look, over the tenants that have scheduled items."""
    for data in list(store.tenants.values()):
        try:  # (run_due returns at once for a tenant with nothing scheduled)
            run_due(store, data)
        except Exception:  # one tenant's bug must not stop the others' deliveries
            log.exception("tenant %s: due messages failed", data.name)
