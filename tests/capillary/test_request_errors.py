"""Request APIs refusing duplicate and invalid values with Capillary's 90xx codes; a refused
request changes nothing and sends nothing."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    EXTERNAL_ID,
    FREE_EMAIL,
    FREE_MOBILE,
    MOBILE,
    UNKNOWN_ID,
    Cap,
    assert_names,
    assert_v11_ok,
    batch,
    change_item,
    goodwill_item,
    messages_of,
    v2_error,
    v11_status,
)

NEW_VALUE = ("new_value", "new mobile", "new email", "new external id", "new value")
BASE_TYPE = ("base_type", "base type")
SERIES = ("series_id", "seriesId", "series id")
NEW_VALUE_V2 = ("newValue", "new mobile", "new email", "new value")

V11_CASES = [
    ("new mobile taken", change_item(ACTIVE, "MOBILE", MOBILE[BLOCKED]), 9005, NEW_VALUE),
    ("new email taken", change_item(ACTIVE, "EMAIL", EMAIL[BLOCKED]), 9002, NEW_VALUE),
    (
        "new external id taken",
        change_item(ACTIVE, "EXTERNAL_ID", EXTERNAL_ID[BLOCKED]),
        9003,
        NEW_VALUE,
    ),
    ("invalid new mobile", change_item(ACTIVE, "MOBILE", "12ab"), 9046, NEW_VALUE),
    ("invalid new email", change_item(ACTIVE, "EMAIL", "not-an-email"), 9001, NEW_VALUE),
    ("same as old", change_item(ACTIVE, "MOBILE", MOBILE[ACTIVE]), 9031, NEW_VALUE),
    ("empty new value", change_item(ACTIVE, "MOBILE", ""), 9024, NEW_VALUE),
    (
        "missing new value",
        {k: v for k, v in change_item(ACTIVE, "MOBILE", "x").items() if k != "new_value"},
        9024,
        NEW_VALUE,
    ),
    (
        "wrong old value",
        change_item(ACTIVE, "MOBILE", FREE_MOBILE, old_value="919111111111"),
        9012,
        ("old_value", "old value"),
    ),
    ("unknown customer", change_item(UNKNOWN_ID, "MOBILE", FREE_MOBILE), 9011, ("customer", "id")),
    (
        "no customer identifiers",
        {**change_item(ACTIVE, "MOBILE", FREE_MOBILE), "customer": {}},
        9019,
        "customer",
    ),
    (
        "unknown type",
        {**change_item(ACTIVE, "MOBILE", FREE_MOBILE), "type": "TRANSFER"},
        9006,
        "type",
    ),
    ("unknown base type", change_item(ACTIVE, "PHONE", FREE_MOBILE), 9008, BASE_TYPE),
    (
        "goodwill with change base type",
        {**goodwill_item(ACTIVE), "base_type": "MOBILE"},
        9008,
        BASE_TYPE,
    ),
    ("goodwill negative points", goodwill_item(ACTIVE, points=-5), None, "points"),
    ("goodwill points not a number", goodwill_item(ACTIVE, points="many"), None, "points"),
    ("goodwill infinite points", goodwill_item(ACTIVE, points="inf"), None, "points"),
    ("coupon without series", {**goodwill_item(ACTIVE), "base_type": "COUPONS"}, 9017, SERIES),
]


@pytest.mark.parametrize(
    ("item", "code", "field"), [c[1:] for c in V11_CASES], ids=[c[0] for c in V11_CASES]
)
def test_v11_add_refuses_bad_item(
    cap: Cap, item: dict[str, Any], code: int | None, field: str
) -> None:
    before = cap.snapshot()
    response = cap.post("/v1.1/request/add", batch("request", item))
    assert response.status_code == 400, response.text
    assert int(v11_status(response)["code"]) == 500
    [failed] = response.json()["response"]["requests"]["request"]
    status = failed["item_status"]
    assert status["success"] is False  # request/add types it (research 7b)
    if code is not None:
        assert int(status["code"]) == code, status
    assert_names(status["message"], field)
    assert cap.snapshot() == before


def test_v11_duplicate_pending_request_is_9028(cap: Cap) -> None:
    item = change_item(ACTIVE, "MOBILE", FREE_MOBILE)
    assert_v11_ok(cap.post("/v1.1/request/add", batch("request", item)))
    before = cap.snapshot()
    response = cap.post("/v1.1/request/add", batch("request", item))
    assert response.status_code == 400
    [failed] = response.json()["response"]["requests"]["request"]
    assert failed["item_status"]["code"] == 9028
    assert cap.snapshot() == before


def test_v11_approve_when_new_value_was_taken_meanwhile(cap: Cap) -> None:
    added = assert_v11_ok(
        cap.post("/v1.1/request/add", batch("request", change_item(ACTIVE, "EMAIL", FREE_EMAIL)))
    )
    request_id = added["requests"]["request"][0]["id"]
    taken = assert_v11_ok(
        cap.post(
            "/v1.1/request/add",
            batch("request", change_item(BLOCKED, "EMAIL", FREE_EMAIL)),
            params={"client_auto_approve": "true"},
        )
    )
    assert taken["requests"]["request"][0]["status"] == "APPROVED"
    before = cap.snapshot()
    item = {"id": request_id, "type": "CHANGE_IDENTIFIER", "base_type": "EMAIL"}
    response = cap.post("/v1.1/request/approve", batch("request", item))
    assert response.status_code == 400
    assert response.json()["response"]["requests"]["request"][0]["item_status"]["code"] == 9002
    assert cap.snapshot() == before


V2_CHANGE_CASES = [
    ("new mobile taken", {"baseType": "MOBILE", "newValue": MOBILE[BLOCKED]}, 9005, NEW_VALUE_V2),
    ("new email taken", {"baseType": "EMAIL", "newValue": EMAIL[BLOCKED]}, 9002, NEW_VALUE_V2),
    ("invalid new mobile", {"baseType": "MOBILE", "newValue": "12ab"}, 9046, NEW_VALUE_V2),
    ("invalid new email", {"baseType": "EMAIL", "newValue": "nope"}, 9001, NEW_VALUE_V2),
    ("same as old", {"baseType": "EMAIL", "newValue": EMAIL[ACTIVE]}, 9031, NEW_VALUE_V2),
    ("empty new value", {"baseType": "MOBILE", "newValue": ""}, 9024, NEW_VALUE_V2),
    ("missing new value", {"baseType": "MOBILE"}, None, NEW_VALUE_V2),
    (
        "new value not a string",
        {"baseType": "MOBILE", "newValue": 919100000001},
        None,
        NEW_VALUE_V2,
    ),
    ("unknown base type", {"baseType": "PHONE", "newValue": FREE_MOBILE}, 9008, "baseType"),
    ("missing base type", {"newValue": FREE_MOBILE}, None, "baseType"),
    (
        "wrong old value",
        {"baseType": "MOBILE", "oldValue": "919111111111", "newValue": FREE_MOBILE},
        9012,
        ("oldValue", "old value"),
    ),
]


@pytest.mark.parametrize(
    ("body", "code", "field"), [c[1:] for c in V2_CHANGE_CASES], ids=[c[0] for c in V2_CHANGE_CASES]
)
def test_v2_change_request_refuses(cap: Cap, body: Any, code: int | None, field: Any) -> None:
    before = cap.snapshot()
    response = cap.post(f"/v2/customer/{ACTIVE}/changeRequest", body)
    assert response.status_code == 400, response.text
    error = v2_error(response)
    if code is not None:
        assert error["code"] == code, error
    assert_names(error["message"], field)
    assert cap.snapshot() == before


def test_v2_duplicate_pending_change_is_9028(cap: Cap) -> None:
    body = {"baseType": "MOBILE", "newValue": FREE_MOBILE}
    assert cap.post(f"/v2/customer/{ACTIVE}/changeRequest", body).status_code == 200
    response = cap.post(f"/v2/customer/{ACTIVE}/changeRequest", body)
    assert response.status_code == 400
    assert v2_error(response)["code"] == 9028


V2_GOODWILL_CASES = [
    ("unknown base type", {"baseType": "CASH", "points": 5}, 9008, "baseType"),
    ("negative points", {"baseType": "POINTS", "points": -5}, None, "points"),
    ("zero points", {"baseType": "POINTS", "points": 0}, None, "points"),
    ("points as text", {"baseType": "POINTS", "points": "many"}, None, "points"),
    ("missing points", {"baseType": "POINTS"}, None, "points"),
    ("coupons without series", {"baseType": "COUPONS"}, 9017, SERIES),
]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [c[1:] for c in V2_GOODWILL_CASES],
    ids=[c[0] for c in V2_GOODWILL_CASES],
)
def test_v2_goodwill_request_refuses(cap: Cap, body: Any, code: int | None, field: Any) -> None:
    before = cap.snapshot()
    response = cap.post(f"/v2/customer/{ACTIVE}/goodwillRequest", body)
    assert response.status_code == 400, response.text
    if code is not None:
        assert v2_error(response)["code"] == code
    assert_names(v2_error(response)["message"], field)
    assert cap.snapshot() == before


@pytest.mark.parametrize("kind", ["changeRequest", "goodwillRequest"])
def test_v2_request_for_unknown_customer_is_8015(cap: Cap, kind: str) -> None:
    body = (
        {"baseType": "MOBILE", "newValue": FREE_MOBILE}
        if kind == "changeRequest"
        else {"baseType": "POINTS", "points": 5}
    )
    response = cap.post(f"/v2/customer/{UNKNOWN_ID}/{kind}", body)
    assert response.status_code == 400
    assert v2_error(response)["code"] == 8015
    assert cap.outbox() == []


DECISION_CASES = [
    ("unknown id", "13999999", {"status": "APPROVED"}, 9050, "Request not found"),
    ("id not a number", "abc", {"status": "APPROVED"}, 9050, "id"),
    ("id zero", "0", {"status": "APPROVED"}, 9050, "id"),
    ("unknown status", "13000001", {"status": "DONE"}, 9052, "status"),
    ("missing status", "13000001", {"comments": "no status"}, None, "status"),
    ("status not a string", "13000001", {"status": 1}, None, "status"),
]


@pytest.mark.parametrize("kind", ["changeRequest", "goodwillRequest"])
@pytest.mark.parametrize("case", DECISION_CASES, ids=[c[0] for c in DECISION_CASES])
def test_v2_decision_refuses(cap: Cap, kind: str, case: tuple[Any, ...]) -> None:
    _, request_id, body, code, field = case
    create: dict[str, Any] = {"baseType": "MOBILE", "newValue": FREE_MOBILE}
    if kind == "goodwillRequest":  # either way a real pending request 13000001 exists
        create = {"baseType": "POINTS", "points": 5}
    assert cap.post(f"/v2/customer/{ACTIVE}/{kind}", create).status_code == 200
    before = cap.snapshot()
    response = cap.put(f"/v2/{kind}/{request_id}", body)
    assert response.status_code == 400, response.text
    if code is not None:
        assert v2_error(response)["code"] == code
    assert_names(messages_of(response.json()), field)
    assert cap.snapshot() == before
