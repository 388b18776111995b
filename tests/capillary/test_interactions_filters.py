"""GET /v1.1/customer/interaction (seed 003) in detail: every identifier form, the eight types,
last_interaction_time on the tenant clock, network/type filters, limit/offset, history that
outlives the outbox; and GET /v2/customers/interaction's message lists."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    ACTIVE,
    EMAIL,
    EXTERNAL_ID,
    FREE_EMAIL,
    FREE_MOBILE,
    MOBILE,
    OPTED_OUT,
    UNKNOWN_ID,
    Cap,
    email_v11,
    sms_v11,
    v11_status,
)

V11, V2 = "/v1.1/customer/interaction", "/v2/customers/interaction"
ORDER = ["survey", "whatsapp", "line", "zalo", "phone", "missed_call", "email", "sms"]


def interactions(cap: Cap, **params: Any) -> list[dict[str, Any]]:
    response = cap.get(V11, **params)
    assert response.status_code == 200, response.text
    body = response.json()["response"]
    assert int(body["status"]["code"]) == 200
    assert int(body["customer"]["item_status"]["code"]) == 1000
    [network] = body["customer"]["interactions"]["network"]
    assert network["name"] == "capillary"
    entries: list[dict[str, Any]] = network["interaction"]
    return entries


def counts(cap: Cap, who: int) -> dict[str, tuple[int, str]]:
    found = interactions(cap, id=str(who))
    return {i["type"]: (i["count"], i["last_interaction_time"]) for i in found}


def send_some(cap: Cap, who: int, sms: int = 2, emails: int = 1) -> None:
    for _ in range(sms):
        assert cap.post("/v1.1/communications/sms", sms_v11(MOBILE[who])).status_code == 200
    for _ in range(emails):
        assert cap.post("/v1.1/communications/email", email_v11(EMAIL[who])).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"identifierName": "mobile", "identifierValue": MOBILE[ACTIVE]},
        {"identifierName": "email", "identifierValue": EMAIL[ACTIVE]},
        {"identifierName": "external_id", "identifierValue": EXTERNAL_ID[ACTIVE]},
        {"identifierName": "id", "identifierValue": str(ACTIVE)},
        {"mobile": MOBILE[ACTIVE]},
        {"email": EMAIL[ACTIVE]},
        {"external_id": EXTERNAL_ID[ACTIVE]},
        {"id": str(ACTIVE)},
    ],
    ids=lambda p: "=".join(p.values()) if "identifierName" in p else f"{next(iter(p))}=",
)
def test_every_identifier_form(cap: Cap, params: dict[str, str]) -> None:
    send_some(cap, ACTIVE)
    send_some(cap, OPTED_OUT, sms=1, emails=0)
    response = cap.get(V11, **params)
    customer = response.json()["response"]["customer"]
    assert (customer["id"], customer["mobile"], customer["email"]) == (
        str(ACTIVE),
        MOBILE[ACTIVE],
        EMAIL[ACTIVE],
    )
    found = {i["type"]: i["count"] for i in interactions(cap, **params)}
    assert found == {**dict.fromkeys(ORDER, 0), "sms": 2, "email": 1}


def test_eight_types_in_seed_order_at_zero(cap: Cap) -> None:
    response = cap.get(V11, email=EMAIL[OPTED_OUT])
    assert response.json()["response"]["customer"]["external_id"] == ""
    found = interactions(cap, email=EMAIL[OPTED_OUT])
    assert [i["type"] for i in found] == ORDER
    for i in found:
        assert (i["count"], i["last_interaction_time"], i["used_status"]) == (0, "null", False)


def test_last_interaction_time_on_the_tenant_clock(cap: Cap) -> None:
    cap.tenant.set_clock(now="2031-02-03T04:05:06Z", frozen=True)
    send_some(cap, ACTIVE, sms=1, emails=1)
    cap.tenant.advance_clock(3607)
    send_some(cap, ACTIVE, sms=1, emails=0)
    found = counts(cap, ACTIVE)
    assert found["sms"] == (2, "03-02-2031 05:05:13")
    assert found["email"] == (1, "03-02-2031 04:05:06")
    assert found["whatsapp"] == (0, "null")


def test_suppressed_messages_are_counted(cap: Cap) -> None:
    send_some(cap, OPTED_OUT, sms=2, emails=0)  # opted out of SMS TRANS in the fixture
    assert {m["status"] for m in cap.outbox()} == {"SUPPRESSED"}
    assert counts(cap, OPTED_OUT)["sms"][0] == 2


@pytest.mark.parametrize(
    ("network", "shown"),
    [("capillary", True), ("facebook", False), ("twitter", False), ("foursquare", False)],
)
def test_network_filter(cap: Cap, network: str, shown: bool) -> None:
    send_some(cap, ACTIVE)
    response = cap.get(V11, mobile=MOBILE[ACTIVE], network=network)
    assert response.status_code == 200, response.text
    networks = response.json()["response"]["customer"]["interactions"]["network"]
    if shown:
        assert [n["name"] for n in networks] == ["capillary"]
        assert len(networks[0]["interaction"]) == 8
    else:
        assert networks == []


@pytest.mark.parametrize("kind", ORDER)
def test_type_filter(cap: Cap, kind: str) -> None:
    send_some(cap, ACTIVE)
    [entry] = interactions(cap, mobile=MOBILE[ACTIVE], type=kind)
    assert entry["type"] == kind
    assert entry["count"] == {"sms": 2, "email": 1}.get(kind, 0)


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [
        (2, None, ORDER[:2]),
        (None, 6, ORDER[6:]),
        (3, 5, ORDER[5:8]),
        (1, 7, ["sms"]),
        (50, 0, ORDER),
        (0, 0, []),
        (5, 8, []),
    ],
)
def test_limit_and_offset(cap: Cap, limit: Any, offset: Any, expected: list[str]) -> None:
    send_some(cap, ACTIVE)
    page = {k: v for k, v in {"limit": limit, "offset": offset}.items() if v is not None}
    found = interactions(cap, mobile=MOBILE[ACTIVE], **page)
    assert [i["type"] for i in found] == expected
    assert all(i["count"] == {"sms": 2, "email": 1}.get(i["type"], 0) for i in found)


def test_history_survives_clearing_the_outbox(cap: Cap) -> None:
    cap.tenant.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
    send_some(cap, ACTIVE)
    before = counts(cap, ACTIVE)
    assert before["sms"] == (2, "23-11-2026 10:00:00")
    assert cap.control("DELETE", "/outbox").status_code == 204
    assert cap.outbox() == []
    assert counts(cap, ACTIVE) == before
    send_some(cap, ACTIVE, sms=1, emails=0)
    assert counts(cap, ACTIVE)["sms"][0] == 3


def test_history_survives_outbox_retention(cap: Cap) -> None:
    response = cap.control("PUT", "/settings", {"outbox_retention": 1})
    assert response.status_code == 200, response.text
    send_some(cap, ACTIVE, sms=3, emails=2)
    assert len(cap.outbox()) == 1
    found = counts(cap, ACTIVE)
    assert (found["sms"][0], found["email"][0]) == (3, 2)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"mobile": FREE_MOBILE}, "mobile"),
        ({"email": FREE_EMAIL}, "email"),
        ({"external_id": "EXT-404"}, "external_id"),
        ({"id": str(UNKNOWN_ID)}, "id"),
        ({"identifierName": "mobile", "identifierValue": FREE_MOBILE}, "mobile"),
        ({"identifierName": "id", "identifierValue": str(UNKNOWN_ID)}, "id"),
    ],
    ids=["mobile", "email", "external_id", "id", "identifier mobile", "identifier id"],
)
def test_unknown_customer(cap: Cap, params: dict[str, str], named: str) -> None:
    response = cap.get(V11, **params)
    assert response.status_code == 400, response.text
    status = v11_status(response)
    assert (str(status["success"]), int(status["code"])) == ("false", 500), status
    item = response.json()["response"]["customer"]["item_status"]
    assert (str(item["success"]), int(item["code"])) == ("false", 1012), item
    assert list(params.values())[-1] in item["message"], item


# --- v2 ------------------------------------------------------------------------------------
def v2_interaction(cap: Cap, who: int, **params: Any) -> dict[str, dict[str, Any]]:
    response = cap.get(V2, identifierName="mobile", identifierValue=MOBILE[who], **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["warnings"] == []
    return {i["name"]: i for i in body["interaction"]}


def test_v2_message_list(cap: Cap) -> None:
    """OPTED_OUT is opted out of EMAIL BULK only: a TRANS e-mail is delivered, SMS is not."""
    cap.tenant.set_clock(now="2031-02-03T04:05:06Z", frozen=True)
    assert cap.post("/v1.1/communications/sms", sms_v11(MOBILE[OPTED_OUT])).status_code == 200
    cap.tenant.advance_clock(61)
    subject = email_v11(EMAIL[OPTED_OUT], subject="Receipt")
    assert cap.post("/v1.1/communications/email", subject).status_code == 200
    found = v2_interaction(cap, OPTED_OUT)
    [sms] = found["sms"]["messageList"]
    [email] = found["email"]["messageList"]
    assert (sms["status"], sms["receiver"], sms["sentDate"]) == (
        "NOT-DELIVERED",
        MOBILE[OPTED_OUT],
        "03-02-2031 04:05:06",
    )
    assert (email["status"], email["receiver"], email["subject"], email["sentDate"]) == (
        "DELIVERED",
        EMAIL[OPTED_OUT],
        "Receipt",
        "03-02-2031 04:06:07",
    )
    assert email["userId"] == OPTED_OUT
    assert (found["sms"]["count"], found["email"]["count"], found["whatsapp"]["count"]) == (1, 1, 0)
    assert found["whatsapp"]["messageList"] == []


def test_v2_network_filter(cap: Cap) -> None:
    send_some(cap, ACTIVE)
    assert v2_interaction(cap, ACTIVE, network="facebook") == {}
    assert v2_interaction(cap, ACTIVE, network="capillary")["sms"]["count"] == 2
