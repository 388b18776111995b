"""Rate limits and injected faults (docs/contract.md section 7): whether a vendor call is stopped
before it does anything, decided once the call's tenant is known.

Rate limits: `settings.rate_limits[vendor]` requests per minute. A tenant holds one credential
per vendor (tokens from its login or OAuth are that credential), so the count is per tenant
and vendor. Windows are fixed, 60 s on the tenant's clock, each starting with the first
request after the previous one ended; past the limit the call answers 429 with `Retry-After`,
the whole seconds until the window ends. Windows live in memory (`RateWindows`, one per app,
held for as long as the tenant's state is: a reset, replace, snapshot load or delete starts
them afresh, and a restart forgets them). A tenant kept in PostgreSQL has its windows in the
database, shared by every process (sandbox/store/shared.py): exact across processes, one
statement per call while the window has room; once it is full, each process refuses the rest
of the window from memory. There a call up to RATE_GRACE before the window's start (another
process read the clock a moment later) still counts in it.

Faults: one per operationId. It applies to the next `times` calls of that operation (every
call when `times` is null); each of them is stopped with probability `probability`, drawn
from (`seed`, the call's number), so a seeded run repeats exactly. A stopped call waits
`latency_ms`, then answers `status` in the vendor's envelope, or drops the connection when
`status` is 0. The fault's counters are stored (a restart does not re-arm it); a spent fault
stays listed, with `remaining` 0, until cleared.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from weakref import WeakKeyDictionary

from sandbox.doc import Doc
from sandbox.errors import ApiError, TooManyRequests
from sandbox.store import TenantData
from sandbox.store.shared import count_request, rows_of

RATE_WINDOW = timedelta(minutes=1)
RATE_GRACE = timedelta(seconds=1)  # (windows shared by several processes)


@dataclass(frozen=True, slots=True)
class Stop:
    """A call stopped before its handler: wait `delay` seconds, then answer `error` in the
    vendor's envelope, or drop the connection when `error` is None."""

    error: ApiError | None
    delay: float = 0.0

    def enforce(self) -> None:
        """Raise what the call answers instead of going ahead."""
        raise self.error if self.error is not None else Dropped


class Dropped(Exception):
    """The call is answered by closing its connection."""


class RateWindows:
    """Each tenant's current rate-limit windows: vendor -> (start, requests counted), held for
    as long as the tenant's state is (weakly keyed by it)."""

    __slots__ = ("_windows",)

    def __init__(self) -> None:
        self._windows: WeakKeyDictionary[TenantData, dict[str, tuple[datetime, int]]] = (
            WeakKeyDictionary()
        )

    def of(self, tenant: TenantData) -> dict[str, tuple[datetime, int]]:
        windows = self._windows.get(tenant)
        if windows is None:
            windows = self._windows[tenant] = {}
        return windows


def unchecked(tenant: TenantData, vendor: str, operation_id: str) -> bool:
    """Whether `check` lets the call go ahead counting nothing: the tenant has no rate limit
    for `vendor` and no fault left for the operation (O(1))."""
    collections = tenant.collections
    settings = collections["meta"].get("settings")
    if settings is not None and settings["rate_limits"].get(vendor) is not None:
        return False
    fault = collections["faults"].get(operation_id)
    return fault is None or fault["remaining"] == 0


def check(windows: RateWindows, tenant: TenantData, vendor: str, operation_id: str) -> Stop | None:
    """The rate limit first (a gateway refuses before the service is reached), then the
    operation's fault. O(1); None for a call that goes ahead."""
    collections = tenant.collections  # (read on every call: no method in between)
    settings = collections["meta"].get("settings")
    if settings is not None:
        limit = settings["rate_limits"].get(vendor)
        if limit is not None:
            stop = _rate_limited(windows.of(tenant), tenant, vendor, limit)
            if stop is not None:
                return stop
    fault = collections["faults"].get(operation_id)
    if fault is None or fault["remaining"] == 0:
        return None
    return _apply_fault(tenant, fault)


def _rate_limited(
    windows: dict[str, tuple[datetime, int]], tenant: TenantData, vendor: str, limit: int
) -> Stop | None:
    now = tenant.clock.now()
    start, count = windows.get(vendor, (now, 0))
    rows = rows_of(tenant)
    if rows is None:  # counted in this process's memory: (start, requests admitted)
        if not start <= now < start + RATE_WINDOW:  # the window ended, or the clock went back
            start, count = now, 0
        if count < limit:
            windows[vendor] = (start, count + 1)
            return None
    # counted in the database: (start, requests counted) as it last answered; a window it
    # said was full refuses the rest of its calls without asking again
    elif count < limit or not start - RATE_GRACE <= now < start + RATE_WINDOW:
        start, count = count_request(rows, vendor, now, RATE_WINDOW, RATE_GRACE)
        windows[vendor] = (start, count)
        if count <= limit:
            return None
    retry = max(1, math.ceil((start + RATE_WINDOW - now).total_seconds()))
    return Stop(
        TooManyRequests(
            f"Rate limit exceeded: {limit} requests per minute for these {vendor} "
            f"credentials; retry after {retry} s",
            headers={"Retry-After": str(retry)},
        )
    )


def _apply_fault(tenant: TenantData, fault: Doc) -> Stop | None:
    calls = fault["calls"]
    probability = fault["probability"]
    hit = probability >= 1 or draw(fault["seed"], calls) < probability
    remaining = fault["remaining"]
    tx = tenant.begin()
    tx.put(
        "faults",
        {
            **fault,
            "calls": calls + 1,
            "faulted": fault["faulted"] + hit,
            "remaining": None if remaining is None else remaining - 1,
        },
    )
    tx.commit(alone=True)  # the call it stops fails: its counters stay counted
    if not hit:
        return None
    status = fault["status"]
    delay = fault["latency_ms"] / 1000
    if status == 0:
        return Stop(None, delay)
    return Stop(ApiError(_message(status, fault["operationId"]), status=status), delay)


def draw(seed: int, call: int) -> float:
    """A number in [0, 1) fixed by the seed and the call's number (0 for the first call the
    fault saw): the same on every run, platform and restart."""
    return random.Random(f"{seed}:{call}").random()


def _message(status: int, operation_id: str) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = f"HTTP {status}"
    return f"{phrase} (fault injected into {operation_id} by the sandbox's control plane)"
