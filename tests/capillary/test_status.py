"""Status labels: assignment (updateCustomerStatus), the status log (getStatusLog), and label
changes at run time taking effect on the next send."""

from __future__ import annotations

from typing import Any

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    EXTERNAL_ID,
    MOBILE,
    Cap,
    assert_delivered,
    assert_suppressed,
    messages_of,
    sms_v11,
    status_query,
    v2_error,
)

STATUS = "/v2/customers/lookup/status"


def send_sms(cap: Cap, who: int) -> dict[str, Any]:
    response = cap.post("/v1.1/communications/sms", sms_v11(MOBILE[who]))
    assert response.status_code == 200
    return cap.outbox()[0]


def test_assigning_a_blocking_label_suppresses_the_next_send(cap: Cap) -> None:
    assert_delivered(send_sms(cap, ACTIVE))
    response = cap.put(
        STATUS, {"reason": "fraud check", "label": "Suspended"}, params=status_query(MOBILE[ACTIVE])
    )
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["createdId"], int)
    assert response.json()["warnings"] == []
    assert_suppressed(send_sms(cap, ACTIVE))


def test_assigning_an_active_label_unblocks_the_next_send(cap: Cap) -> None:
    assert_suppressed(send_sms(cap, BLOCKED))
    params = status_query(EMAIL[BLOCKED], "email")
    response = cap.put(STATUS, {"reason": "cleared", "label": "Active"}, params=params)
    assert response.status_code == 200, response.text
    assert_delivered(send_sms(cap, BLOCKED))


def test_status_can_be_assigned_by_external_id(cap: Cap) -> None:
    params = status_query(EXTERNAL_ID[ACTIVE], "externalId")
    response = cap.put(STATUS, {"reason": "r", "label": "Suspended"}, params=params)
    assert response.status_code == 200, response.text
    assert cap.status_log(ACTIVE)[-1]["label"] == "Suspended"


def test_control_plane_label_change_takes_effect_on_next_send(cap: Cap) -> None:
    assert_delivered(send_sms(cap, ACTIVE))
    cap.set_label("Active", block=True)
    message = send_sms(cap, ACTIVE)
    assert_suppressed(message)
    assert "Active" in message["decision"][0]["detail"]


def test_control_plane_can_lift_a_block(cap: Cap) -> None:
    assert_suppressed(send_sms(cap, BLOCKED))
    cap.set_label("Suspended", block=False, status="SUSPENDED")
    assert_delivered(send_sms(cap, BLOCKED))


def test_a_new_blocking_label_can_be_created_and_assigned(cap: Cap) -> None:
    cap.set_label("Fraud confirmed", block=True, status="FRAUD_CONFIRMED")
    params = status_query(MOBILE[ACTIVE])
    response = cap.put(STATUS, {"reason": "fraud", "label": "Fraud confirmed"}, params=params)
    assert response.status_code == 200, response.text
    assert_suppressed(send_sms(cap, ACTIVE))


def test_status_log_of_a_fixture_customer(cap: Cap) -> None:
    response = cap.get(f"/v2/customers/{BLOCKED}/statusLog")
    assert response.status_code == 200
    body = response.json()
    assert body["warnings"] == [] and body["errors"] == []
    [entry] = body["data"]
    assert entry["label"] == "Suspended" and entry["status"] == "SUSPENDED"
    assert entry["entityId"] == BLOCKED and entry["isActive"] is True


def test_status_log_records_changes_oldest_first(cap: Cap) -> None:
    params = status_query(MOBILE[ACTIVE])
    for label in ("Suspended", "Active"):
        response = cap.put(STATUS, {"reason": f"to {label}", "label": label}, params=params)
        assert response.status_code == 200
    log = cap.status_log(ACTIVE)
    assert [e["label"] for e in log] == ["Active", "Suspended", "Active"]
    assert [e["isActive"] for e in log] == [False, False, True]
    assert [e.get("prevLabel") for e in log[1:]] == ["Active", "Suspended"]
    assert log[1]["reason"] == "to Suspended"
    assert log[1]["status"] == "SUSPENDED"


def test_unknown_label_is_refused_and_nothing_changes(cap: Cap) -> None:
    before = cap.snapshot()
    params = status_query(MOBILE[ACTIVE])
    response = cap.put(STATUS, {"reason": "r", "label": "Nope"}, params=params)
    assert response.status_code == 400
    assert v2_error(response)["code"] == 8086
    assert "label" in messages_of(response.json())
    assert cap.snapshot() == before


def test_status_of_unknown_customer_is_8015(cap: Cap) -> None:
    before = cap.snapshot()
    response = cap.put(
        STATUS, {"reason": "r", "label": "Suspended"}, params=status_query("919000000000")
    )
    assert response.status_code == 400
    assert v2_error(response)["code"] == 8015
    assert cap.snapshot() == before


def test_status_with_invalid_source_is_8003(cap: Cap) -> None:
    params = {**status_query(MOBILE[ACTIVE]), "source": "SHOP"}
    response = cap.put(STATUS, {"reason": "r", "label": "Suspended"}, params=params)
    assert response.status_code == 400
    assert v2_error(response)["code"] == 8003
    assert "source" in v2_error(response)["message"]


# (an unknown customer's log: test_log_reads.py, the same 404 on both logs)


def test_status_log_with_non_numeric_id_names_user_id(cap: Cap) -> None:
    response = cap.get("/v2/customers/abc/statusLog")
    assert response.status_code == 400
    assert "userId" in v2_error(response)["message"]
