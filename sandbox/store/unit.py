"""A request's writes as one unit: applied in memory as they are made (so the rest of the
request reads them), made durable together at its end, or undone together.

While a `Unit` is open, every `Tx.commit()` stages its operations in it instead of making
them durable: the tenant applies them at once and keeps what undoes each one
(TenantData.commit). `Unit.commit()` then hands each tenant's operations to its backend as ONE
append (one journal line) and tells the listeners of the messages recorded; any failure before
or during it (an exception, an answer that cannot be encoded, a disk that refuses the line)
undoes every operation, newest first, so every tenant is exactly as it was
(docs/architecture.md, "The store's durability rules").

A unit never stays open across an `await`: it is opened and committed (or undone) within one
synchronous step of the event loop, so no other request's writes can join it. There is one
open unit for the process, not one per thread: the store is written on the event loop's
thread only (an offloaded operation's worker touches no tenant), and a thread-local would
cost every commit twice as much to read.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

from sandbox.store.backend import Backend, Op


class TenantData(Protocol):
    """What a unit asks of a tenant (sandbox/store/tenant.py's TenantData)."""

    backend: Backend

    def commit(self, ops: list[Op], alone: bool = False) -> None: ...

    def committed(self, ops: list[Op], due: bool = False) -> None: ...

    def undo(self, op: Op, record: Any) -> None: ...


class _Open:
    __slots__ = ("unit",)

    def __init__(self) -> None:
        self.unit: Unit | None = None


OPEN = _Open()  # OPEN.unit: the unit open now, if any


class Unit:
    """A request's writes: open from `open_unit()` until `commit()`, which makes them durable,
    or `close()` (the end of a `with open_unit() as unit:` block), which undoes any not
    committed (an exception, a return before the commit). The process has one, emptied by
    each commit or undo (no new objects for every request)."""

    __slots__ = ("due", "lines", "undo")

    def __init__(self) -> None:
        # each tenant's operations in order, and what undoes each (oldest first), both kept
        # by the tenant as it applies them (TenantData.commit)
        self.lines: dict[TenantData, list[Op]] = {}
        self.undo: list[tuple[TenantData, Op, Any]] = []
        self.due: list[TenantData] = []  # the tenants whose backend asked for a compaction

    def close(self) -> None:
        OPEN.unit = None
        # not committed: undone, and its lines dropped even when nothing was applied (a
        # write that failed as the first of the unit left a line and no undo: the next
        # request's commit would journal it, and the tenant would not load again)
        self.rollback()

    def __enter__(self) -> Unit:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def holds(self, data: TenantData) -> bool:
        """Whether writes of `data` wait in this unit."""
        return data in self.lines

    def commit(self) -> None:
        """Append each tenant's operations to its backend as one unit, then tell the
        listeners; the unit is closed. A backend that refuses raises StorageUnavailable with
        everything undone (the units already appended for other tenants taken back out)."""
        OPEN.unit = None
        lines = self.lines
        if not lines:
            return
        due = self.due
        try:
            for data, ops in lines.items():
                backend = data.backend
                if backend.defers and len(lines) == 1:  # (a database's group commit)
                    backend.defer(data, ops, self.undo)
                    self.undo.clear()
                    lines.clear()
                    return
                if backend.append(ops):
                    due.append(data)
        except BaseException:
            for written in lines:  # those before the one that refused
                if written is data:
                    break
                written.backend.retract()
            due.clear()
            self.rollback()
            raise
        self.undo.clear()  # (emptied, not replaced: no new objects on every request)
        try:
            for data, ops in lines.items():
                data.committed(ops, data in due)
        finally:
            lines.clear()
            if due:
                due.clear()

    def rollback(self) -> None:
        """Undo every staged operation, newest first."""
        undo = self.undo
        for data, op, record in reversed(undo):
            data.undo(op, record)
        undo.clear()
        self.lines.clear()


_SHARED = Unit()  # the process's unit, opened by every request in turn
_ALONE = Unit()  # the unit of writes committed by themselves (`commit_alone`)


def commit_alone(data: TenantData, ops: list[Op]) -> None:
    """`ops` of `data` committed by themselves (outside a request's unit, or beside it), as
    a unit of their own: applied now with what undoes them, then handed to the backend,
    which defers them (TenantData.commit sends them here only then)."""
    outer, OPEN.unit = OPEN.unit, _ALONE
    try:
        data.commit(ops)
        _ALONE.commit()
    finally:
        _ALONE.rollback()  # (nothing left after a commit; what a failed one applied, undone)
        OPEN.unit = outer


def open_unit() -> Unit:
    """The process's unit, opened: the writes made until its commit or close are its own."""
    if OPEN.unit is not None:
        raise RuntimeError("a unit of writes is already open")
    OPEN.unit = _SHARED
    return _SHARED
