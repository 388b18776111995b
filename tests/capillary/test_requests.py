"""Request APIs (seed 000 #1-#6): add -> approve flows in v1.1 and v2, the identifier really
changes, goodwill is credited, and deciding twice is 9052."""

from __future__ import annotations

from typing import Any

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    FREE_EMAIL,
    FREE_MOBILE,
    MOBILE,
    Cap,
    approve_item,
    assert_created,
    assert_v11_ok,
    batch,
    change_item,
    codes_of,
    goodwill_item,
    sms_v11,
    v2_error,
    v11_status,
)

ADD, APPROVE = "/v1.1/request/add", "/v1.1/request/approve"


def add(cap: Cap, item: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = cap.post(ADD, batch("request", item), params=params or None)
    status = response.json()["response"]["status"]
    assert (status["success"], status["code"]) == (True, 200), status  # typed (research 7b)
    body = assert_v11_ok(response)
    added: dict[str, Any] = body["requests"]["request"][0]
    return added


def approve(cap: Cap, *items: Any) -> Any:
    return cap.post(APPROVE, batch("request", *items))


def points(cap: Cap, who: int) -> float:
    answer = assert_v11_ok(cap.get("/v1.1/customer/get", id=str(who)))
    return float(answer["customers"]["customer"][0]["loyalty_points"])


# --- v1.1 ------------------------------------------------------------------------------------
def test_add_change_request_answers_the_request(cap: Cap) -> None:
    added = add(cap, change_item(ACTIVE, "MOBILE", FREE_MOBILE, reference_id="ref-1"))
    # typed as Capillary's typed examples of request/add type it (research 7b)
    assert added["item_status"] == {
        "success": True,
        "code": 9000,
        "message": "Change Identifier request added successfully",
    }
    # "" where the examples show none, never null (research 8a); misc_info null as shown
    assert (added["old_type"], added["new_type"], added["misc_info"]) == ("", "", None)
    assert added["transaction_id"] == "0" and isinstance(added["comments"], str)
    assert added["status"] == "PENDING" and added["id"].isdigit()
    assert (added["type"], added["base_type"]) == ("CHANGE_IDENTIFIER", "MOBILE")
    assert (added["old_value"], added["new_value"]) == (MOBILE[ACTIVE], FREE_MOBILE)
    assert added["reference_id"] == "ref-1"
    assert added["customer"]["id"] == ACTIVE
    assert cap.lookup(FREE_MOBILE).status_code == 400  # pending: nothing changed yet


def test_v11_change_mobile_add_then_approve(cap: Cap) -> None:
    added = add(cap, change_item(ACTIVE, "MOBILE", FREE_MOBILE))
    response = approve(cap, approve_item(added["id"]))
    body = assert_v11_ok(response)
    [decided] = body["requests"]["request"]
    assert decided["status"] == "APPROVED" and decided["id"] == added["id"]
    assert decided["item_status"]["code"] == 9000
    assert (decided["old_value"], decided["new_value"]) == (MOBILE[ACTIVE], FREE_MOBILE)
    assert cap.lookup(FREE_MOBILE).json()["entity"] == ACTIVE
    assert cap.lookup(MOBILE[ACTIVE]).status_code == 400


def test_v11_change_email_add_then_approve(cap: Cap) -> None:
    added = add(cap, change_item(ACTIVE, "EMAIL", FREE_EMAIL))
    assert_v11_ok(approve(cap, approve_item(added["id"], base="EMAIL")))
    assert cap.lookup(FREE_EMAIL, "email").json()["entity"] == ACTIVE


def test_v11_customer_can_be_named_by_mobile(cap: Cap) -> None:
    item = change_item(ACTIVE, "EMAIL", FREE_EMAIL)
    item["customer"] = {"mobile": MOBILE[ACTIVE]}
    assert add(cap, item)["customer"]["id"] == ACTIVE


def test_v11_goodwill_add_then_approve_credits_points(cap: Cap) -> None:
    added = add(cap, goodwill_item(ACTIVE, points=150))
    assert added["item_status"]["code"] == 9100 and added["status"] == "PENDING"
    assert points(cap, ACTIVE) == 0
    assert_v11_ok(approve(cap, approve_item(added["id"], "GOODWILL", "POINTS")))
    assert points(cap, ACTIVE) == 150


def test_v11_client_auto_approve_applies_at_once(cap: Cap) -> None:
    added = add(cap, change_item(ACTIVE, "MOBILE", FREE_MOBILE), client_auto_approve="true")
    assert added["status"] == "APPROVED"
    assert cap.lookup(FREE_MOBILE).json()["entity"] == ACTIVE


def test_v11_approving_twice_is_9052(cap: Cap) -> None:
    added = add(cap, change_item(ACTIVE, "MOBILE", FREE_MOBILE))
    assert_v11_ok(approve(cap, approve_item(added["id"])))
    before = cap.snapshot()
    response = approve(cap, approve_item(added["id"]))
    assert response.status_code == 400
    assert int(v11_status(response)["code"]) == 500
    [item] = response.json()["response"]["requests"]["request"]
    assert item["item_status"]["code"] == 9052
    assert item["item_status"]["success"] in {"false", False}
    assert cap.snapshot() == before


def test_v11_approving_unknown_request_is_9013(cap: Cap) -> None:
    response = approve(cap, approve_item(13999999))
    assert response.status_code == 400
    assert 9013 in codes_of(response.json())


def test_v11_approving_with_the_wrong_type_is_9013(cap: Cap) -> None:
    added = add(cap, change_item(ACTIVE, "MOBILE", FREE_MOBILE))
    response = approve(cap, approve_item(added["id"], "GOODWILL", "POINTS"))
    assert response.status_code == 400
    assert 9013 in codes_of(response.json())
    assert cap.lookup(FREE_MOBILE).status_code == 400


def test_blocked_customer_request_still_changes_the_identifier(cap: Cap) -> None:
    added = add(cap, change_item(BLOCKED, "EMAIL", FREE_EMAIL))
    assert_v11_ok(approve(cap, approve_item(added["id"], base="EMAIL")))
    assert cap.lookup(FREE_EMAIL, "email").json()["entity"] == BLOCKED
    assert {m["status"] for m in cap.outbox()} == {"SUPPRESSED"}


def test_after_a_change_the_block_follows_the_new_address(cap: Cap) -> None:
    added = add(cap, change_item(BLOCKED, "MOBILE", FREE_MOBILE), client_auto_approve="true")
    assert added["status"] == "APPROVED"
    cap.control("DELETE", "/outbox")
    for to in (FREE_MOBILE, MOBILE[BLOCKED]):
        assert cap.post("/v1.1/communications/sms", sms_v11(to)).status_code == 200
    by_to = {m["to"]: (m["customer_id"], m["status"]) for m in cap.outbox()}
    assert by_to[FREE_MOBILE] == (str(BLOCKED), "SUPPRESSED")
    assert by_to[MOBILE[BLOCKED]] == (None, "DELIVERED")  # nobody's number any more


# --- v2 --------------------------------------------------------------------------------------
def create_change(cap: Cap, who: int, base: str, new: str) -> int:
    old = MOBILE[who] if base == "MOBILE" else EMAIL[who]
    body = {"baseType": base, "oldValue": old, "newValue": new, "comments": "lost phone"}
    return assert_created(cap.post(f"/v2/customer/{who}/changeRequest", body))


def test_v2_change_mobile_then_approve(cap: Cap) -> None:
    request_id = create_change(cap, ACTIVE, "MOBILE", FREE_MOBILE)
    assert cap.lookup(FREE_MOBILE).status_code == 400
    response = cap.put(f"/v2/changeRequest/{request_id}", {"status": "APPROVED", "comments": "ok"})
    assert response.status_code == 200
    assert response.json() == {"id": request_id, "status": "APPROVED", "warnings": []}
    assert cap.lookup(FREE_MOBILE).json()["entity"] == ACTIVE


def test_v2_change_email_then_approve(cap: Cap) -> None:
    request_id = create_change(cap, ACTIVE, "EMAIL", FREE_EMAIL)
    assert cap.put(f"/v2/changeRequest/{request_id}", {"status": "APPROVED"}).status_code == 200
    assert cap.lookup(FREE_EMAIL, "email").json()["entity"] == ACTIVE
    assert cap.lookup(EMAIL[ACTIVE], "email").status_code == 400


def test_v2_rejected_change_changes_nothing(cap: Cap) -> None:
    request_id = create_change(cap, ACTIVE, "MOBILE", FREE_MOBILE)
    response = cap.put(f"/v2/changeRequest/{request_id}", {"status": "REJECTED"})
    assert response.json() == {"id": request_id, "status": "REJECTED", "warnings": []}
    assert cap.lookup(MOBILE[ACTIVE]).json()["entity"] == ACTIVE
    assert cap.lookup(FREE_MOBILE).status_code == 400


def test_v2_deciding_twice_is_9052(cap: Cap) -> None:
    request_id = create_change(cap, ACTIVE, "MOBILE", FREE_MOBILE)
    assert cap.put(f"/v2/changeRequest/{request_id}", {"status": "APPROVED"}).status_code == 200
    before = cap.snapshot()
    response = cap.put(f"/v2/changeRequest/{request_id}", {"status": "REJECTED"})
    assert response.status_code == 400
    assert v2_error(response)["code"] == 9052
    assert cap.snapshot() == before


def test_v2_goodwill_then_approve_credits_points(cap: Cap) -> None:
    body = {"baseType": "POINTS", "points": 100, "reason": "BILL_ISSUE"}
    request_id = assert_created(cap.post(f"/v2/customer/{ACTIVE}/goodwillRequest", body))
    response = cap.put(f"/v2/goodwillRequest/{request_id}", {"status": "APPROVED"})
    assert response.json() == {"id": request_id, "status": "APPROVED", "warnings": []}
    assert points(cap, ACTIVE) == 100
    again = cap.put(f"/v2/goodwillRequest/{request_id}", {"status": "APPROVED"})
    assert again.status_code == 400 and v2_error(again)["code"] == 9052
    assert points(cap, ACTIVE) == 100


def test_v2_rejected_goodwill_credits_nothing(cap: Cap) -> None:
    body = {"baseType": "COUPONS", "seriesId": 7}
    request_id = assert_created(cap.post(f"/v2/customer/{ACTIVE}/goodwillRequest", body))
    response = cap.put(f"/v2/goodwillRequest/{request_id}", {"status": "REJECTED"})
    assert response.json()["status"] == "REJECTED"
    assert points(cap, ACTIVE) == 0
    assert {m["category"] for m in cap.outbox()} == {"GOODWILL"}


def test_v2_change_request_id_is_not_a_goodwill_request(cap: Cap) -> None:
    request_id = create_change(cap, ACTIVE, "MOBILE", FREE_MOBILE)
    response = cap.put(f"/v2/goodwillRequest/{request_id}", {"status": "APPROVED"})
    assert response.status_code == 400
    assert v2_error(response)["code"] == 9050
    assert cap.lookup(FREE_MOBILE).status_code == 400


def test_v2_and_v11_share_requests(cap: Cap) -> None:
    request_id = create_change(cap, ACTIVE, "MOBILE", FREE_MOBILE)
    assert_v11_ok(approve(cap, approve_item(request_id)))
    assert cap.lookup(FREE_MOBILE).json()["entity"] == ACTIVE
