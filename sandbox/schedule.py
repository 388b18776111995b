"""Messages a vendor call asks to send later (a Symplify trigger's `deliveryTime`): kept in
the tenant's `scheduled` collection until they are due on its clock, then decided and recorded
as if sent at that moment, by the vendor's `deliver_due`.

Due items are recorded when anything looks: every vendor and control-plane call of the tenant
and its web pages first record what is due (an O(1) look when nothing is: the collection knows
its earliest `due`), and the app records them every `TICK` seconds for open event streams and
webhooks. A frozen clock keeps them waiting until it is set or advanced past their time.

A look records at most a few milliseconds' worth (`pacing.STEP_SECONDS`), earliest due first
(then in the order they were asked for); when more are due, the app's ticker goes on at once
with the rest, a batch at a time, serving other requests between the batches.

An item whose delivery fails (data the vendor cannot use, a vendor's bug) is set aside: it
stays in `scheduled` with `failed: {"at", "error"}` (the snapshot shows it), the failure is
logged once and is an entry of the tenant's request log (operationId `deliverScheduled`,
status 500, its error), and it is never tried again. The others go on being delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sandbox.clock import iso, monotonic, parse_iso
from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable
from sandbox.outbox import Recorder
from sandbox.pacing import STEP_SECONDS
from sandbox.request_log import Entry, RequestLogs
from sandbox.store import Collection, TenantData, Tx, base_collections
from sandbox.store.backend import Behind

if TYPE_CHECKING:
    from sandbox.store import Store

log = logging.getLogger(__name__)

SCHEDULED = base_collections.SCHEDULED.name
TICK = 0.5  # seconds between the app's looks for due items, when none are left waiting
CHUNK = 64  # due items taken from the collection's order at a time
OPERATION = "deliverScheduled"  # a set-aside item's request log entry
MAX_ERROR = 1000  # characters of a failure kept with the item

# a vendor's delivery of one due item: its message(s), staged in `tx` through the outbox's
# entrance, whose `now` is the item's due time
DueHandler = Callable[[TenantData, Tx, Doc, Recorder], None]


def add(tx: Tx, vendor: str, due: datetime, work: Doc) -> Doc:
    """Keep `work` for `vendor`'s `deliver_due` until `due` on the tenant's clock."""
    item = {"id": str(tx.next_id(SCHEDULED)), "due": iso(due), "vendor": vendor, "work": work}
    tx.put(SCHEDULED, item)
    return item


# a tenant whose due items all belong to vendors this app does not run: (the vendors that
# deliver, how many items it had when that was found, the `due` of its first item not due
# then), so the next looks do not walk the collection again until one changes
_waiting: WeakKeyDictionary[TenantData, tuple[frozenset[str], int, str | None]] = (
    WeakKeyDictionary()
)


def run_due(due: Mapping[str, DueHandler], data: TenantData, logs: RequestLogs) -> int:
    """Record what is due on the tenant's clock, a bounded batch, by `due` (vendor -> its
    `deliver_due`: the app's `Catalog.due`); how many items were recorded. A storage failure
    leaves them waiting for the next look (the call that looked is not refused for it); a
    failed delivery is set aside (an entry of the tenant's log in `logs`)."""
    if not len(data.collections[SCHEDULED]):  # (every call looks: most find nothing)
        return 0
    return _run(due, data, logs)[0]


def _run(
    deliver: Mapping[str, DueHandler], data: TenantData, logs: RequestLogs
) -> tuple[int, bool]:
    """(items recorded, whether more were due than this batch took)."""
    scheduled = data[SCHEDULED]
    if not len(scheduled) or data.uncommitted():  # (mid-request: they wait for the next look)
        return 0, False
    now = iso(data.clock.now())
    earliest = scheduled.earliest()
    if earliest is None or earliest[0] > now:
        return 0, False
    vendors = frozenset(deliver)
    waiting = _waiting.get(data)
    # (items are only added or removed, and every delivery forgets this: the same count is
    # the same items)
    if (
        waiting is not None
        and waiting[:2] == (vendors, len(scheduled))
        and (waiting[2] is None or waiting[2] > now)
    ):
        return 0, False
    deadline = monotonic() + STEP_SECONDS
    delivered = 0
    while True:
        due, beyond = _due(scheduled, deliver, now)
        if not due:  # (only items of vendors this app does not run: they wait for one)
            if not delivered:
                _waiting[data] = (vendors, len(scheduled), beyond)
            return delivered, False
        _waiting.pop(data, None)
        for item in due:  # one commit each: an item that fails does not stop the others
            outcome = _deliver(data, deliver[item["vendor"]], item, now, logs)
            if outcome is None:
                return delivered, False
            delivered += outcome
            if monotonic() >= deadline:
                earliest = scheduled.earliest()
                return delivered, earliest is not None and earliest[0] <= now


def _due(
    scheduled: Collection, deliver: Mapping[str, DueHandler], now: str
) -> tuple[list[Doc], str | None]:
    """Up to CHUNK items due by `now` that a running vendor delivers, earliest first; and the
    `due` of the first item not yet due (None: there is none)."""
    due: list[Doc] = []
    for item in scheduled.in_order():
        if item["due"] > now:
            return due, item["due"]
        if item["vendor"] in deliver:
            due.append(item)
            if len(due) == CHUNK:
                break
    return due, None


def _deliver(
    data: TenantData, deliver: DueHandler, item: Doc, now: str, logs: RequestLogs
) -> int | None:
    """1 when the item was delivered, 0 when it failed and was set aside, None when the
    storage failed (it waits for the next look)."""
    tx = data.begin()
    try:
        deliver(data, tx, item, Recorder(parse_iso(item["due"])))
        tx.delete(SCHEDULED, item["id"])
        tx.commit(alone=True)  # delivered whatever becomes of the call that looked
    except Behind:  # another process wrote first (it may have delivered it): caught up first
        raise
    except StorageUnavailable:
        log.warning("tenant %s: due messages wait: storage unavailable", data.name)
        return None
    except Exception as exc:  # data the vendor cannot use, or its bug: set aside
        return _set_aside(data, item, exc, now, logs)
    return 1


def _set_aside(
    data: TenantData, item: Doc, exc: Exception, now: str, logs: RequestLogs
) -> int | None:
    """The item marked failed (never tried again), logged once, in the request log."""
    error = f"{type(exc).__name__}: {exc}"
    error = error if len(error) <= MAX_ERROR else f"{error[:MAX_ERROR]}..."
    tx = data.begin()
    tx.put(SCHEDULED, {**item, "failed": {"at": now, "error": error}})
    try:
        tx.commit(alone=True)
    except Behind:
        raise
    except StorageUnavailable:  # not set aside: tried again (and logged again) later
        log.warning("tenant %s: due messages wait: storage unavailable", data.name)
        return None
    log.error(
        "tenant %s: scheduled item %s (%s, due %s) failed and is set aside, not retried",
        data.name,
        item["id"],
        item.get("vendor"),
        item.get("due"),
        exc_info=exc,
    )
    entry = Entry(
        "DELIVER",
        f"scheduled/{item['id']}",
        b"",
        500,
        OPERATION,
        str(item.get("vendor")),
        parse_iso(now),
        0.0,
        [],
        error,
    )
    logs.append(data, entry)
    return 0


def run_all_due(store: Store, due: Mapping[str, DueHandler], logs: RequestLogs) -> bool:
    """The app's regular look, a batch per tenant that has scheduled items; whether any
    tenant has more due than its batch took (the ticker then looks again at once). Where
    several processes share the tenants, whichever records a due item first does; the other's
    commit finds it wrote first (Behind): it catches up, and finds the item recorded."""
    more = False
    for data in list(store.tenants.values()):
        try:  # (_run returns at once for a tenant with nothing scheduled)
            more = _run(due, data, logs)[1] or more
        except Behind:
            more = True  # looked at again at once, caught up
            try:
                store.catch_up(data)
            except StorageUnavailable as exc:
                log.warning("tenant %s: due messages wait: %s", data.name, exc.message)
        except Exception:  # one tenant's bug must not stop the others' deliveries
            log.exception("tenant %s: due messages failed", data.name)
    return more
