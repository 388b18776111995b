"""Group commit for the tenants kept in PostgreSQL (docs/architecture.md "Group commit").

A request's unit of writes is applied in memory on the event loop as on the embedded store,
with its undo records; instead of a blocking INSERT, its tenant's backend keeps it as a
`Pending` unit and hands itself to the process's `Committer`, and the request awaits the
newest unit it saw. The committer runs in cycles on the event loop (`_drive`), each ONE call
into a thread of its own with its own connection: every unit waiting, of every tenant, in one
transaction (one WAL flush for the lot), then every catch-up read requested since the last
cycle began, in one statement. Back on the loop, in order, each tenant's units are settled
(stored: its listeners told and its waiting requests answered; refused: every unit of the
tenant still in memory undone, newest first, and its requests run again), then each read is
applied (`apply`, given by whoever asked) and its waiting requests resumed.

So the committer never holds a unit whose base it has not settled: a tenant's units sent in a
cycle are exactly those applied in memory since its last settled one, and a read is applied
after the cycle's writes are settled (a row past what the tenant holds is another process's).
Nothing here knows SQL: `io` (sandbox/store/postgres.py) does the statements.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from sandbox.errors import StorageUnavailable
from sandbox.store import outcome
from sandbox.store.backend import Op

log = logging.getLogger(__name__)

Row = tuple[Any, ...]  # a catch-up row: (snapshot seq | None, unit seq | None, unit | None)
# (storage, the unit its first unit follows, each unit as stored), and (storage, seq read from)
Write = tuple[str, int, list[bytes]]
Read = tuple[str, int]
# what `io` gives back: the storages whose units were stored, and each read's rows ([]: the
# storage is no longer there), or what stopped the reads (the units stored before stay so)
Results = tuple[set[str], dict[str, list[Row]] | StorageUnavailable]
# seconds a thread holds the GIL while another waits for it: the committer's thread, back from
# the database, waits for the event loop's (busy with handlers) to let go; at Python's default
# (5 ms) each cycle waited about that long: measured 2,534 sends/s at 5 ms, 4,380 at 0.5 ms
# and 4,556 at 0.1 ms (in-process, 32 concurrent sends, docs/architecture.md "Group commit")
SWITCH_INTERVAL = 0.0005


class Pending:
    """A unit of writes applied in memory, not yet known to be stored."""

    __slots__ = ("data", "future", "ops", "undo", "unit")

    def __init__(self, data: Any, ops: list[Op], undo: list[tuple[Any, Op, Any]], unit: bytes):
        self.data = data  # the tenant's state (sandbox/store/tenant.py's TenantData)
        self.ops = ops
        self.undo = undo  # what undoes each operation, oldest first
        self.unit = unit  # as stored
        # made when a request waits for it (a unit nobody waits for makes no future)
        self.future: asyncio.Future[None] | None = None


class Batching(Protocol):
    """What the committer asks of a tenant's backend (sandbox/store/pg_rows.py's TenantRows)."""

    storage: str
    seq: int  # the last unit stored and reflected in memory
    inflight: list[Pending]  # units applied in memory since, oldest first

    def stored(self, count: int) -> None:
        """The first `count` units of `inflight` are stored."""

    def abandon(self, reason: StorageUnavailable) -> None:
        """Every unit of `inflight` undone, newest first; whoever waits for one gets `reason`."""


class _Asked:
    """A catch-up read requested: how to apply its rows, and who waits for the outcome."""

    __slots__ = ("apply", "futures")

    def __init__(self, apply: Callable[[list[Row]], Any]) -> None:
        self.apply = apply
        self.futures: list[asyncio.Future[Any]] = []


class Committer:
    """The process's group commit: units and catch-up reads of every tenant, in cycles."""

    def __init__(self, io: Callable[[list[Write], list[Read]], Results], close: Callable[[], None]):
        self._io = io
        self._close = close
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-commit")
        self._waiting: dict[Batching, None] = {}  # backends with units not yet sent
        self._reads: dict[Batching, _Asked] = {}  # reads for the next cycle
        self._driver: asyncio.Task[None] | None = None
        self.cycles = 0  # (a diagnostic: the bench divides requests by it)
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))

    @staticmethod
    def ready() -> bool:
        """Whether units can be deferred now: an event loop runs in this thread."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def wake(self, backend: Batching) -> None:
        """`backend` has units to send (the next cycle takes them)."""
        self._waiting[backend] = None
        self._start()

    def read(self, backend: Batching, apply: Callable[[list[Row]], Any]) -> asyncio.Future[Any]:
        """A catch-up read of `backend`'s storage, SENT after this call (in the next cycle; the
        requests asking before it starts share it): `apply(rows)` runs on the loop after that
        cycle's writes are settled, and the future gives what it returned or raised."""
        asked = self._reads.get(backend)
        if asked is None:
            asked = self._reads[backend] = _Asked(apply)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        asked.futures.append(future)
        self._start()
        return future

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self._close()

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        driver = self._driver
        if driver is None or driver.done() or driver.get_loop() is not loop:
            self._driver = loop.create_task(self._drive())

    async def _drive(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting or self._reads:
            sent = [(backend, list(backend.inflight)) for backend in self._waiting]
            sent = [(backend, units) for backend, units in sent if units]
            self._waiting.clear()
            reads, self._reads = self._reads, {}
            writes = [
                (backend.storage, backend.seq, [unit.unit for unit in units])
                for backend, units in sent
            ]
            asked = [(backend.storage, backend.seq) for backend in reads]
            self.cycles += 1
            failure: StorageUnavailable | None = None
            try:
                stored, rows = await loop.run_in_executor(self._thread, self._io, writes, asked)
            except Exception as exc:  # (StorageUnavailable; anything else is a bug, told)
                failure = rows = _unavailable(exc)
                stored = outcome.stored(failure)  # (an outcome known in part: store/outcome.py)
            for backend, units in sent:
                try:
                    if backend.storage in stored:
                        backend.stored(len(units))
                    else:
                        backend.abandon(outcome.refusal(failure, backend.storage))
                except Exception as exc:  # (a bug, told: the cycle's other requests answered)
                    log.error("the committer failed settling %s", backend.storage, exc_info=exc)
                    unsettled = StorageUnavailable(
                        f"the database's committer failed once this request's write was sent "
                        f"({exc!r}), so it may have been stored: read the tenant (its outbox) "
                        "before sending the request again"
                    )
                    for unit in units:
                        if unit.future is not None:
                            _fail(unit.future, unsettled)
            for backend, read in reads.items():
                try:
                    if isinstance(rows, StorageUnavailable):
                        raise rows
                    result = read.apply(rows.get(backend.storage, []))
                except Exception as exc:  # (Damaged, StorageUnavailable: the requests answer)
                    for future in read.futures:
                        _fail(future, exc)
                else:
                    for future in read.futures:
                        if not future.done():
                            future.set_result(result)


def _unavailable(exc: Exception) -> StorageUnavailable:
    if isinstance(exc, StorageUnavailable):
        return exc
    log.error("the committer failed", exc_info=exc)
    return StorageUnavailable(f"the database's committer failed ({exc!r}); nothing was changed")


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
