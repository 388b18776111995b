"""A request's writes as one unit: applied in memory as they are made (so the rest of the
request reads them), made durable together at its end, or undone together.

While a `Unit` is open on a thread, every `Tx.commit()` there stages its operations in it
instead of journaling them: the tenant applies them at once and keeps what undoes each one.
`Unit.commit()` then writes each tenant's operations as ONE journal line and tells the
listeners of the messages recorded; any failure before or during it (an exception, an answer
that cannot be encoded, a disk that refuses the line) undoes every operation, newest first,
so every tenant is exactly as it was (docs/architecture.md, "The store's durability rules").

A unit never stays open across an `await`: it is opened and committed (or undone) within one
synchronous step of the event loop, so no other request's writes can join it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import TracebackType

    from sandbox.store.tenant import Op, TenantData


class _Open(threading.local):
    unit: Unit | None = None


_open = _Open()


def current() -> Unit | None:
    """The unit open on this thread, if any."""
    return _open.unit


class Unit:
    """Opened by `with Unit() as unit:`; `unit.commit()` makes its writes durable. Leaving
    the block by an exception, or without committing, undoes them."""

    __slots__ = ("lines", "undo")

    def __init__(self) -> None:
        self.lines: dict[TenantData, list[Op]] = {}  # each tenant's operations, in order
        self.undo: list[tuple[TenantData, Op, Any]] = []  # what undoes each, oldest first

    def __enter__(self) -> Unit:
        if _open.unit is not None:
            raise RuntimeError("a unit of writes is already open on this thread")
        _open.unit = self
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _open.unit = None
        if self.undo:  # not committed: an exception, or a return before the commit
            self.rollback()

    def holds(self, data: TenantData) -> bool:
        """Whether writes of `data` wait in this unit."""
        return data in self.lines

    def add(self, data: TenantData, ops: list[Op]) -> None:
        """`ops` of `data`, applied (each with its undo, `staged`), to be journaled."""
        line = self.lines.get(data)
        if line is None:
            self.lines[data] = list(ops)
        else:
            line.extend(ops)

    def staged(self, data: TenantData, op: Op, undo: Any) -> None:
        """`op` was applied to `data`; `undo` puts back what it changed."""
        self.undo.append((data, op, undo))

    def commit(self) -> None:
        """Journal each tenant's operations as one line, then tell the listeners. A journal
        that refuses its line raises StorageUnavailable with everything undone (the lines
        already written for other tenants cut back out)."""
        if not self.undo:
            return
        lines = self.lines
        written: list[TenantData] = []
        try:
            for data, ops in lines.items():
                data.write_line(ops)
                written.append(data)
        except BaseException:
            for data in written:
                data.retract()
            self.rollback()
            raise
        self.undo = []
        self.lines = {}
        _open.unit = None  # the listeners' own writes, if any, are not part of this unit
        for data, ops in lines.items():
            data.committed(ops)

    def rollback(self) -> None:
        """Undo every staged operation, newest first."""
        undo, self.undo, self.lines = self.undo, [], {}
        for data, op, record in reversed(undo):
            data.undo(op, record)
