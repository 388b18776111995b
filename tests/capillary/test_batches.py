"""v1.1 batches: a bad item fails alone (HTTP 201, status.code 201) and the good ones apply;
when every item fails, HTTP 400 with status.code 500 and nothing applies."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    ACTIVE,
    BLOCKED,
    FREE_EMAIL,
    FREE_MOBILE,
    MOBILE,
    Cap,
    approve_item,
    assert_v11_ok,
    batch,
    change_item,
    goodwill_item,
    v11_status,
)


def partial(response: Any, total: int, succeeded: int) -> list[dict[str, Any]]:
    assert response.status_code == 201, response.text
    status = v11_status(response)
    assert int(status["code"]) == 201, status
    assert (int(status["total"]), int(status["success_count"])) == (total, succeeded)
    body = response.json()["response"]
    key = "customers" if "customers" in body else "requests"
    items: list[dict[str, Any]] = body[key]["customer" if key == "customers" else "request"]
    assert len(items) == total
    return items


def all_failed(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    status = v11_status(response)
    assert int(status["code"]) == 500 and status["success"] in {"false", False}, status
    body = response.json()["response"]
    key = "customers" if "customers" in body else "requests"
    items: list[dict[str, Any]] = body[key]["customer" if key == "customers" else "request"]
    assert not any(ok(i) for i in items)
    return items


def ok(item: dict[str, Any]) -> bool:
    """The item succeeded, however the operation types it ("true", or request/add's true)."""
    return item["item_status"]["success"] in {"true", True}


# --- addCustomerV11 --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        {"mobile": "12ab"},
        {"email": "not-an-email"},
        {"firstname": "no identifiers"},
        {"mobile": ["919100000009"]},
        7,
        "x",
    ],
    ids=[
        "invalid mobile",
        "invalid email",
        "no identifier",
        "mobile not a string",
        "number",
        "string",
    ],
)
def test_add_customers_bad_item_fails_alone(cap: Cap, bad: Any) -> None:
    response = cap.post("/v1.1/customer/add", batch("customer", bad, {"mobile": FREE_MOBILE}))
    first, second = partial(response, 2, 1)
    assert not ok(first) and ok(second)
    assert cap.lookup(FREE_MOBILE).json()["entity"] == second["user_id"]


def test_add_customers_all_bad(cap: Cap) -> None:
    before = cap.snapshot()
    items = all_failed(
        cap.post("/v1.1/customer/add", batch("customer", {"mobile": "1"}, {"email": "x"}))
    )
    assert [int(i["item_status"]["code"]) for i in items] == [1001, 1002]
    assert "mobile" in items[0]["item_status"]["message"]
    assert cap.snapshot() == before


# --- getCustomerV11 --------------------------------------------------------------------------
def test_get_customers_some_unknown(cap: Cap) -> None:
    response = cap.get("/v1.1/customer/get", mobile=f"{MOBILE[ACTIVE]},919000000000")
    found, missing = partial(response, 2, 1)
    assert found["user_id"] == ACTIVE
    assert int(missing["item_status"]["code"]) == 1012


# --- addRequest ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        change_item(ACTIVE, "MOBILE", MOBILE[BLOCKED]),
        {**change_item(ACTIVE, "MOBILE", FREE_MOBILE), "type": "NOPE"},
        {"type": "GOODWILL"},
        "not an item",
    ],
    ids=["taken mobile", "bad type", "missing fields", "string"],
)
def test_add_requests_bad_item_fails_alone(cap: Cap, bad: Any) -> None:
    good = change_item(ACTIVE, "EMAIL", FREE_EMAIL)
    response = cap.post("/v1.1/request/add", batch("request", bad, good))
    first, second = partial(response, 2, 1)
    assert not ok(first) and first["id"] is None
    assert ok(second) and second["status"] == "PENDING"
    [notice] = cap.outbox()
    assert notice["to"] in {"tom@example.com", FREE_EMAIL}


def test_add_requests_all_bad(cap: Cap) -> None:
    before = cap.snapshot()
    bad = [change_item(ACTIVE, "MOBILE", "1"), goodwill_item(565099999)]
    items = all_failed(cap.post("/v1.1/request/add", batch("request", *bad)))
    assert [i["item_status"]["code"] for i in items] == [9046, 9011]
    assert cap.snapshot() == before


# --- approveRequests -------------------------------------------------------------------------
def added(cap: Cap, *items: Any) -> list[str]:
    body = assert_v11_ok(cap.post("/v1.1/request/add", batch("request", *items)))
    return [r["id"] for r in body["requests"]["request"]]


@pytest.mark.parametrize(
    "bad",
    [approve_item(13999999), approve_item("abc"), {"id": "1"}, ["not", "an", "item"], 5],
    ids=["unknown id", "id not numeric", "missing type", "list", "number"],
)
def test_approve_bad_item_fails_alone(cap: Cap, bad: Any) -> None:
    [request_id] = added(cap, change_item(ACTIVE, "MOBILE", FREE_MOBILE))
    response = cap.post("/v1.1/request/approve", batch("request", bad, approve_item(request_id)))
    first, second = partial(response, 2, 1)
    assert not ok(first)
    assert ok(second) and second["status"] == "APPROVED"
    assert cap.lookup(FREE_MOBILE).json()["entity"] == ACTIVE


def test_approve_two_good_items(cap: Cap) -> None:
    ids = added(cap, change_item(ACTIVE, "MOBILE", FREE_MOBILE), goodwill_item(BLOCKED, points=20))
    items = [approve_item(ids[0]), approve_item(ids[1], "GOODWILL", "POINTS")]
    body = assert_v11_ok(cap.post("/v1.1/request/approve", batch("request", *items)))
    assert [r["status"] for r in body["requests"]["request"]] == ["APPROVED", "APPROVED"]
    assert v11_status_total(body) == (2, 2)


def v11_status_total(body: dict[str, Any]) -> tuple[int, int]:
    return int(body["status"]["total"]), int(body["status"]["success_count"])


def test_approve_all_bad(cap: Cap) -> None:
    before = cap.snapshot()
    items = all_failed(
        cap.post(
            "/v1.1/request/approve",
            batch("request", approve_item(13999998), approve_item(13999999)),
        )
    )
    assert {i["item_status"]["code"] for i in items} == {9013}
    assert cap.snapshot() == before
