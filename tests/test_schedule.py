"""The schedule's looks (sandbox/schedule.py): items no running vendor delivers are not
scanned again at every look, and a vendor's bug while delivering fails no call."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from sandbox import schedule
from sandbox.clock import parse_iso
from sandbox.store import Doc, TenantData, Tx
from sandbox.testing import Sandbox, Tenant


@dataclass
class FakeVendor:
    name: str
    delivered: list[str] = field(default_factory=list)
    broken: bool = False

    def deliver_due(self, data: TenantData, tx: Tx, item: Doc, due: datetime) -> None:
        if self.broken:
            raise RuntimeError("a bug in deliver_due")
        self.delivered.append(item["id"])


@dataclass
class FakeStore:
    vendors: list[FakeVendor]


@pytest.fixture
def tenant(sandbox: Sandbox) -> Iterator[Tenant]:
    made = sandbox.create_tenant({})
    made.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
    yield made
    made.delete()


@pytest.fixture
def data(sandbox: Sandbox, tenant: Tenant) -> TenantData:
    found: TenantData | None = sandbox.caller.app.store.get(tenant.name)  # type: ignore[union-attr]
    assert found is not None
    return found


def scheduled(data: TenantData, vendor: str, due: str) -> None:
    tx = data.begin()
    schedule.add(tx, vendor, parse_iso(due), {})
    tx.commit()


def counting_scans(data: TenantData, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    scans: list[int] = []
    collection = data[schedule.SCHEDULED]
    values = collection.values

    def counted() -> Any:
        scans.append(1)
        return values()

    monkeypatch.setattr(collection, "values", counted)
    return scans


def test_items_no_running_vendor_delivers_are_scanned_once_not_at_every_look(
    tenant: Tenant, data: TenantData, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = FakeVendor("ours")
    store: Any = FakeStore([ours])
    scheduled(data, "gone", "2020-01-01T00:00:00Z")  # a vendor this app does not run
    scans = counting_scans(data, monkeypatch)
    for _ in range(5):
        assert schedule.run_due(store, data) == 0
    assert len(scans) == 2  # one look found nothing deliverable (and the earliest of ours)
    scheduled(data, "ours", "2020-01-15T10:00:00Z")  # ours, due later: still nothing to do
    assert schedule.run_due(store, data) == 0
    assert schedule.run_due(store, data) == 0
    assert len(scans) == 4
    tenant.set_clock(now="2020-01-15T11:00:00Z")  # the clock moves: ours is due
    assert schedule.run_due(store, data) == 1 and ours.delivered
    assert len(data[schedule.SCHEDULED]) == 1  # the other vendor's item waits for it


def test_a_bug_in_a_vendors_delivery_fails_no_call_and_stops_no_other_item(
    data: TenantData, caplog: pytest.LogCaptureFixture
) -> None:
    broken, working = FakeVendor("broken", broken=True), FakeVendor("working")
    store: Any = FakeStore([broken, working])
    scheduled(data, "broken", "2020-01-01T00:00:00Z")
    scheduled(data, "working", "2020-01-02T00:00:00Z")
    with caplog.at_level(logging.ERROR):
        assert schedule.run_due(store, data) == 1
    assert "failed; it waits" in caplog.text
    assert working.delivered and len(data[schedule.SCHEDULED]) == 1
    broken.broken = False
    assert schedule.run_due(store, data) == 1 and len(data[schedule.SCHEDULED]) == 0
