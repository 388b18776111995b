"""Customer interactions (seed 003): v1.1 counts per type, v2 message lists with DELIVERED /
NOT-DELIVERED; every triggered message is counted, suppressed or not."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    EXTERNAL_ID,
    MOBILE,
    V11_TIME,
    WECHAT,
    Cap,
    assert_names,
    email_v11,
    messages_of,
    otp,
    send_message,
    sms_v11,
    v11_status,
    wechat,
)

V11, V2 = "/v1.1/customer/interaction", "/v2/customers/interaction"
SEED_TYPES = {"survey", "whatsapp", "line", "zalo", "phone", "missed_call", "email", "sms"}


def v11_types(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    [network] = response.json()["response"]["customer"]["interactions"]["network"]
    assert network["name"] == "capillary"
    return {i["type"]: i for i in network["interaction"]}


def v2_types(cap: Cap, who: int, **params: Any) -> dict[str, dict[str, Any]]:
    response = cap.get(V2, identifierName="id", identifierValue=str(who), **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "capillary" and body["warnings"] == []
    return {i["name"]: i for i in body["interaction"]}


def test_v11_fresh_customer_has_all_eight_types_at_zero(cap: Cap) -> None:
    response = cap.get(V11, mobile=MOBILE[ACTIVE], format="json")
    types = v11_types(response)
    assert set(types) == SEED_TYPES
    for item in types.values():
        assert (item["count"], item["last_interaction_time"], item["used_status"]) == (
            0,
            "null",
            False,
        )
    customer = response.json()["response"]["customer"]
    assert (customer["id"], customer["mobile"], customer["email"]) == (
        str(ACTIVE),
        MOBILE[ACTIVE],
        EMAIL[ACTIVE],
    )
    assert customer["item_status"]["code"] == 1000
    assert int(v11_status(response)["code"]) == 200


def test_v11_counts_every_message_suppressed_or_not(frozen: Cap) -> None:
    for _ in range(2):
        frozen.post("/v1.1/communications/sms", sms_v11(MOBILE[BLOCKED]))
    frozen.post("/v1.1/communications/email", email_v11(EMAIL[BLOCKED]))
    frozen.post(
        "/v2/communications/sendMessage?channel=whatsapp", send_message("whatsapp", MOBILE[BLOCKED])
    )
    frozen.tenant.advance_clock(65)
    frozen.post("/v2/otp/generate", otp(MOBILE[BLOCKED], "SMS"))
    types = v11_types(frozen.get(V11, mobile=MOBILE[BLOCKED]))
    counts = {t: i["count"] for t, i in types.items()}
    assert counts == {**dict.fromkeys(SEED_TYPES, 0), "sms": 3, "email": 1, "whatsapp": 1}
    assert types["sms"]["last_interaction_time"] == "23-11-2026 10:01:05"
    assert types["email"]["last_interaction_time"] == "23-11-2026 10:00:00"
    assert types["zalo"]["last_interaction_time"] == "null"
    assert all(
        i["last_interaction_time"] == "null" or V11_TIME.match(i["last_interaction_time"])
        for i in types.values()
    )


@pytest.mark.parametrize(
    "params",
    [
        {"identifierName": "mobile", "identifierValue": MOBILE[ACTIVE]},
        {"identifierName": "email", "identifierValue": EMAIL[ACTIVE]},
        {"identifierName": "external_id", "identifierValue": EXTERNAL_ID[ACTIVE]},
        {"email": EMAIL[ACTIVE]},
        {"external_id": EXTERNAL_ID[ACTIVE]},
        {"id": str(ACTIVE)},
    ],
    ids=[
        "identifier mobile",
        "identifier email",
        "identifier external_id",
        "email",
        "external_id",
        "id",
    ],
)
def test_v11_any_identifier_finds_the_customer(cap: Cap, params: dict[str, str]) -> None:
    cap.post("/v1.1/communications/sms", sms_v11(MOBILE[ACTIVE]))
    response = cap.get(V11, **params)
    assert response.json()["response"]["customer"]["id"] == str(ACTIVE)
    assert v11_types(response)["sms"]["count"] == 1


def test_v11_type_filter(cap: Cap) -> None:
    cap.post("/v1.1/communications/sms", sms_v11(MOBILE[ACTIVE]))
    types = v11_types(cap.get(V11, mobile=MOBILE[ACTIVE], type="sms"))
    assert list(types) == ["sms"] and types["sms"]["count"] == 1


def test_v11_unknown_customer_is_all_failed(cap: Cap) -> None:
    response = cap.get(V11, mobile="919000000000")
    assert response.status_code == 400
    status = v11_status(response)
    assert str(status["success"]) == "false"
    assert int(status["code"]) == 500  # "All requests have failed due to errors" (seed 003)
    assert_names(messages_of(response.json()), ("mobile", "919000000000"))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "identifierName"),
        ({"identifierName": "mobile"}, "identifierValue"),
        ({"identifierName": "phone", "identifierValue": "1"}, "identifierName"),
        ({"mobile": MOBILE[ACTIVE], "type": "fax"}, "type"),
        ({"mobile": MOBILE[ACTIVE], "limit": "many"}, "limit"),
        ({"mobile": MOBILE[ACTIVE], "network": "myspace"}, "network"),
    ],
    ids=[
        "no identifier",
        "no value",
        "bad identifier name",
        "bad type",
        "bad limit",
        "bad network",
    ],
)
def test_v11_bad_query_names_the_parameter(cap: Cap, params: dict[str, str], field: str) -> None:
    response = cap.get(V11, **params)
    assert response.status_code == 400
    assert str(v11_status(response)["success"]) == "false"
    assert field in v11_status(response)["message"]


def test_v2_lists_messages_with_delivery_status(frozen: Cap) -> None:
    frozen.post(
        "/v2/communications/sendMessage", send_message("sms", MOBILE[BLOCKED], MOBILE[ACTIVE])
    )
    blocked, active = v2_types(frozen, BLOCKED), v2_types(frozen, ACTIVE)
    [suppressed] = blocked["sms"]["messageList"]
    [delivered] = active["sms"]["messageList"]
    assert suppressed["status"] == "NOT-DELIVERED" and delivered["status"] == "DELIVERED"
    assert (suppressed["receiver"], suppressed["userId"]) == (MOBILE[BLOCKED], BLOCKED)
    assert suppressed["sentDate"] == "23-11-2026 10:00:00"
    ids = {m["to"]: m["id"] for m in frozen.outbox()}
    assert str(suppressed["id"]) == ids[MOBILE[BLOCKED]]
    assert blocked["sms"]["count"] == 1 and blocked["email"]["messageList"] == []


def test_v2_lists_wechat_messages(cap: Cap) -> None:
    cap.post("/v2/communications/wechat", wechat(WECHAT[BLOCKED]))
    [message] = v2_types(cap, BLOCKED)["wechat"]["messageList"]
    assert (message["receiver"], message["status"]) == (WECHAT[BLOCKED], "NOT-DELIVERED")


def test_v2_counts_match_v11(cap: Cap) -> None:
    cap.post("/v1.1/communications/email", email_v11(EMAIL[BLOCKED]))
    cap.post("/v2/otp/generate", otp(MOBILE[BLOCKED], "BOTH"))
    v2 = v2_types(cap, BLOCKED)
    v11 = v11_types(cap.get(V11, id=str(BLOCKED)))
    for kind in ("sms", "email", "whatsapp", "zalo"):
        assert v2[kind]["count"] == v11[kind]["count"] == len(v2[kind]["messageList"])
    assert v2["email"]["count"] == 2
    assert {m["status"] for m in v2["email"]["messageList"]} == {"NOT-DELIVERED"}


def test_v2_type_filter_and_identifiers(cap: Cap) -> None:
    cap.post("/v1.1/communications/email", email_v11(EMAIL[ACTIVE], subject="Receipt"))
    response = cap.get(V2, identifierName="email", identifierValue=EMAIL[ACTIVE], type="email")
    [email] = response.json()["interaction"]
    assert email["name"] == "email" and email["messageList"][0]["subject"] == "Receipt"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"identifierValue": MOBILE[ACTIVE]}, "identifierName"),
        ({"identifierName": "mobile"}, "identifierValue"),
        ({"identifierName": "phone", "identifierValue": "1"}, "identifierName"),
        (
            {"identifierName": "mobile", "identifierValue": "919000000000"},
            ("identifierValue", "919000000000"),
        ),
        ({"identifierName": "mobile", "identifierValue": MOBILE[ACTIVE], "type": "fax"}, "type"),
    ],
    ids=["no name", "no value", "bad name", "unknown customer", "bad type"],
)
def test_v2_bad_query_names_the_parameter(cap: Cap, params: dict[str, str], field: Any) -> None:
    response = cap.get(V2, **params)
    assert response.status_code == 400
    assert_names(response.json()["errors"][0]["message"], field)
