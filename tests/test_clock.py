"""The per-tenant clock: real time unless frozen, set or advanced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.clock import Clock, iso, parse_iso, wall_now

INSTANT = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def test_default_clock_follows_wall_time() -> None:
    assert abs((Clock().now() - wall_now()).total_seconds()) < 1


def test_frozen_clock_stands_still_and_advances_exactly() -> None:
    clock = Clock().set(INSTANT, frozen=True)
    assert clock.now() == INSTANT and clock.frozen
    assert clock.advance(86_400).now() == INSTANT + timedelta(days=1)


def test_set_without_freezing_keeps_running_from_the_new_time() -> None:
    clock = Clock().set(INSTANT)
    assert not clock.frozen
    assert abs((clock.now() - INSTANT).total_seconds()) < 1


def test_unfreezing_continues_from_the_frozen_instant() -> None:
    clock = Clock().set(INSTANT, frozen=True).set(frozen=False)
    assert not clock.frozen
    assert abs((clock.now() - INSTANT).total_seconds()) < 1


def test_round_trip_through_a_stored_document() -> None:
    clock = Clock().set(INSTANT, frozen=True)
    assert Clock.from_doc(clock.to_doc()) == clock
    assert Clock.from_doc(None) == Clock()


def test_iso_is_utc_with_milliseconds() -> None:
    assert iso(INSTANT) == "2026-02-01T12:00:00.000Z"
    assert parse_iso("2026-02-01T13:00:00+01:00") == INSTANT
    assert parse_iso("2026-02-01T12:00:00") == INSTANT  # naive is UTC
    with pytest.raises(ValueError):
        parse_iso("tomorrow")


@given(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9000, 12, 31, 23, 59, 59)),
    st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]),
)
def test_iso_is_the_instant_in_utc_to_the_millisecond(naive: datetime, zone: tzinfo) -> None:
    """`iso` (every message's `created_at`) cuts isoformat() short for speed: what it gives
    is exactly the milliseconds form of the same instant in UTC, whatever the zone and the
    microseconds (none at all included, where isoformat() writes no fraction)."""
    moment = naive.replace(tzinfo=zone)
    utc = moment.astimezone(UTC)
    expected = utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    assert iso(moment) == expected
    assert iso(moment.replace(microsecond=0)) == expected[:19] + ".000Z"
