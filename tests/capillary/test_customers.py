"""Customers: addCustomerV2, lookupCustomerV2, getCustomerV2 (v2) and addCustomerV11,
getCustomerV11 (v1.1)."""

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
    OPTED_OUT,
    SOURCE,
    UNKNOWN_ID,
    WECHAT,
    Cap,
    assert_suppressed,
    assert_v11_ok,
    batch,
    sms_v11,
    v2_error,
    v11_status,
)


def profile(*identifiers: tuple[str, str], **extra: Any) -> Any:
    ids = [{"type": t, "value": v} for t, v in identifiers]
    return {
        "profiles": [
            {"firstName": "Tom", "lastName": "Sawyer", "identifiers": ids, "source": "INSTORE"}
        ],
        **extra,
    }


# --- v2 --------------------------------------------------------------------------------------
def test_add_customer_v2_then_find_it(cap: Cap) -> None:
    response = cap.post("/v2/customers", profile(("mobile", FREE_MOBILE), ("email", FREE_EMAIL)))
    assert response.status_code == 200, response.text
    body = response.json()
    created = body["createdId"]
    assert isinstance(created, int) and created not in (BLOCKED, ACTIVE, OPTED_OUT)
    assert body["warnings"] == []
    assert cap.lookup(FREE_MOBILE).json()["entity"] == created
    assert cap.lookup(FREE_EMAIL, "email").json()["entity"] == created
    customer = cap.customer(created)
    assert customer["id"] == created
    assert customer["profiles"][0]["firstName"] == "Tom"
    identifiers = {(i["type"], i["value"]) for i in customer["profiles"][0]["identifiers"]}
    assert {("mobile", FREE_MOBILE), ("email", FREE_EMAIL)} <= identifiers


def test_add_customer_v2_gets_the_default_active_label(cap: Cap) -> None:
    created = cap.post("/v2/customers", profile(("mobile", FREE_MOBILE))).json()["createdId"]
    [entry] = cap.status_log(created)
    assert (entry["label"], entry["status"], entry["isActive"]) == ("Active", "ACTIVE", True)


def test_add_customer_v2_with_blocking_label_is_suppressed(cap: Cap) -> None:
    body = profile(("mobile", FREE_MOBILE), statusLabel="Suspended")
    created = cap.post("/v2/customers", body).json()["createdId"]
    assert cap.post("/v1.1/communications/sms", sms_v11(FREE_MOBILE)).status_code == 200
    [message] = cap.outbox()
    assert message["customer_id"] == str(created)
    assert_suppressed(message)


def test_add_customer_v2_with_taken_mobile_is_8006(cap: Cap) -> None:
    before = cap.snapshot()
    response = cap.post("/v2/customers", profile(("mobile", MOBILE[ACTIVE])))
    assert response.status_code == 400
    assert v2_error(response)["code"] == 8006
    assert cap.snapshot() == before


def test_add_customer_v2_with_invalid_mobile_names_it(cap: Cap) -> None:
    response = cap.post("/v2/customers", profile(("mobile", "12ab")))
    assert response.status_code == 400
    assert "identifiers" in v2_error(response)["message"] or "12ab" in v2_error(response)["message"]
    assert cap.lookup("12ab").status_code == 400


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("mobile", MOBILE[ACTIVE]),
        ("email", EMAIL[ACTIVE]),
        ("externalId", EXTERNAL_ID[ACTIVE]),
        ("wechat", WECHAT[ACTIVE]),
        ("id", str(ACTIVE)),
    ],
)
def test_lookup_by_each_identifier(cap: Cap, name: str, value: str) -> None:
    response = cap.lookup(value, name)
    assert response.status_code == 200, response.text
    assert response.json() == {"entity": ACTIVE, "warnings": []}


def test_lookup_unknown_is_8015(cap: Cap) -> None:
    response = cap.lookup("919000000000")
    assert response.status_code == 400
    assert v2_error(response)["code"] == 8015


def test_lookup_with_invalid_identifier_name_is_8013(cap: Cap) -> None:
    response = cap.lookup(MOBILE[ACTIVE], "phone")
    assert response.status_code == 400
    assert v2_error(response)["code"] == 8013
    assert "identifierName" in v2_error(response)["message"]


def test_lookup_without_source_names_source(cap: Cap) -> None:
    response = cap.get(
        "/v2/customers/lookup", identifierName="mobile", identifierValue=MOBILE[ACTIVE]
    )
    assert response.status_code == 400
    assert "source" in v2_error(response)["message"]


def test_get_customer_v2_with_subscriptions(cap: Cap) -> None:
    customer = cap.customer(OPTED_OUT)
    assert customer["id"] == OPTED_OUT and customer["warnings"] == []
    subs = {
        ("MOBILE" if s["channel"] in {"SMS", "MOBILE"} else s["channel"], s["priority"]): s["type"]
        for s in customer["subscriptionInfo"]["subscriptions"]
    }
    assert subs == {
        ("MOBILE", "BULK"): "OPTOUT",
        ("MOBILE", "TRANS"): "OPTOUT",
        ("EMAIL", "BULK"): "OPTOUT",
        ("EMAIL", "TRANS"): "OPTIN",
    }


def test_get_customer_v2_without_embed_has_no_subscriptions(cap: Cap) -> None:
    response = cap.get(f"/v2/customers/{ACTIVE}", **SOURCE)
    assert response.status_code == 200
    assert "subscriptionInfo" not in response.json()
    assert response.json()["profiles"][0]["userId"] == ACTIVE


def test_get_unknown_customer_v2_is_8015(cap: Cap) -> None:
    response = cap.get(f"/v2/customers/{UNKNOWN_ID}", **SOURCE)
    assert response.status_code == 400
    assert v2_error(response)["code"] == 8015


# --- v1.1 ------------------------------------------------------------------------------------
def v11_customer(**fields: Any) -> dict[str, Any]:
    return {"firstname": "Huck", "lastname": "Finn", **fields}


def test_add_customer_v11(cap: Cap) -> None:
    body = batch(
        "customer", v11_customer(mobile=FREE_MOBILE, email=FREE_EMAIL, external_id="EXT-9")
    )
    answer = assert_v11_ok(cap.post("/v1.1/customer/add", body, params={"format": "json"}))
    [added] = answer["customers"]["customer"]
    assert int(added["item_status"]["code"]) == 1000
    assert str(added["item_status"]["success"]) == "true"
    assert added["mobile"] == FREE_MOBILE and added["firstname"] == "Huck"
    assert cap.lookup(FREE_MOBILE).json()["entity"] == added["user_id"]
    assert cap.lookup("EXT-9", "externalId").json()["entity"] == added["user_id"]


def test_add_customer_v11_with_known_identifier_updates(cap: Cap) -> None:
    body = batch("customer", v11_customer(mobile=MOBILE[ACTIVE]))
    answer = assert_v11_ok(cap.post("/v1.1/customer/add", body))
    [item] = answer["customers"]["customer"]
    assert item["user_id"] == ACTIVE
    assert cap.customer(ACTIVE)["profiles"][0]["firstName"] == "Huck"


def test_add_customer_v11_with_identifiers_of_two_customers_fails(cap: Cap) -> None:
    before = cap.snapshot()
    body = batch("customer", v11_customer(mobile=MOBILE[ACTIVE], email=EMAIL[BLOCKED]))
    response = cap.post("/v1.1/customer/add", body)
    assert response.status_code == 400
    [item] = response.json()["response"]["customers"]["customer"]
    assert str(item["item_status"]["success"]) == "false"
    assert int(item["item_status"]["code"]) == 1016  # email already exists for some other user
    assert cap.snapshot() == before


def test_get_customer_v11_by_mobile(cap: Cap) -> None:
    answer = assert_v11_ok(cap.get("/v1.1/customer/get", mobile=MOBILE[ACTIVE], format="json"))
    [customer] = answer["customers"]["customer"]
    assert customer["user_id"] == ACTIVE
    assert (customer["mobile"], customer["email"], customer["external_id"]) == (
        MOBILE[ACTIVE],
        EMAIL[ACTIVE],
        EXTERNAL_ID[ACTIVE],
    )
    assert int(customer["item_status"]["code"]) == 1000


@pytest.mark.parametrize("field", ["email", "external_id", "id"])
def test_get_customer_v11_by_other_identifiers(cap: Cap, field: str) -> None:
    value = {"email": EMAIL[ACTIVE], "external_id": EXTERNAL_ID[ACTIVE], "id": str(ACTIVE)}[field]
    answer = assert_v11_ok(cap.get("/v1.1/customer/get", **{field: value}))
    assert answer["customers"]["customer"][0]["user_id"] == ACTIVE


def test_get_customer_v11_unknown_is_1012_with_overall_500(cap: Cap) -> None:
    response = cap.get("/v1.1/customer/get", mobile="919000000000")
    assert response.status_code == 400
    assert int(v11_status(response)["code"]) == 500
    [item] = response.json()["response"]["customers"]["customer"]
    assert int(item["item_status"]["code"]) == 1012


def test_get_customer_v11_without_identifier_names_them(cap: Cap) -> None:
    response = cap.get("/v1.1/customer/get")
    assert response.status_code == 400
    assert "mobile" in v11_status(response)["message"]
