"""Work too large for one step of the event loop, done a few milliseconds at a time: a list
send's messages, an import's contacts (as Steps, sandbox/http.py) and the schedule's due
items (a bounded batch per look). Other requests are served between the parts, so no tenant
waits long for another's large request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from sandbox.clock import monotonic
from sandbox.errors import Conflict, StorageUnavailable

# a part's work: as many items as took STEP_SECONDS last time, between MIN_STEP and STEP
STEP_SECONDS = 0.004
FIRST_STEP = 100
MIN_STEP = 10
STEP = 1000


def in_steps(total: int, step: Callable[[slice], None]) -> Iterator[None]:
    """`step` over 0..total a part at a time, yielding to the event loop after each: a part is
    as many items as the last one did in STEP_SECONDS (from FIRST_STEP, at most STEP), so no
    step keeps other requests waiting long whatever this machine's speed."""
    start, size = 0, FIRST_STEP
    while start < total:
        end = min(total, start + size)
        began = monotonic()
        step(slice(start, end))
        took = monotonic() - began
        pace = int((end - start) * STEP_SECONDS / took) if took > 0 else STEP
        size = max(MIN_STEP, min(STEP, pace))
        start = end
        yield


# what this module needs of the store, which it does not import: it stays a leaf (the store
# and the schedule, which paces its batches here, are in one import cycle already)
class _Tenant(Protocol):
    name: str


class _Tenants(Protocol):
    def get(self, name: str) -> object: ...


class _Commit(Protocol):
    def commit(self) -> None: ...


def still_current(store: _Tenants, data: _Tenant, field: str, doing: str) -> None:
    """Between steps the tenant may have been reset or deleted: the work stops there (409),
    `doing` saying what had been done."""
    if store.get(data.name) is not data:
        raise Conflict(
            f"{field}: the tenant was reset or deleted while {doing}; it stopped there",
            field=field,
        )


def commit(tx: _Commit, done: str) -> None:
    """One step's commit; a storage failure (503) says how far the work got: `done`."""
    try:
        tx.commit()
    except StorageUnavailable as failed:
        raise StorageUnavailable(f"{failed.message}; {done}") from None
