"""A request is atomic (CONTRACT section 13): a v1.1 batch that fails after its first item was
processed (a bug, an answer that cannot be encoded, a disk that refuses the write) leaves the
tenant exactly as it was, and a retry succeeds; a batch answered item by item records
exactly the items it reports accepted."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from sandbox.testing import in_process
from sandbox.testing.example import EXAMPLE_FIXTURE
from sandbox.vendors.capillary import request_api, request_model

from .helpers import ACTIVE, BLOCKED, Cap, approve_item, assert_v11_ok, batch, goodwill_item

ADD, APPROVE = "/v1.1/request/add", "/v1.1/request/approve"


def goodwill(cap: Cap, *customers: int) -> list[str]:
    """A pending goodwill request of 100 points for each customer; their ids."""
    response = cap.post(ADD, batch("request", *(goodwill_item(c) for c in customers)))
    return [item["id"] for item in assert_v11_ok(response)["requests"]["request"]]


def approve_goodwill(cap: Cap, *ids: Any) -> Any:
    return cap.post(
        APPROVE, batch("request", *(approve_item(i, "GOODWILL", "POINTS") for i in ids))
    )


def last_logged(cap: Cap) -> dict[str, Any]:
    entries: list[dict[str, Any]] = cap.control("GET", "/requests").json()["items"]
    return entries[0]


def test_a_bug_after_the_first_approval_changes_nothing_and_a_retry_succeeds(
    frozen: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    cap = frozen
    ids = goodwill(cap, ACTIVE, BLOCKED)
    before = cap.tenant.snapshot()
    real = request_model.decide
    calls = []

    def second_fails(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("a bug while approving the second item")
        return real(*args, **kwargs)

    monkeypatch.setattr(request_model, "decide", second_fails)
    failed = approve_goodwill(cap, *ids)
    assert failed.status_code == 500
    assert len(calls) == 2  # the first item was approved before the bug
    assert cap.tenant.snapshot() == before  # no points, no request decided, no message
    assert last_logged(cap)["message_ids"] == []  # and the request log names no message
    monkeypatch.undo()
    retried = approve_goodwill(cap, *ids)
    assert retried.status_code == 200, retried.text
    statuses = [item["status"] for item in retried.json()["response"]["requests"]["request"]]
    assert statuses == ["APPROVED", "APPROVED"]
    assert len(last_logged(cap)["message_ids"]) == len(cap.outbox()) - len(before["outbox"])


def test_an_answer_that_cannot_be_encoded_changes_nothing(
    frozen: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    cap = frozen
    [request_id] = goodwill(cap, ACTIVE)
    before = cap.tenant.snapshot()
    monkeypatch.setattr(request_api, "_approved_value", lambda request: {"not", "json"})
    failed = approve_goodwill(cap, request_id)
    assert failed.status_code == 500
    assert cap.tenant.snapshot() == before


def test_a_storage_failure_at_the_commit_is_a_503_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with in_process(data_dir=tmp_path) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="shop")
        tenant.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
        cap = Cap(sandbox.http, tenant, tenant.capillary_auth())
        ids = goodwill(cap, ACTIVE, BLOCKED)
        before = tenant.snapshot()
        journal = max((tmp_path / "tenants" / "shop").glob("journal.*.log"))
        content = journal.read_bytes()
        written: list[int] = []

        def disk_full(fd: int, data: bytes | memoryview) -> int:
            written.append(len(data))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", disk_full)
        refused = approve_goodwill(cap, *ids)
        monkeypatch.undo()
        assert refused.status_code == 503, refused.text
        assert "storage full" in refused.text
        assert len(written) == 1  # both items' writes were one journal line
        assert journal.read_bytes() == content
        assert tenant.snapshot() == before
        assert approve_goodwill(cap, *ids).status_code == 200
        assert journal.read_bytes().count(b"\n") == content.count(b"\n") + 1  # one line
        after = tenant.snapshot()
    with in_process(data_dir=tmp_path) as sandbox:  # what was acknowledged, and only that
        assert sandbox.tenant("shop").snapshot() == after


def test_a_batch_records_exactly_the_items_it_reports_accepted(cap: Cap) -> None:
    [first, second] = goodwill(cap, ACTIVE, BLOCKED)
    sent = len(cap.outbox())
    answer = approve_goodwill(cap, first, 13999999, second)
    assert answer.status_code == 201
    items = answer.json()["response"]["requests"]["request"]
    assert [item["status"] for item in items] == ["APPROVED", None, "APPROVED"]
    logged = last_logged(cap)["message_ids"]
    recorded = [m["id"] for m in cap.outbox()][: len(cap.outbox()) - sent]
    assert sorted(logged) == sorted(recorded) and logged


@pytest.mark.parametrize("bad_id", ["9" * 5000, "9" * 17, 2**53, 0, "-1", "\uff11", 1.5])
def test_an_id_beyond_what_the_store_keeps_fails_its_item_alone(cap: Cap, bad_id: Any) -> None:
    """It answered 500 after the first approval was written; a retry was refused."""
    [first] = goodwill(cap, ACTIVE)
    bad = {"id": bad_id, "type": "GOODWILL", "base_type": "POINTS"}
    answer = cap.post(APPROVE, batch("request", approve_item(first, "GOODWILL", "POINTS"), bad))
    assert answer.status_code == 201, answer.text
    approved, refused = answer.json()["response"]["requests"]["request"]
    assert approved["status"] == "APPROVED"
    assert refused["item_status"]["code"] == 9013
    assert "root.request[1].id" in refused["item_status"]["message"]
    assert points(cap, ACTIVE) == 100


def points(cap: Cap, who: int) -> float:
    answer = assert_v11_ok(cap.get("/v1.1/customer/get", id=str(who)))
    return float(answer["customers"]["customer"][0]["loyalty_points"])
