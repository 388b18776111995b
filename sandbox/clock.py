"""The per-tenant sandbox clock: real time unless a test froze, set or advanced it.

This module is the only place that reads wall time; everything else asks a tenant's clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


def wall_now() -> datetime:
    return datetime.now(UTC)


# Wall seconds since the epoch, for ordering the records of several processes (the request
# logs of the processes sharing a database)
wall_seconds = time.time

# Monotonic seconds, for measuring durations (never for timestamps): the C function itself
# (read twice on every request, no call of ours around it)
monotonic = time.monotonic


# the second `iso` formatted last, and its text: messages stamped within one second (most
# of them, under load) share it. One tuple, replaced whole: threads read it safely.
_last_second: tuple[tuple[int, ...], str] = ((), "")


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z: 2026-11-23T10:00:00.000Z."""
    global _last_second  # noqa: PLW0603 - a cache of one entry
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    # (every message is stamped: isoformat(timespec=) and replace(tzinfo=) cost ~3x this)
    second = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
    last = _last_second
    if last[0] != second:
        last = _last_second = (second, utc.isoformat()[:19])
    return f"{last[1]}.{utc.microsecond // 1000:03d}Z"


# A tenant's clock stays within these bounds, so that adding days, minutes or a token's
# lifetime to "now" can never leave the calendar.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 12, 31, 23, 59, 59, tzinfo=UTC)


_MILLISECOND = timedelta(milliseconds=1)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since 1970-01-01T00:00Z (the vendors' numeric timestamps)."""
    return (moment - EARLIEST) // _MILLISECOND


class OutOfRange(ValueError):
    pass


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601; a naive value is taken as UTC. Raises ValueError."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59 is past year 9999 in UTC
        raise OutOfRange(f"{text!r} is outside the calendar") from None


def checked(moment: datetime) -> datetime:
    """`moment` if a tenant clock may show it, else OutOfRange."""
    if not EARLIEST <= moment <= LATEST:
        raise OutOfRange(f"the clock must stay between {iso(EARLIEST)} and {iso(LATEST)}")
    return moment


def valid_time(value: Any, field: str) -> str:
    """`value` if it is an ISO 8601 time a tenant clock can show, else a 400 naming `field`
    (for timestamps a tenant document carries)."""
    from sandbox.errors import InvalidInput

    try:
        checked(parse_iso(str(value)))
    except (ValueError, OutOfRange):
        raise InvalidInput(
            f"{field}: {value!r} is not an ISO 8601 date-time", field=field
        ) from None
    return str(value)


@dataclass(frozen=True, slots=True)
class Clock:
    """A tenant's clock: wall time shifted by an offset, or frozen at an instant."""

    offset_seconds: float = 0.0
    frozen_at: datetime | None = None

    def now(self) -> datetime:
        if self.frozen_at is not None:
            return self.frozen_at
        if not self.offset_seconds:  # the common case: real time (wall_now, read at once)
            return datetime.now(UTC)
        return wall_now() + timedelta(seconds=self.offset_seconds)

    def set(self, now: datetime | None = None, frozen: bool | None = None) -> Clock:
        """Set the time, freeze or unfreeze; time keeps running from wherever it stands."""
        target = checked(now) if now is not None else self.now()
        stay_frozen = self.frozen_at is not None if frozen is None else frozen
        if stay_frozen:
            return Clock(offset_seconds=0.0, frozen_at=target)
        return Clock(offset_seconds=(target - wall_now()).total_seconds())

    def advance(self, seconds: float) -> Clock:
        """Move forward by `seconds`; OutOfRange if that leaves the clock's bounds."""
        try:
            checked(self.now() + timedelta(seconds=seconds))
        except OverflowError:
            raise OutOfRange(f"advancing {seconds} s leaves the calendar") from None
        if self.frozen_at is not None:
            return Clock(frozen_at=self.frozen_at + timedelta(seconds=seconds))
        return Clock(offset_seconds=self.offset_seconds + seconds)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    def describe(self) -> dict[str, Any]:
        return {"now": iso(self.now()), "frozen": self.frozen}

    def to_doc(self) -> dict[str, Any]:
        return {
            "offset_seconds": self.offset_seconds,
            "frozen_at": iso(self.frozen_at) if self.frozen_at else None,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> Clock:
        if not doc:
            return cls()
        frozen = doc.get("frozen_at")
        return cls(
            offset_seconds=float(doc.get("offset_seconds", 0.0)),
            frozen_at=parse_iso(frozen) if frozen else None,
        )
