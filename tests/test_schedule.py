"""The schedule's looks (sandbox/schedule.py): items no running vendor delivers are not
scanned again at every look, and a vendor's bug while delivering fails no call."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from sandbox import schedule
from sandbox.clock import parse_iso
from sandbox.doc import Doc
from sandbox.outbox import Recorder
from sandbox.request_log import RequestLogs
from sandbox.store import TenantData, Tx
from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.vendors import VENDORS, symplify


@dataclass
class FakeVendor:
    name: str
    delivered: list[str] = field(default_factory=list)
    broken: bool = False
    calls: int = 0

    def deliver_due(self, data: TenantData, tx: Tx, item: Doc, outbox: Recorder) -> None:
        self.calls += 1
        if self.broken:
            raise RuntimeError("a bug in deliver_due")
        self.delivered.append(item["id"])


@dataclass
class FakeStore:
    vendors: list[FakeVendor]
    tenants: dict[str, TenantData] = field(default_factory=dict)
    logs: RequestLogs = field(default_factory=RequestLogs)  # (the app's, when a test reads it)

    @property
    def due(self) -> dict[str, schedule.DueHandler]:
        """What the app's `Catalog.due` is: each vendor's delivery."""
        return {vendor.name: vendor.deliver_due for vendor in self.vendors}


# a trigger message due at 08:00 on a clock frozen at 09:00: the first look delivers it
SCHEDULED_TRIGGER = {
    "clock": {"now": "2020-01-15T09:00:00Z", "frozen": True},
    "scheduled": [
        {
            "id": "1",
            "due": "2020-01-15T08:00:00Z",
            "vendor": "symplify",
            "work": {
                "account": "1234",
                "trigger_id": 7,
                "original_id": "111",
                "properties": {},
                "opt_out": False,
            },
        }
    ],
    "symplify": {
        "accounts": [
            {
                "customer_id": "1234",
                "lists": [
                    {"id": 42, "contacts": [{"original_id": "111", "email": "a@example.com"}]}
                ],
                "triggers": [{"id": 7, "name": "Order confirmation", "list_id": 42}],
            }
        ]
    },
}


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
    walk = collection.in_order

    def counted() -> Any:
        scans.append(1)
        return walk()

    monkeypatch.setattr(collection, "in_order", counted)
    return scans


def test_items_no_running_vendor_delivers_are_scanned_once_not_at_every_look(
    tenant: Tenant, data: TenantData, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = FakeVendor("ours")
    store: Any = FakeStore([ours])
    scheduled(data, "gone", "2020-01-01T00:00:00Z")  # a vendor this app does not run
    scans = counting_scans(data, monkeypatch)
    for _ in range(5):
        assert schedule.run_due(store.due, data, store.logs) == 0
    assert len(scans) == 1  # one look found nothing deliverable
    scheduled(data, "ours", "2020-01-15T10:00:00Z")  # ours, due later: still nothing to do
    assert schedule.run_due(store.due, data, store.logs) == 0
    assert schedule.run_due(store.due, data, store.logs) == 0
    assert len(scans) == 2
    tenant.set_clock(now="2020-01-15T11:00:00Z")  # the clock moves: ours is due
    assert schedule.run_due(store.due, data, store.logs) == 1 and ours.delivered
    assert len(data[schedule.SCHEDULED]) == 1  # the other vendor's item waits for it


def test_a_failed_delivery_is_set_aside_logged_once_and_never_tried_again(
    sandbox: Sandbox, tenant: Tenant, data: TenantData, caplog: pytest.LogCaptureFixture
) -> None:
    broken, working = FakeVendor("broken", broken=True), FakeVendor("working")
    store: Any = FakeStore([broken, working], logs=sandbox.caller.app.catalog.request_logs)  # type: ignore[union-attr]
    scheduled(data, "broken", "2020-01-01T00:00:00Z")
    scheduled(data, "working", "2020-01-02T00:00:00Z")
    with caplog.at_level(logging.ERROR):
        assert schedule.run_due(store.due, data, store.logs) == 1  # the other item is delivered
        for _ in range(5):  # the next looks do not try it again
            assert schedule.run_due(store.due, data, store.logs) == 0
    assert broken.calls == 1 and working.delivered == ["2"]
    [record] = caplog.records  # logged once, with its traceback
    assert "set aside" in record.getMessage() and record.exc_info is not None
    failed = {"at": "2020-01-15T09:00:00.000Z", "error": "RuntimeError: a bug in deliver_due"}
    [item] = tenant.snapshot()["scheduled"]  # visible, with its error
    assert (item["id"], item["vendor"], item["failed"]) == ("1", "broken", failed)
    [entry] = sandbox.http.get(f"{tenant.control}/requests").json()["items"]
    assert (entry["operationId"], entry["status"], entry["vendor"]) == (
        "deliverScheduled",
        500,
        "broken",
    )
    assert entry["error"] == failed["error"] and entry["path"] == "scheduled/1"
    scheduled(data, "working", "2020-01-03T00:00:00Z")  # later items are still delivered
    assert schedule.run_due(store.due, data, store.logs) == 1 and working.delivered == ["2", "3"]
    assert broken.calls == 1 and len(caplog.records) == 1


def broken_delivery(data: TenantData, tx: Tx, item: Doc, outbox: Recorder) -> None:
    raise KeyError("trigger_id")  # what a vendor's bug, or data it cannot use, raises


def test_a_symplify_item_whose_delivery_fails_is_set_aside_and_calls_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Through the app: the first look sets the item aside, the calls that look answer as
    usual and try it no more, and a snapshot carries it set aside (a tenant made from it does
    not try it either)."""
    broken = replace(symplify.VENDOR, deliver_due=broken_delivery)
    vendors = [broken if vendor.name == "symplify" else vendor for vendor in VENDORS]
    with in_process(vendors=vendors) as sandbox:
        made = sandbox.create_tenant(SCHEDULED_TRIGGER)
        with caplog.at_level(logging.ERROR):
            for _ in range(3):
                listed = sandbox.http.get("/symplify/1234/lists", headers=made.symplify_auth())
                assert listed.status_code == 200
        assert len([r for r in caplog.records if r.exc_info]) == 1
        [item] = made.snapshot()["scheduled"]
        assert item["failed"] == {
            "at": "2020-01-15T09:00:00.000Z",
            "error": "KeyError: 'trigger_id'",
        }
        assert made.outbox() == []
        copy = sandbox.create_tenant(made.snapshot())
        copied = sandbox.caller.app.store.get(copy.name)  # type: ignore[union-attr]
        assert copied[schedule.SCHEDULED].earliest() is None  # not due: set aside
        assert copy.snapshot()["scheduled"] == [item]
        assert len([r for r in caplog.records if r.exc_info]) == 1


def test_a_look_records_a_bounded_batch_earliest_first_and_the_ticker_goes_on(
    data: TenantData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many items due at once are recorded a batch per look (a batch is what fits in the
    pacing budget: none here, so one item a look), earliest due first; `run_all_due` says
    more are due, so the app's ticker looks again at once rather than in TICK seconds."""
    ours = FakeVendor("ours")
    store: Any = FakeStore([ours])
    for day in (5, 3, 9, 1, 3):
        scheduled(data, "ours", f"2020-01-{day:02d}T00:00:00Z")
    monkeypatch.setattr(schedule, "STEP_SECONDS", 0.0)
    assert schedule.run_due(store.due, data, store.logs) == 1 and ours.delivered == ["4"]
    assert schedule.run_due(store.due, data, store.logs) == 1 and ours.delivered == ["4", "2"]
    store.tenants[data.name] = data
    # more due: look again at once
    assert schedule.run_all_due(store, store.due, store.logs) is True
    assert ours.delivered == ["4", "2", "5"]
    assert schedule.run_all_due(store, store.due, store.logs) is True
    # the last one: nothing more is due
    assert schedule.run_all_due(store, store.due, store.logs) is False
    assert ours.delivered == ["4", "2", "5", "1", "3"]
    assert len(data[schedule.SCHEDULED]) == 0
